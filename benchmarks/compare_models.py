"""The seed's S0 comparison: every model x shots x adapter on one KIND split, through the serving path.

One child process per model (one engine each, serving the model and its adapters); each row is
``extract-entities evaluate`` on the same first ``--limit`` sentences. Reports go to
``OUT/<model>-<data>-<row>.json``, the leaderboard (strict micro and per-label F1, msg/s) to
``OUT/leaderboard.md`` and ``.png``; the last line is the best/worst micro-F1 ratio.

A GPU user with the checkpoints in ``$EXTRACT_ENTITIES_MODELS`` (or a hub) runs::

    python benchmarks/compare_models.py --models llama2-7b,llama3-8b,phi-1.5,mistral-7b,mixtral,gemma-7b \\
        --data kind:WN_test --shots 0,2 --adapter mistral-7b=adapters/mistral-kind

``--tiny`` runs the same harness on a tiny random model of each registry architecture
(:mod:`benchmarks.tiny_archs`), each with an adapter trained here for a few steps: proof that
every architecture trains, serves and evaluates; its F1 means nothing.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import tempfile
from pathlib import Path

import _bootstrap  # noqa: F401  (the repository root on sys.path)

from benchmarks import harness
from benchmarks.children import parse_or_run_child, run_children


def _row_name(data: str, shots: int, adapter: str | None) -> str:
    return f"{data.replace(':', '_')}-{f'adapter-{adapter}' if adapter else f'{shots}shot'}"


def child(args: argparse.Namespace) -> None:
    """One model: train its tiny adapter if asked, start one engine, evaluate every row."""
    harness.setup()
    from extractor.config import EngineOptions
    from extractor.serving import build_engine, prepare_model, resolve_schema
    from extractor.settings import load_settings
    from training.evaluate import EvalConfig, evaluate

    model = args.one
    settings = load_settings()
    adapters = [a for a in args.adapter if a.split("=", 1)[0] == model]
    if args.tiny:
        adapters = [f"{model}=" + str(_train_tiny(model, args, settings))]
    specs = tuple(f"tuned={a.split('=', 1)[1]}" for a in adapters)
    engine_options = EngineOptions(eager=args.eager, max_model_len=args.max_model_len)
    schema = resolve_schema(args.schema)
    # The base rows share one engine; each adapter is served merged by its own (as kind_baselines does;
    # vLLM's CPU backend cannot serve LoRA on a mixture-of-experts model such as Mixtral).
    groups = [((), [(s, None) for s in args.shots])] + [((spec,), [(0, spec)]) for spec in specs]
    # Merge every adapter before the first engine starts: once vLLM has loaded a model through its
    # Transformers backend (Phi), transformers' own classes are patched in this process.
    prepared_groups = [(prepare_model(_model_arg(model, args), served, merge=bool(served), settings=settings,
                                      schema=schema), rows) for served, rows in groups if rows]
    for prepared, rows in prepared_groups:
        engine = build_engine(prepared, engine_options, settings)
        for shots, spec in rows:
            config = EvalConfig(model=_model_arg(model, args), data=args.data, limit=args.limit, shots=shots,
                                schema=args.schema, adapter=spec, merge=spec is not None, max_tokens=args.max_tokens,
                                engine=engine_options, settings=settings)
            report = dataclasses.replace(evaluate(config, engine=engine), model=model)
            report.to_json(args.out / f"{model}-{_row_name(args.data, shots, spec and 'tuned')}.json")
            print(f"   {model} {spec and 'adapter (merged)' or f'{shots}-shot'}: F1={report.f1:.3f} "
                  f"({report.messages_per_s:.2f} msg/s, errors {report.extra.get('errors')})", flush=True)
        del engine
    print("RESULT " + json.dumps({"model": model}), flush=True)


def _model_arg(model: str, args: argparse.Namespace) -> str:
    """``default`` on --tiny is the tiny Qwen2 folder, not the embedded model."""
    return str(Path(os.environ["EXTRACT_ENTITIES_MODELS"]) / model) if args.tiny and model == "default" else model


def _train_tiny(model: str, args: argparse.Namespace, settings) -> Path:
    from training.config import TrainConfig
    from training.trainer import train

    out = args.out / "tiny-adapters" / model
    if (out / "adapter_config.json").is_file():
        return out
    return train(TrainConfig(data="kind:WN_train", model=_model_arg(model, args), eval="kind:WN_dev", out=out,
                             limit=16, max_steps=2, batch_size=4, grad_accum=1, eval_steps=2, eval_limit=4,
                             progress=False), settings, echo=lambda _msg: None)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", default="default", help="comma-separated registry aliases")
    p.add_argument("--data", default="kind:WN_test")
    p.add_argument("--limit", type=int, default=100, help="first N sentences (the same for every row)")
    p.add_argument("--shots", type=lambda s: [int(x) for x in s.split(",") if x], default=[0, 2])
    p.add_argument("--adapter", action="append", default=[], metavar="MODEL=PATH",
                   help="an adapter of MODEL, evaluated 0-shot beside its base rows (repeatable)")
    p.add_argument("--schema", default="kind")
    p.add_argument("--max-tokens", type=int, default=256)
    p.add_argument("--max-model-len", type=int, default=4096)
    p.add_argument("--eager", action="store_true", help="skip torch.compile (small runs)")
    p.add_argument("--tiny", action="store_true", help="tiny random models of each architecture (benchmarks.tiny_archs)")
    p.add_argument("--out", type=Path, default=Path("runs/compare"))
    args = parse_or_run_child(p, child)
    if args is None:
        return
    harness.setup()
    args.out.mkdir(parents=True, exist_ok=True)
    models = [m for m in args.models.split(",") if m]
    argv = sys.argv[1:]
    if args.tiny:
        from benchmarks.tiny_archs import build_all

        root = Path(tempfile.mkdtemp(prefix="tiny-archs-"))
        build_all(root, models)
        os.environ["EXTRACT_ENTITIES_MODELS"] = str(root)  # the children resolve aliases to the tiny folders
    run_children(__file__, models, argv)

    from training.leaderboard import build_leaderboard, plot_leaderboard
    from training.report import Report

    reports = sorted(p for m in models for p in args.out.glob(f"{m}-{args.data.replace(':', '_')}-*.json"))
    if not reports:
        raise SystemExit("no report was written: see the children's logs above")
    table = build_leaderboard(reports)
    (args.out / "leaderboard.md").write_text(table, encoding="utf-8")
    plot_leaderboard(reports, args.out / "leaderboard.png")
    print(table)
    f1s = [Report.from_json(r).f1 for r in reports]
    best, worst = max(f1s), min(f1s)
    print(f"{len(reports)} rows from {len(models)} models; best/worst micro-F1 {best:.3f}/{worst:.3f} = "
          f"{best / worst if worst else float('inf'):.2f}x")


if __name__ == "__main__":
    main()
