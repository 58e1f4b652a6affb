"""Multi-LoRA serving on CPU: routed vs sequential adapters, LoRA vs base, merged vs LoRA.

Four rank-8 random adapters (``tests/tiny_model.build_adapter``, weights ~ N(0, ``--scale``) so
outputs stay JSON-like) on the embedded default model; constrained decoding as served; same
``--n`` messages on every side. Three engines, one process each:

- ``lora``: the four adapters in one engine. Timed: the n messages routed round-robin to the
  four adapters in ONE pass; the same messages as four sequential single-adapter passes; all n
  on adapter 0 (the LoRA side of ``--merge``); all n on the base model (no adapter) in this
  LoRA-enabled engine.
- ``base``: a plain engine, no LoRA (the cost of LoRA = this vs the adapter-0 pass).
- ``merged``: adapter 0 merged into the base (``extractor.merge.merge_adapter``), no LoRA.

The prefix cache is emptied before each timed pass. Last line: routed one-pass msg/s /
sequential msg/s.

    VLLM_ENABLE_V1_MULTIPROCESSING=0 HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_lora.py --n 8
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import _bootstrap  # noqa: F401  (the repository root on sys.path)

from benchmarks import children, harness, machine, synthetic

SIDES = ["lora", "base", "merged"]
NAMES = ["a0", "a1", "a2", "a3"]


def adapter_dirs(scale: float) -> list[Path]:
    """Build (once, cached under /tmp) the four random adapters for the default model."""
    sys.path.insert(0, str(machine.REPO / "tests"))
    from tiny_model import build_adapter

    base = Path(harness.default_model_path())
    root = Path("/tmp/extract-entities-bench/adapters") / f"scale{scale}"
    out = []
    for i, name in enumerate(NAMES):
        folder = root / name
        if not (folder / "adapter_config.json").is_file():
            with harness.stopwatch() as t:
                build_adapter(base, folder, seed=100 + i, rank=8, scale=scale)
            print(f"   built adapter {name} in {t[0]:.1f} s -> {folder}", flush=True)
        out.append(folder)
    return out


def timed(engine: Any, extractor: Any, label: str, texts: list[str],
          routes: list[str | None] | None) -> harness.Measure:
    engine.llm.reset_prefix_cache()
    with harness.stopwatch() as t:
        res = extractor.extract_texts(texts, routes)
    m = harness.Measure(label)
    m.add_texts(t[0], res)
    return m.show()


def child(args: argparse.Namespace) -> None:
    from extractor.adapters import load_adapter

    dirs = adapter_dirs(args.scale)
    adapters = tuple(load_adapter(n, d) for n, d in zip(NAMES, dirs))
    if args.one == "lora":
        engine, start = harness.make_engine(adapters=adapters)
    elif args.one == "merged":
        engine, start = harness.make_engine(model=harness.merged_model(adapters[0]))
    else:
        engine, start = harness.make_engine()
    extractor = harness.served_extractor(engine, args)
    texts = synthetic.email_texts(args.n + 1, args.seed)
    warm, texts = texts[-1:], texts[: args.n]
    with harness.stopwatch() as t:
        extractor.extract_texts(warm, ["a0"] if args.one == "lora" else None)
    print(f"   warm-up, 1 message (schema compile or cache load, adapter load): {t[0]:.1f} s", flush=True)
    measures: dict[str, harness.Measure] = {}
    if args.one == "lora":
        routes = [NAMES[i % 4] for i in range(len(texts))]
        measures["routed"] = timed(engine, extractor, "4 adapters routed, one pass", texts, routes)
        seq = harness.Measure("4 adapters, 4 sequential passes")
        for name in NAMES:
            idx = [i for i, r in enumerate(routes) if r == name]
            m = timed(engine, extractor, f"  pass {name} ({len(idx)} msgs)", [texts[i] for i in idx], [name] * len(idx))
            seq.add(m.seconds, m.messages, m.prompt_tokens, m.completion_tokens, m.unparsed)
        measures["sequential"] = seq.show()
        measures["a0"] = timed(engine, extractor, "adapter a0 only (LoRA)", texts, ["a0"] * len(texts))
        measures["no_adapter"] = timed(engine, extractor, "no adapter, LoRA-enabled engine", texts, None)
    else:
        measures[args.one] = timed(engine, extractor, f"{args.one} model", texts, None)
    children.result_line(measures, start=start)


def main() -> None:
    harness.setup()
    p = harness.parser(__doc__.splitlines()[0], n=8)
    p.add_argument("--scale", type=float, default=0.01, help="std of the random LoRA weights")
    p.add_argument("--sides", default=",".join(SIDES), help="which engines to run (lora,base,merged)")
    args = children.parse_or_run_child(p, child)
    if args is None:
        return
    machine.header("bench_lora: 4 adapters routed vs sequential, LoRA vs base, merged vs LoRA")
    adapter_dirs(args.scale)  # build once here, not in the children
    res = children.run_children(__file__, args.sides.split(","), sys.argv[1:])
    ms = {k: children.measure_from(f"{side}: {k}", d) for side, r in res.items() for k, d in r["measures"].items()}
    for m in ms.values():
        m.show()

    def ratio(a: str, b: str) -> float:
        return ms[a].msgs_per_s / ms[b].msgs_per_s if a in ms and b in ms and ms[b].msgs_per_s else float("nan")

    print(f"   LoRA (adapter a0) / plain base engine msg/s: {ratio('a0', 'base'):.3f}")
    print(f"   no adapter on the LoRA engine / plain base engine msg/s: {ratio('no_adapter', 'base'):.3f}")
    print(f"   merged / LoRA (adapter a0) msg/s: {ratio('merged', 'a0'):.3f}")
    print(f"   merged / plain base engine msg/s: {ratio('merged', 'base'):.3f}")
    machine.footer()
    harness.ratio_line("routed one pass / 4 sequential passes, messages per second", ratio("routed", "sequential"), 1.0,
                      "4 adapters, same messages")


if __name__ == "__main__":
    main()
