"""Engine start on CPU: vLLM's default AOT compile vs the Inductor cache path vs eager, and what each costs per token.

Every ``extract-entities`` run starts one engine, so its start time is paid per run (per CI test
session, per cron job). vLLM 0.32 on torch >= 2.10 defaults to AOT compilation with an on-disk
artifact; on the CPU backend loading that artifact fails here ("'function' object has no
attribute 'finalize_loading'") and the model is compiled again on every start. Sides, one
fresh process per start, each started ``--starts`` times in a row (the first start of a side
may fill its cache, the later ones show what a user pays every run):

- ``aot``: vLLM's default (``VLLM_USE_AOT_COMPILE`` unset);
- ``inductor``: ``VLLM_USE_AOT_COMPILE=0``, torch.compile with vLLM's and Inductor's caches;
- ``eager``: ``enforce_eager=True``, no compilation at all.

Each start then runs one warm-up message and a timed pass of ``--n`` messages (constrained as
served), so a faster start that costs throughput shows. Last line: the default side's start
time / the fastest side's, on the last start of each.

    OMP_NUM_THREADS=1 HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_engine_start.py --n 4
"""

from __future__ import annotations

import argparse
import os
import sys

import _bootstrap  # noqa: F401  (the repository root on sys.path)

from benchmarks import children, harness, machine, synthetic

SIDES = ["aot", "inductor", "eager"]


def child(args: argparse.Namespace) -> None:
    side = args.one.split("#")[0]
    if side == "inductor":
        os.environ["VLLM_USE_AOT_COMPILE"] = "0"
    engine, start = harness.make_engine(enforce_eager=side == "eager")
    extractor = harness.served_extractor(engine, args)
    texts = synthetic.email_texts(args.n + 1, args.seed)
    with harness.stopwatch() as t:
        extractor.extract_texts(texts[-1:])
    warm_up = t[0]
    print(f"   warm-up, 1 message: {warm_up:.1f} s", flush=True)
    engine.llm.reset_prefix_cache()
    with harness.stopwatch() as t:
        res = extractor.extract_texts(texts[: args.n])
    m = harness.Measure(f"{args.one}: timed pass")
    m.add_texts(t[0], res)
    m.show()
    children.result_line({"pass": m}, start=start, warm_up=warm_up)


def main() -> None:
    harness.setup()
    p = harness.parser(__doc__.splitlines()[0], n=4)
    p.add_argument("--sides", default=",".join(SIDES), help="which start modes to run (aot,inductor,eager)")
    p.add_argument("--starts", type=int, default=2, help="fresh processes per side, in a row")
    args = children.parse_or_run_child(p, child)
    if args is None:
        return
    machine.header("bench_engine_start: AOT (vLLM default) vs Inductor cache vs eager, start time and throughput")
    runs = [f"{side}#{i + 1}" for side in args.sides.split(",") for i in range(args.starts)]
    res = children.run_children(__file__, runs, sys.argv[1:])
    last: dict[str, float] = {}
    for run, r in res.items():
        m = children.measure_from(f"{run}: start {r['start']:.1f} s, pass", r["measures"]["pass"]).show()
        side = run.split("#")[0]
        if run.endswith(f"#{args.starts}"):
            last[side] = r["start"]
            print(f"   {side}: last start {r['start']:.1f} s, {m.msgs_per_s:.3f} msg/s, "
                  f"{m.gen_tokens_per_s:.1f} gen tok/s", flush=True)
    machine.footer()
    if "aot" in last:
        best = min(last, key=last.__getitem__)
        harness.ratio_line(f"engine start, vLLM default (aot) / fastest ({best})", last["aot"], last[best],
                          "last start of each side: " + ", ".join(f"{k} {v:.1f} s" for k, v in last.items()))


if __name__ == "__main__":
    main()
