"""Entity-level precision, recall and F1 over character spans.

Two matching modes, both micro-averaged and per label:

* ``strict``: a prediction is a true positive when a gold span has the same start, end and
  label (equal to seqeval's entity-level scores on the same BIO tags);
* ``partial``: same label and overlapping ranges. Exact matches are paired first, then each
  remaining prediction (in text order) takes the unmatched same-label gold span it overlaps
  most; each gold span and each prediction is matched at most once.

Conventions, so that nothing scores well by default: precision is 0.0 when nothing was
predicted, recall is 0.0 when there is no gold, F1 is 0.0 unless both are positive. With no
gold and no predictions at all every value is 0.0, all counts are 0 and ``defined`` is False:
"empty vs empty" is not a perfect score, it is no evidence. Look at the counts.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from training.bio import spans_to_bio
from training.examples import Example, Span

__all__ = ["PRF", "MatchScores", "Scores", "labels_of", "per_domain", "score", "spans_to_bio"]

MODES = ("strict", "partial")


@dataclass(frozen=True)
class PRF:
    """Counts for one label (or the micro total) and the ratios derived from them."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p > 0 and r > 0 else 0.0

    @property
    def support(self) -> int:
        """Number of gold spans."""
        return self.tp + self.fn

    @property
    def predicted(self) -> int:
        """Number of predicted spans."""
        return self.tp + self.fp

    @property
    def defined(self) -> bool:
        """False when there was neither gold nor prediction: the ratios carry no information."""
        return self.tp + self.fp + self.fn > 0

    def __add__(self, other: PRF) -> PRF:
        return PRF(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    def to_dict(self) -> dict[str, Any]:
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "support": self.support,
            "predicted": self.predicted,
            "defined": self.defined,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PRF:
        return cls(int(d["tp"]), int(d["fp"]), int(d["fn"]))


@dataclass(frozen=True)
class MatchScores:
    """Micro total and per-label counts for one matching mode."""

    micro: PRF
    per_label: dict[str, PRF]

    def to_dict(self) -> dict[str, Any]:
        return {"micro": self.micro.to_dict(), "per_label": {k: v.to_dict() for k, v in self.per_label.items()}}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MatchScores:
        return cls(PRF.from_dict(d["micro"]), {k: PRF.from_dict(v) for k, v in d["per_label"].items()})


@dataclass(frozen=True)
class Scores:
    """Strict and partial scores over ``n_examples`` texts, restricted to ``labels``."""

    strict: MatchScores
    partial: MatchScores
    labels: tuple[str, ...]
    n_examples: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "labels": list(self.labels),
            "n_examples": self.n_examples,
            "strict": self.strict.to_dict(),
            "partial": self.partial.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Scores:
        return cls(
            strict=MatchScores.from_dict(d["strict"]),
            partial=MatchScores.from_dict(d["partial"]),
            labels=tuple(d["labels"]),
            n_examples=int(d["n_examples"]),
        )


def _strict_tp(gold: Sequence[Span], pred: Sequence[Span]) -> Counter[str]:
    """True positives per label (multiset intersection of exact spans)."""
    common = Counter(gold) & Counter(pred)
    tp: Counter[str] = Counter()
    for span, n in common.items():
        tp[span.label] += n
    return tp


def _partial_tp(gold: Sequence[Span], pred: Sequence[Span]) -> Counter[str]:
    """True positives per label under overlap matching (exact pairs first, then greedy)."""
    free_gold = list(gold)
    leftover: list[Span] = []
    tp: Counter[str] = Counter()
    for p in sorted(pred):
        if p in free_gold:
            free_gold.remove(p)
            tp[p.label] += 1
        else:
            leftover.append(p)
    for p in leftover:
        candidates = [g for g in free_gold if g.label == p.label and g.overlaps(p)]
        if candidates:
            best = max(candidates, key=lambda g: (g.overlap(p), -g.start, -g.end))
            free_gold.remove(best)
            tp[p.label] += 1
    return tp


def score(
    gold: Sequence[Sequence[Span]],
    pred: Sequence[Sequence[Span]],
    labels: Collection[str] | None = None,
) -> Scores:
    """Score predicted spans against gold spans, text by text.

    ``gold[i]`` and ``pred[i]`` are the spans of the i-th text. ``labels`` restricts scoring
    to those labels: gold and predicted spans with any other label are ignored (KIND has only
    PER/LOC/ORG, so a model's DATE predictions must not count as errors). Per-label entries
    cover every label in ``labels`` (or every label seen when None), zero counts included.
    """
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold texts but {len(pred)} predictions")
    keep = None if labels is None else frozenset(labels)
    counts: dict[str, dict[str, list[int]]] = {m: defaultdict(lambda: [0, 0, 0]) for m in MODES}
    seen: set[str] = set(keep or ())
    for g_spans, p_spans in zip(gold, pred, strict=True):
        g = [s for s in g_spans if keep is None or s.label in keep]
        p = [s for s in p_spans if keep is None or s.label in keep]
        n_gold = Counter(s.label for s in g)
        n_pred = Counter(s.label for s in p)
        seen.update(n_gold, n_pred)
        for mode, tp in (("strict", _strict_tp(g, p)), ("partial", _partial_tp(g, p))):
            for label in set(n_gold) | set(n_pred):
                c = counts[mode][label]
                c[0] += tp[label]
                c[1] += n_pred[label] - tp[label]
                c[2] += n_gold[label] - tp[label]
    ordered = tuple(sorted(seen))

    def build(mode: str) -> MatchScores:
        per_label = {label: PRF(*counts[mode].get(label, (0, 0, 0))) for label in ordered}
        return MatchScores(micro=sum(per_label.values(), PRF()), per_label=per_label)

    return Scores(strict=build("strict"), partial=build("partial"), labels=ordered, n_examples=len(gold))


def per_domain(
    examples: Sequence[Example],
    pred: Sequence[Sequence[Span]],
    labels: Collection[str] | None = None,
) -> dict[str, Scores]:
    """:func:`score` on each group of examples sharing ``Example.domain`` (None -> ``"(none)"``)."""
    if len(examples) != len(pred):
        raise ValueError(f"{len(examples)} examples but {len(pred)} predictions")
    groups: dict[str, list[int]] = defaultdict(list)
    for i, ex in enumerate(examples):
        groups["(none)" if ex.domain is None else ex.domain].append(i)
    return {
        domain: score([examples[i].spans for i in idx], [pred[i] for i in idx], labels)
        for domain, idx in sorted(groups.items())
    }


def labels_of(examples: Iterable[Example]) -> list[str]:
    """The sorted set of gold labels in ``examples`` (a default for ``labels``)."""
    return sorted({s.label for ex in examples for s in ex.spans})


def _token_label(spans: Sequence[Span], start: int, end: int) -> str | None:
    for span in spans:
        if span.start < end and start < span.end:
            return span.label
    return None


def token_level_f1(examples: Sequence[Example], predicted: Sequence[Sequence[Span]],
                   labels: Iterable[str] | None = None) -> dict[str, Any] | None:
    """Token-level micro and per-label P/R/F1 as NERMuD's official scorer counts them.

    Each original token of the data set (``Example.token_offsets``) takes the label of the
    span covering it, B-/I- prefixes dropped; a token is a true positive when gold and
    prediction give it the same entity label. ``None`` when the examples carry no tokens.
    """
    keep = None if labels is None else set(labels)
    counts: Counter[tuple[str, str]] = Counter()
    seen = False
    for ex, pred in zip(examples, predicted, strict=True):
        if ex.token_offsets is None:
            continue
        seen = True
        for start, end in ex.token_offsets:
            gold, guess = _token_label(ex.spans, start, end), _token_label(pred, start, end)
            if keep is not None:
                gold = gold if gold in keep else None
                guess = guess if guess in keep else None
            if gold is not None and gold == guess:
                counts[gold, "tp"] += 1
                continue
            if guess is not None:
                counts[guess, "fp"] += 1
            if gold is not None:
                counts[gold, "fn"] += 1
    if not seen:
        return None
    names = sorted(keep if keep is not None else {label for label, _ in counts})
    per_label = {n: PRF(counts[n, "tp"], counts[n, "fp"], counts[n, "fn"]) for n in names}
    micro = sum(per_label.values(), PRF())
    return {"micro": micro.to_dict(), "per_label": {n: p.to_dict() for n, p in per_label.items()}}
