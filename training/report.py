"""Evaluation reports: scores plus the run's metadata, as JSON and Markdown."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from training.examples import Example, Span
from training.metrics import MODES, PRF, Scores, per_domain, score

REPORT_VERSION = 1


@dataclass
class Report:
    """One evaluation run: which model/adapter/prompting, on which data, how well and how fast."""

    model: str
    adapter: str | None
    shots: int
    data: str
    n_examples: int
    scores: Scores
    per_domain: dict[str, Scores] = field(default_factory=dict)
    messages_per_s: float | None = None
    tokens_per_s: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def f1(self) -> float:
        """Strict micro F1, the headline number."""
        return self.scores.strict.micro.f1

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": REPORT_VERSION,
            "model": self.model,
            "adapter": self.adapter,
            "shots": self.shots,
            "data": self.data,
            "n_examples": self.n_examples,
            "messages_per_s": self.messages_per_s,
            "tokens_per_s": self.tokens_per_s,
            "scores": self.scores.to_dict(),
            "per_domain": {k: v.to_dict() for k, v in self.per_domain.items()},
            "extra": self.extra,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Report:
        return cls(
            model=d["model"],
            adapter=d.get("adapter"),
            shots=int(d.get("shots", 0)),
            data=d["data"],
            n_examples=int(d["n_examples"]),
            scores=Scores.from_dict(d["scores"]),
            per_domain={k: Scores.from_dict(v) for k, v in (d.get("per_domain") or {}).items()},
            messages_per_s=d.get("messages_per_s"),
            tokens_per_s=d.get("tokens_per_s"),
            extra=dict(d.get("extra") or {}),
        )

    def to_json(self, path: str | Path) -> Path:
        """Write the report (UTF-8, indented); parent folders are created."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        return path

    @classmethod
    def from_json(cls, path: str | Path) -> Report:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    @property
    def title(self) -> str:
        """``model + adapter (k-shot)``."""
        adapter = f" + {self.adapter}" if self.adapter else ""
        return f"{self.model}{adapter} ({self.shots}-shot)"

    def to_markdown(self) -> str:
        """Header, one P/R/F1/support table per matching mode, and per-domain micro scores."""
        lines = [f"## {self.title} on {self.data}", ""]
        lines.append(f"- examples: {self.n_examples}")
        lines.append(f"- messages/s: {_num(self.messages_per_s)}; tokens/s: {_num(self.tokens_per_s)}")
        for key, value in self.extra.items():
            if key != "token_level":
                lines.append(f"- {key}: {value}")
        for mode in MODES:
            match = getattr(self.scores, mode)
            lines += ["", f"### {mode} match", "", "| label | P | R | F1 | support | predicted |",
                      "|---|---:|---:|---:|---:|---:|"]
            rows = [*match.per_label.items(), ("**micro**", match.micro)]
            lines += [_row(label, prf) for label, prf in rows]
        token_level = self.extra.get("token_level")
        if token_level:
            lines += ["", "### token level (as NERMuD's scorer counts it: B-/I- dropped, per token)", "",
                      "| label | P | R | F1 |", "|---|---:|---:|---:|"]
            rows = [*token_level["per_label"].items(), ("**micro**", token_level["micro"])]
            lines += [f"| {label} | {_pct(d['precision'])} | {_pct(d['recall'])} | {_pct(d['f1'])} |" for label, d in rows]
        if self.per_domain:
            lines += ["", "### per domain (strict / partial micro)", "",
                      "| domain | examples | P | R | F1 | partial F1 | support |", "|---|---:|---:|---:|---:|---:|---:|"]
            for domain, s in self.per_domain.items():
                m = s.strict.micro
                lines.append(f"| {domain} | {s.n_examples} | {_pct(m.precision)} | {_pct(m.recall)} | {_pct(m.f1)} "
                             f"| {_pct(s.partial.micro.f1)} | {m.support} |")
        return "\n".join(lines) + "\n"


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def _num(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f}"


def _row(label: str, prf: PRF) -> str:
    cells = [_pct(prf.precision), _pct(prf.recall), _pct(prf.f1)] if prf.defined else ["n/a"] * 3
    return f"| {label} | {' | '.join(cells)} | {prf.support} | {prf.predicted} |"


def evaluate_predictions(
    examples: Sequence[Example],
    predicted_spans: Sequence[Sequence[Span]],
    labels: Collection[str] | None,
    *,
    model: str,
    adapter: str | None = None,
    shots: int = 0,
    data: str = "",
    messages_per_s: float | None = None,
    tokens_per_s: float | None = None,
    extra: dict[str, Any] | None = None,
) -> Report:
    """Score ``predicted_spans[i]`` against ``examples[i].spans`` and wrap the result in a Report.

    ``labels`` restricts scoring (see :func:`training.metrics.score`); pass
    :func:`training.metrics.labels_of` of the examples, or the dataset's label set, to ignore
    labels the dataset does not annotate. None scores every label.
    """
    if len(examples) != len(predicted_spans):
        raise ValueError(f"{len(examples)} examples but {len(predicted_spans)} predictions")
    domains = per_domain(examples, predicted_spans, labels) if any(ex.domain for ex in examples) else {}
    return Report(
        model=model,
        adapter=adapter,
        shots=shots,
        data=data,
        n_examples=len(examples),
        scores=score([ex.spans for ex in examples], predicted_spans, labels),
        per_domain=domains,
        messages_per_s=messages_per_s,
        tokens_per_s=tokens_per_s,
        extra=dict(extra or {}),
    )
