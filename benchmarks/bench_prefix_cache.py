"""Shared instruction + few-shot prefix (``--shots 2``) with and without ``enable_prefix_caching``.

Two engines (one process each), same model, same messages, constrained decoding as served.
Each engine first sees two other messages (schema compile or disk-cache load; the caching
engine then holds the shared prefix, as it does in a long run). Then, timed:

- prefill: ``--n`` messages with ``max_tokens=1`` (what the cache can save),
- full: ``--n`` other messages with ``max_tokens`` as served.

Last line: full-pass msg/s with caching / without.

    VLLM_ENABLE_V1_MULTIPROCESSING=0 HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_prefix_cache.py --n 8
"""

from __future__ import annotations

import argparse
import sys

import _bootstrap  # noqa: F401  (the repository root on sys.path)

from benchmarks import children, harness, machine, synthetic

SIDES = ["prefix caching on", "prefix caching off"]


def child(args: argparse.Namespace) -> None:
    from vllm import SamplingParams
    from vllm.sampling_params import StructuredOutputsParams

    engine, start = harness.make_engine(prefix_caching=args.one == SIDES[0])
    builder = harness.prompt_builder(engine, args.shots)
    texts = synthetic.email_texts(2 * args.n + 2, args.seed)
    prompts = [builder.render(t) for t in texts]
    prefix_tokens = engine.count_tokens(builder.render(""))
    so = StructuredOutputsParams(json=harness.schema().json_schema())
    one = SamplingParams(temperature=0.0, max_tokens=1, structured_outputs=so)
    full = SamplingParams(temperature=0.0, max_tokens=args.max_tokens, structured_outputs=so)
    with harness.stopwatch() as t:
        engine.llm.generate(prompts[-2:], one, use_tqdm=False)
    print(f"   warm-up, 2 other messages, 1 token (schema compile or cache load): {t[0]:.1f} s; "
          f"prompt with an empty message: {prefix_tokens} tokens", flush=True)
    measures = {}
    for name, batch, sp in (("prefill", prompts[: args.n], one), ("full", prompts[args.n: 2 * args.n], full)):
        with harness.stopwatch() as t:
            outs = engine.llm.generate(batch, sp, use_tqdm=False)
        m = harness.Measure(f"{args.one}: {name}")
        m.add(t[0], len(outs), sum(len(o.prompt_token_ids) for o in outs),
              sum(len(o.outputs[0].token_ids) for o in outs))
        m.extra["cached_prompt_tokens"] = sum(o.num_cached_tokens or 0 for o in outs)
        m.show()
        measures[name] = m
    children.result_line(measures, start=start,
                         cached={k: m.extra["cached_prompt_tokens"] for k, m in measures.items()})


def main() -> None:
    harness.setup()
    p = harness.parser(__doc__.splitlines()[0], n=8)
    args = children.parse_or_run_child(p, child)
    if args is None:
        return
    machine.header("bench_prefix_cache: enable_prefix_caching on vs off (shared instruction + few-shot prefix)")
    res = children.run_children(__file__, SIDES, sys.argv[1:])
    ms = {s: {k: children.measure_from(f"{s}: {k}", d) for k, d in r["measures"].items()} for s, r in res.items()}
    for s, by in ms.items():
        for m in by.values():
            m.extra["cached_prompt_tokens"] = res[s]["cached"][m.label.split(": ")[1]]
            m.show()
    machine.footer()
    if len(ms) == 2:
        on, off = ms[SIDES[0]], ms[SIDES[1]]
        print(f"   prefill-only ratio on/off msg/s: {on['prefill'].msgs_per_s / off['prefill'].msgs_per_s:.3f}")
        harness.ratio_line("prefix caching on/off messages per second (full pass)", on["full"].msgs_per_s,
                           off["full"].msgs_per_s,
                           f"on {on['full'].msgs_per_s:.3f} vs off {off['full'].msgs_per_s:.3f} msg/s")
    else:
        harness.ratio_line("prefix caching on/off messages per second (full pass)", float("nan"), 1.0, "a side failed")


if __name__ == "__main__":
    main()
