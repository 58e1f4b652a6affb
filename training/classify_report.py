"""Classification scores and reports: confusion matrix, accuracy, per-class P/R/F1, macro-F1.

A prediction that is not one of the labels (the message ended as an error) is counted in an
``(error)`` column of the confusion matrix: it is wrong for its gold class and a false positive
of no class. Macro-F1 averages the F1 of every label of the class schema, so a class the model
never predicts counts as 0.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from training.metrics import PRF

ERROR = "(error)"
TASK = "classify"
SWEEP = "min_score_sweep"
"""The ``extra`` key of a minimum-score sweep (:mod:`training.class_sweep`), drawn as its own table."""


@dataclass(frozen=True)
class ClassScores:
    """Scores of one class schema: ``confusion[gold][predicted]`` counts and what follows from them."""

    labels: tuple[str, ...]
    confusion: dict[str, dict[str, int]]

    @property
    def n(self) -> int:
        return sum(sum(row.values()) for row in self.confusion.values())

    @property
    def accuracy(self) -> float:
        return sum(self.confusion[lab].get(lab, 0) for lab in self.labels) / self.n if self.n else 0.0

    def prf(self, label: str) -> PRF:
        tp = self.confusion[label].get(label, 0)
        fn = sum(self.confusion[label].values()) - tp
        fp = sum(self.confusion[g].get(label, 0) for g in self.labels) - tp
        return PRF(tp, fp, fn)

    @property
    def per_label(self) -> dict[str, PRF]:
        return {lab: self.prf(lab) for lab in self.labels}

    @property
    def macro_f1(self) -> float:
        return sum(p.f1 for p in self.per_label.values()) / len(self.labels) if self.labels else 0.0

    @property
    def errors(self) -> int:
        return sum(row.get(ERROR, 0) for row in self.confusion.values())

    def to_dict(self) -> dict[str, Any]:
        return {"labels": list(self.labels), "confusion": self.confusion, "accuracy": self.accuracy,
                "macro_f1": self.macro_f1, "per_label": {k: v.to_dict() for k, v in self.per_label.items()}}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ClassScores:
        return cls(tuple(d["labels"]), {g: {p: int(n) for p, n in row.items()} for g, row in d["confusion"].items()})


def score_classes(gold: Sequence[str], predicted: Sequence[str | None], labels: Sequence[str]) -> ClassScores:
    """Confusion matrix of ``predicted[i]`` against ``gold[i]``; ``None`` or an unknown label is ``(error)``."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predictions")
    unknown = sorted(set(gold) - set(labels))
    if unknown:
        raise ValueError(f"gold labels not in the class schema: {', '.join(unknown)}")
    confusion = {g: {p: 0 for p in (*labels, ERROR)} for g in labels}
    for g, p in zip(gold, predicted):
        confusion[g][p if p in labels else ERROR] += 1
    return ClassScores(tuple(labels), confusion)


@dataclass
class ClassReport:
    """One classification run: which model and prompting, on which data, how well and how fast."""

    model: str
    adapter: str | None
    shots: int
    data: str
    class_name: str
    scores: ClassScores
    messages_per_s: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def n_examples(self) -> int:
        return self.scores.n

    @property
    def title(self) -> str:
        adapter = f" + {self.adapter}" if self.adapter else ""
        return f"{self.model}{adapter} ({self.shots}-shot)"

    def to_dict(self) -> dict[str, Any]:
        return {"task": TASK, "model": self.model, "adapter": self.adapter, "shots": self.shots, "data": self.data,
                "class": self.class_name, "n_examples": self.n_examples, "messages_per_s": self.messages_per_s,
                "scores": self.scores.to_dict(), "extra": self.extra}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ClassReport:
        return cls(d["model"], d.get("adapter"), int(d.get("shots", 0)), d["data"], d["class"],
                   ClassScores.from_dict(d["scores"]), d.get("messages_per_s"), dict(d.get("extra") or {}))

    def to_json(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        return path

    def to_markdown(self) -> str:
        """Header, per-class P/R/F1, and the confusion matrix (rows gold, columns predicted)."""
        s = self.scores
        lines = [f"## {self.title} on {self.data}: {self.class_name}", "",
                 f"- examples: {self.n_examples}", f"- accuracy: {_pct(s.accuracy)}; macro-F1: {s.macro_f1:.3f}",
                 f"- messages/s: {'n/a' if self.messages_per_s is None else f'{self.messages_per_s:.2f}'}"]
        lines += [f"- {key}: {value}" for key, value in self.extra.items() if key != SWEEP]
        lines += ["", "| class | P | R | F1 | support | predicted |", "|---|---:|---:|---:|---:|---:|"]
        lines += [f"| {lab} | {_pct(p.precision)} | {_pct(p.recall)} | {_pct(p.f1)} | {p.support} | {p.predicted} |"
                  for lab, p in s.per_label.items()]
        cols = [*s.labels, ERROR]
        lines += ["", "### confusion matrix (rows: gold, columns: predicted)", "",
                  "| gold \\ predicted | " + " | ".join(cols) + " |", "|---|" + "---:|" * len(cols)]
        lines += [f"| {g} | " + " | ".join(str(s.confusion[g].get(p, 0)) for p in cols) + " |" for g in s.labels]
        if SWEEP in self.extra:
            from training.class_sweep import sweep_markdown

            lines += ["", sweep_markdown(self.extra[SWEEP]).rstrip("\n")]
        return "\n".join(lines) + "\n"

    def plot_confusion(self, png_path: str | Path) -> Path:
        """The confusion matrix as a heat map PNG (matplotlib, imported here)."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        s = self.scores
        cols = [*s.labels, ERROR] if s.errors else list(s.labels)
        grid = [[s.confusion[g].get(p, 0) for p in cols] for g in s.labels]
        fig = Figure(figsize=(1.2 * len(cols) + 2, 1.0 * len(s.labels) + 1.6), layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        ax.imshow(grid, cmap="Blues")
        top = max(max(row) for row in grid) or 1
        for i, row in enumerate(grid):
            for j, value in enumerate(row):
                ax.text(j, i, str(value), ha="center", va="center", color="white" if value > top / 2 else "black")
        ax.set_xticks(range(len(cols)), cols)
        ax.set_yticks(range(len(s.labels)), s.labels)
        ax.set_xlabel("predicted")
        ax.set_ylabel("gold")
        ax.set_title(f"{self.title}\n{self.data}: accuracy {_pct(s.accuracy)}, macro-F1 {s.macro_f1:.3f}", fontsize=9)
        path = Path(png_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=120)
        return path


def is_class_report(d: dict[str, Any]) -> bool:
    return d.get("task") == TASK


def class_leaderboard(reports: Sequence[ClassReport]) -> str:
    """Markdown tables, one per data set: accuracy, macro-F1, per-class F1, msg/s; best macro-F1 first."""
    keyed = {(r.data, r.model, _served(r), r.shots, str(r.extra.get("method", "generative"))): r for r in reports}
    out: list[str] = []
    for data in sorted({r.data for r in keyed.values()}):
        group = sorted((r for r in keyed.values() if r.data == data),
                       key=lambda r: (-r.scores.macro_f1, -r.scores.accuracy, r.model, r.shots))
        labels = list(group[0].scores.labels)
        out += [f"### {data} ({group[0].class_name})", ""]
        header = ["#", "model", "method", "adapter", "shots", "accuracy", "macro-F1",
                  *(f"F1 {lab}" for lab in labels), "msg/s", "n"]
        out += ["| " + " | ".join(header) + " |", "|---:|---|---|---|---:|" + "---:|" * (len(header) - 5)]
        for rank, r in enumerate(group, 1):
            per = r.scores.per_label
            cells = [str(rank), r.model, str(r.extra.get("method", "generative")), _served(r), str(r.shots),
                     _pct(r.scores.accuracy), f"{r.scores.macro_f1:.3f}",
                     *(_pct(per[lab].f1) if lab in per else "n/a" for lab in labels),
                     "n/a" if r.messages_per_s is None else f"{r.messages_per_s:.2f}", str(r.n_examples)]
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    return "\n".join(out)


def _served(report: ClassReport) -> str:
    """The adapter as served: its name, what it read (where recorded) and its minimum scores."""
    parts = [report.adapter or "-"]
    parts += [f"reads {report.extra['reads']}"] if "reads" in report.extra else []
    parts += [f"min {report.extra['min_scores']}"] if "min_scores" in report.extra else []
    return ", ".join(parts)


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"
