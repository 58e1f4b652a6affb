"""Zero-shot vs few-shot vs tuned entity F1 of a model on fixed KIND subsets, through the serving path.

Every row uses the same first-N sentences of each split and the same schema (``kind``), and the
same harness as ``extract-entities evaluate`` (one engine shared by the base rows, one for the
merged adapter). Writes ``runs/*.json``, ``runs/leaderboard.md`` and ``runs/leaderboard.png``;
the last line is the tuned/zero-shot micro-F1 ratio on WN.

    python benchmarks/kind_baselines.py --n 50 --adapter examples/adapters/kind-default
"""

from __future__ import annotations

import argparse
from pathlib import Path

import _bootstrap  # noqa: F401  (the repository root on sys.path)

from benchmarks import harness


def main() -> None:
    harness.setup()
    from extractor.config import EngineOptions
    from extractor.serving import build_engine, prepare_model
    from extractor.settings import load_settings
    from schemas import load_schema
    from training.evaluate import EvalConfig, evaluate
    from training.leaderboard import build_leaderboard, plot_leaderboard

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="default")
    ap.add_argument("--n", type=int, default=50, help="first N sentences of each test split")
    ap.add_argument("--splits", default="WN_test,FIC_test")
    ap.add_argument("--shots", default="0,2")
    ap.add_argument("--adapter", type=Path, default=None, help="adapter folder to evaluate merged (0-shot)")
    ap.add_argument("--out", type=Path, default=Path("runs"))
    args = ap.parse_args()

    settings = load_settings()
    kind = load_schema("kind")
    args.out.mkdir(parents=True, exist_ok=True)
    reports: list[Path] = []

    def run_rows(engine, adapter: str | None, merge: bool, shots_list: list[int], tag: str) -> None:
        for split in args.splits.split(","):
            for shots in shots_list:
                cfg = EvalConfig(model=args.model, data=f"kind:{split}", limit=args.n, shots=shots, schema="kind",
                                 adapter=adapter, merge=merge, settings=settings)
                report = evaluate(cfg, engine=engine)
                path = args.out / f"{args.model}-{split}-{tag or f'{shots}shot'}.json"
                report.to_json(path)
                reports.append(path)
                print(f"{split} {tag or f'{shots}-shot'}: P={report.scores.strict.micro.precision:.3f} "
                      f"R={report.scores.strict.micro.recall:.3f} F1={report.f1:.3f} "
                      f"({report.messages_per_s:.2f} msg/s)", flush=True)

    shots = [int(s) for s in args.shots.split(",") if s]
    if shots:  # --shots "" evaluates only the adapter
        base = prepare_model(args.model, (), merge=False, settings=settings, schema=kind)
        engine = build_engine(base, EngineOptions(), settings)
        run_rows(engine, None, False, shots, "")
        del engine
    if args.adapter is not None:
        spec = f"kind={args.adapter}"
        tuned = prepare_model(args.model, (spec,), merge=True, settings=settings, schema=kind)
        engine = build_engine(tuned, EngineOptions(), settings)
        run_rows(engine, spec, True, [0], "tuned")
    reports = sorted(set(reports) | set(args.out.glob(f"{args.model}-*.json")))
    table = build_leaderboard(reports)
    (args.out / "leaderboard.md").write_text(table, encoding="utf-8")
    plot_leaderboard(reports, args.out / "leaderboard.png")
    print(table)
    if args.adapter is not None:
        from training.report import Report

        zero = Report.from_json(args.out / f"{args.model}-WN_test-0shot.json").f1
        tuned_f1 = Report.from_json(args.out / f"{args.model}-WN_test-tuned.json").f1
        print(f"tuned/zero-shot micro-F1 on WN_test[:{args.n}]: {tuned_f1:.3f}/{zero:.3f} = "
              f"{tuned_f1 / zero if zero else float('inf'):.2f}x")


if __name__ == "__main__":
    main()
