"""JSON-schema constrained vs unconstrained decoding on the same engine, per structured-output backend.

The backend is engine-wide in vLLM, so each backend gets its own engine and its own
unconstrained baseline. For each backend:

1. compile: the first constrained request of each schema variant (1 prompt, ``max_tokens=1``)
   minus the same unconstrained request: the schema compile. Variants: the default schema
   (``maxItems`` 32), ``maxItems`` 8, no ``maxItems``, and the default schema as a regex with
   no whitespace allowed (outlines-core ``whitespace_pattern=""``; vLLM's JSON path gives
   outlines ``[ ]?`` between tokens, xgrammar and guidance any whitespace unless the engine-wide
   ``disable_any_whitespace`` is set). Outlines gets an empty disk cache (``--warm-disk-cache``
   keeps the real one) so its compile is measured cold.
2. steady state, compile already done: ``--n`` prompts unconstrained vs constrained, prefix
   cache reset before each pass, alternating order over ``--rounds``, with a per-step breakdown
   (model forward, grammar bitmask fill, bitmask apply, grammar accept).

Last line: the slowdown (unconstrained msg/s / constrained msg/s) of each backend; goal <= 1.15.

    VLLM_ENABLE_V1_MULTIPROCESSING=0 HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_constrained.py --n 8
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import _bootstrap  # noqa: F401  (the repository root on sys.path)

from benchmarks import harness, machine, profiler, synthetic


def variants(schema: Any) -> dict[str, tuple[str, Any]]:
    """name -> (kind, spec) of the schema shapes whose compile is timed."""
    import outlines_core.json_schema as oc_json

    default = schema.json_schema()
    max8 = json.loads(json.dumps(default))
    max8["properties"]["entities"]["maxItems"] = 8
    unbounded = json.loads(json.dumps(default))
    del unbounded["properties"]["entities"]["maxItems"]
    compact = oc_json.build_regex_from_schema(json.dumps(default), whitespace_pattern="")
    return {"default (maxItems 32)": ("json", default), "maxItems 8": ("json", max8),
            "no maxItems": ("json", unbounded), "no whitespace (regex)": ("regex", compact)}


def params(kind: str | None, spec: Any, max_tokens: int) -> Any:
    from vllm import SamplingParams
    from vllm.sampling_params import StructuredOutputsParams

    so = None
    if kind == "json":
        so = StructuredOutputsParams(json=spec)
    elif kind == "regex":
        so = StructuredOutputsParams(regex=spec)
    return SamplingParams(temperature=0.0, max_tokens=max_tokens, structured_outputs=so)


def measure(engine: Any, label: str, prompts: list[str], sp: Any) -> tuple[harness.Measure, str]:
    prof = profiler.StepProfiler(engine)
    try:
        engine.llm.reset_prefix_cache()
        with harness.stopwatch() as t:
            outs = engine.llm.generate(prompts, sp, use_tqdm=False)
    finally:
        prof.close()
    bad = 0
    for o in outs:
        try:
            json.loads(o.outputs[0].text)
        except json.JSONDecodeError:
            bad += 1
    m = harness.Measure(label)
    m.add(t[0], len(outs), sum(len(o.prompt_token_ids) for o in outs), sum(len(o.outputs[0].token_ids) for o in outs),
          bad)
    lengths = [len(o.outputs[0].token_ids) for o in outs]
    m.extra["max_len"] = max(lengths)
    return m, prof.summary(t[0])


def main() -> None:
    harness.setup()
    p = harness.parser(__doc__.splitlines()[0], n=8)
    p.add_argument("--backends", default="outlines,xgrammar,guidance")
    p.add_argument("--warm-disk-cache", action="store_true",
                   help="use the real outlines disk cache (compile times are then cache loads)")
    p.add_argument("--no-compile-probes", action="store_true", help="only time the default schema's compile")
    p.add_argument("--one", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.one is None:
        # One process per backend: a clean engine each, no in-process teardown to trust.
        machine.header("bench_constrained: JSON-schema constrained vs unconstrained, per backend")
        slowdowns: dict[str, float] = {}
        for backend in args.backends.split(","):
            print(f"-- backend {backend}", flush=True)
            with subprocess.Popen([sys.executable, __file__, *sys.argv[1:], "--one", backend],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
                assert proc.stdout is not None
                for line in proc.stdout:
                    if line.startswith("SLOWDOWN "):
                        slowdowns[backend] = float(line.split()[2])
                    elif line.startswith(("   ", "Traceback")) or "Error" in line:
                        print(line.rstrip(), flush=True)
        machine.footer()
        done = {b: v for b, v in slowdowns.items() if not math.isnan(v)}
        best = min(done, key=done.get) if done else "none"
        detail = ", ".join(f"{b} {v:.3f}x" for b, v in slowdowns.items())
        print(f"RATIO constrained slowdown (unconstrained msg/s / constrained msg/s): best {best} "
              f"{done.get(best, float('nan')):.3f}x  ({detail}; goal <= 1.15)", flush=True)
        return
    overrides: dict[str, Any] = {}
    if not args.warm_disk_cache:
        overrides["cache_dir"] = Path(tempfile.mkdtemp(prefix="bench-constrained-cache-"))
        os.environ["OUTLINES_CACHE_DIR"] = str(overrides["cache_dir"] / "outlines")
    schema = harness.schema()
    texts = synthetic.email_texts(args.n + 1, args.seed)
    for backend in [args.one]:
        engine, _ = harness.make_engine(decoding_backend=backend, **overrides)
        builder = harness.prompt_builder(engine, args.shots)
        probe, prompts = builder.render(texts[-1]), [builder.render(t) for t in texts[: args.n]]
        with harness.stopwatch() as t:
            engine.llm.generate(prompts[:2], params(None, None, 16), use_tqdm=False)
        print(f"   warm-up (2 prompts, 16 tokens, unconstrained): {t[0]:.1f} s", flush=True)
        default = schema.json_schema()
        for name, (kind, spec) in variants(schema).items():
            if args.no_compile_probes and not name.startswith("default"):
                continue
            with harness.stopwatch() as base:
                engine.llm.generate([probe], params(None, None, 1), use_tqdm=False)
            try:
                with harness.stopwatch() as first:
                    out = engine.llm.generate([probe], params(kind, spec, 1), use_tqdm=False)
                ok = bool(out[0].outputs[0].token_ids)
            except Exception as exc:  # noqa: BLE001 - a backend may refuse a variant
                print(f"   compile {name:<24} failed: {type(exc).__name__}: {str(exc)[:160]}", flush=True)
                continue
            with harness.stopwatch() as again:
                engine.llm.generate([probe], params(kind, spec, 1), use_tqdm=False)
            print(f"   compile {name:<24} first request {first[0]:7.2f} s, repeat {again[0]:5.2f} s, "
                  f"unconstrained {base[0]:5.2f} s -> compile ~{first[0] - base[0]:7.2f} s"
                  f"{'' if ok else ' (no token!)'}", flush=True)
        free = harness.Measure(f"{backend}: unconstrained")
        cons = harness.Measure(f"{backend}: constrained (default schema)")
        for i in range(args.rounds):
            order = [("free", None, None), ("cons", "json", default)]
            for side, kind, spec in (order if i % 2 == 0 else order[::-1]):
                m, prof = measure(engine, side, prompts, params(kind, spec, args.max_tokens))
                target = free if side == "free" else cons
                target.add(m.seconds, m.messages, m.prompt_tokens, m.completion_tokens, m.unparsed)
                target.extra["max_len"] = m.extra["max_len"]
                print(f"   round {i} {side}: {m.seconds:.1f} s; {prof}", flush=True)
        free.show()
        cons.show()
        slowdown = free.msgs_per_s / cons.msgs_per_s if cons.msgs_per_s else float("nan")
        per_tok = ((cons.seconds / max(cons.completion_tokens, 1)) / (free.seconds / max(free.completion_tokens, 1)))
        print(f"   {backend}: slowdown per message {slowdown:.3f}x, per generated token {per_tok:.3f}x "
              f"(load now {machine.load()})", flush=True)
        print(f"SLOWDOWN {backend} {slowdown:.4f}", flush=True)


if __name__ == "__main__":
    main()
