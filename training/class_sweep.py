"""Choosing a minimum score for one class label on a dev split.

The texts run once; every candidate minimum is applied to the same label probabilities
(:func:`extractor.class_decision.decide`) and scored. A text of another class given the swept label
(a real mail lost to ``spam``) costs ``cost``, every other error 1; the candidate of least total cost
is picked; where several tie, :func:`pick` leans toward the cautious end by the same cost. Run it on dev,
serve the pick on test (``--min-score LABEL=P``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from extractor.class_decision import decide
from training.classify_report import ClassScores, score_classes

CANDIDATES = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995, 0.999, 0.9999)
"""Minimum scores tried after the plain argmax (``None``), dense where a confident head's errors lie."""


@dataclass(frozen=True)
class SweepRow:
    """One candidate: the minimum (``None``: the most probable label), its scores and its weighted cost."""

    min_score: float | None
    scores: ClassScores
    false_label: int
    wrong: int
    cost: float

    def to_dict(self) -> dict[str, Any]:
        s = self.scores
        return {"min_score": self.min_score, "accuracy": round(s.accuracy, 4), "macro_f1": round(s.macro_f1, 4),
                "false_label": self.false_label, "wrong": self.wrong, "cost": self.cost,
                "recall": {lab: round(p.recall, 4) for lab, p in s.per_label.items()}}


def check_sweep_label(label: str | None, labels: Sequence[str]) -> None:
    """``ValueError`` when ``label`` (``None``: no sweep) is not one of the class's ``labels``."""
    if label is not None and label not in labels:
        raise ValueError(f"cannot sweep a minimum score on {label}: the labels are {', '.join(labels)}")


def sweep(gold: Sequence[str], probs: Sequence[dict[str, float] | None], labels: Sequence[str], label: str,
          cost: float, candidates: Sequence[float] = CANDIDATES) -> list[SweepRow]:
    """The argmax and each candidate minimum on ``label``, scored against ``gold`` (``None`` probs: a text
    that ended as an error, wrong under every candidate)."""
    check_sweep_label(label, labels)
    if len(gold) != len(probs):
        raise ValueError(f"{len(gold)} gold labels but {len(probs)} distributions")
    rows = []
    for minimum in (None, *candidates):
        floor = {} if minimum is None else {label: minimum}
        predicted = [None if p is None else decide(p, floor) for p in probs]
        scores = score_classes(gold, predicted, labels)
        false = sum(scores.confusion[g].get(label, 0) for g in labels if g != label)
        wrong = scores.n - sum(scores.confusion[g].get(g, 0) for g in labels)
        rows.append(SweepRow(minimum, scores, false, wrong, cost * false + (wrong - false)))
    return rows


def pick(rows: Sequence[SweepRow], cost: float = 1.0) -> SweepRow:
    """The row of least cost. Of several tied (the split shows no difference between them), the one at
    ``cost / (1 + cost)`` of the way from the lowest to the highest minimum: the middle when every error
    costs the same, toward the cautious end when a false label costs more, as the Bayes rule puts its
    threshold at ``cost / (1 + cost)``."""
    if not rows:
        raise ValueError("no sweep rows to pick from")
    least = min(r.cost for r in rows)
    tied = [r for r in rows if r.cost == least]
    return tied[int((len(tied) - 1) * cost / (1 + cost) + 0.5)]


def sweep_record(rows: Sequence[SweepRow], label: str, cost: float) -> dict[str, Any]:
    """The sweep as a report records it: the label, the cost, every row and the pick."""
    return {"label": label, "cost": cost, "picked": pick(rows, cost).min_score, "rows": [r.to_dict() for r in rows]}


def sweep_markdown(record: dict[str, Any]) -> str:
    """A :func:`sweep_record` as a Markdown table, the picked row in bold."""
    label, rows = record["label"], record["rows"]
    labels = list(rows[0]["recall"]) if rows else []
    head = ["min score", "accuracy", "macro-F1", f"others given {label}", "errors", "cost",
            *[f"{lab} R" for lab in labels]]
    title = (f"### minimum score on {label}: a text of another class given {label} costs {record['cost']:g}, "
             f"any other error 1; picked: {_minimum(record['picked'])}")
    lines = [title, "", "| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for r in rows:
        cells = [_minimum(r["min_score"]), f"{100 * r['accuracy']:.1f}", f"{r['macro_f1']:.3f}",
                 str(r["false_label"]), str(r["wrong"]), f"{r['cost']:g}",
                 *[f"{100 * r['recall'][lab]:.2f}" for lab in labels]]
        if r["min_score"] == record["picked"]:
            cells = [f"**{c}**" for c in cells]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _minimum(value: float | None) -> str:
    return "argmax" if value is None else f"{value:g}"
