"""Message classification on the embedded default model: zero-, one- and few-shot, side by side.

One engine serves every row (the served path of ``extract-entities evaluate --task classify``:
same options, prompts, constrained decoding and parsing); each row is one data set at one
number of shots on the same fixed stratified subset (``--limit``). Reports (JSON, Markdown,
confusion-matrix PNG) go to ``--out``; the last line compares the best few-shot row with zero-shot.

    python -m benchmarks.bench_classify --data imdb:test --shots 0,1,4 --limit 200
"""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmarks.harness import make_engine, ratio_line, setup


def main() -> None:
    setup()
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default="imdb:test", help="comma-separated: imdb:test,sentipolc:test,spamassassin:test")
    p.add_argument("--shots", default="0,1,4", help="comma-separated shot counts (examples from the train split)")
    p.add_argument("--limit", type=int, default=200, help="fixed stratified subset of the split (0 = all)")
    p.add_argument("--out", type=Path, default=Path("runs/classify"), help="report folder")
    p.add_argument("--eager", action="store_true", help="skip torch.compile (faster start, slower tokens)")
    args = p.parse_args()

    from extractor.config import EngineOptions
    from training.classify_eval import ClassEvalConfig, evaluate_classes

    engine, _ = make_engine(enforce_eager=args.eager)
    for data in args.data.split(","):
        rows = []
        for shots in (int(s) for s in args.shots.split(",")):
            config = ClassEvalConfig(data=data, shots=shots, limit=args.limit or None,
                                     engine=EngineOptions(eager=args.eager))
            report = evaluate_classes(config, engine)
            stem = args.out / f"default-{data.replace(':', '_')}-{shots}shot"
            report.to_json(stem.with_suffix(".json"))
            stem.with_suffix(".md").write_text(report.to_markdown(), encoding="utf-8")
            report.plot_confusion(stem.with_suffix(".png"))
            s = report.scores
            print(f"{data} {shots}-shot n={s.n}: accuracy {100 * s.accuracy:.1f}, macro-F1 {s.macro_f1:.3f}, "
                  + ", ".join(f"F1 {lab} {100 * prf.f1:.1f}" for lab, prf in s.per_label.items())
                  + f", {report.messages_per_s:.2f} msg/s, errors {s.errors}"
                  + "".join(f", {k} {v}" for k, v in report.extra.items() if k in ("spam_precision", "ham_recall")),
                  flush=True)
            rows.append(report)
        best = max(rows, key=lambda r: r.scores.macro_f1)
        ratio_line(f"{data} macro-F1, best ({best.shots}-shot) vs {rows[0].shots}-shot",
                   best.scores.macro_f1, rows[0].scores.macro_f1 or 1e-9, "ratio of macro-F1, higher is better")


if __name__ == "__main__":
    main()
