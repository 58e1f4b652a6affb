"""Token-classification data: examples -> labelled token windows for training; scoring a classifier.

Words and labels are those of :mod:`extractor.tokens` (first-subword labelling, the rest -100),
so a model is scored on exactly the spans it is served with.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from extractor.tokens.classifier import TokenClassifier
from training.examples import Example


@dataclass
class Rows:
    """Tokenised windows: ``input_ids``, ``labels`` (-100 where not trained) and ``length`` columns."""

    columns: dict[str, list[Any]]
    skipped: int = 0

    def __len__(self) -> int:
        return len(self.columns["input_ids"])


def build_rows(examples: Sequence[Example], tokenizer: Any, bio: Sequence[str], labels: Sequence[str],
               max_seq_len: int, overlap: int) -> Rows:
    """Windows of every example; spans with labels outside ``labels`` are tagged O, examples whose spans
    do not fall on word boundaries (or overlap) are skipped and counted."""
    from extractor.tokens.windows import labelled_windows

    label2id = {b: i for i, b in enumerate(bio)}
    keep = set(labels)
    cols: dict[str, list[Any]] = {"input_ids": [], "labels": [], "length": []}
    skipped = 0
    for ex in examples:
        spans = [(s.start, s.end, s.label) for s in ex.spans if s.label in keep]
        try:
            windows = labelled_windows(tokenizer, ex.text, spans, label2id, max_seq_len, overlap)
        except ValueError:
            skipped += 1
            continue
        for ids, labs in windows:
            cols["input_ids"].append(ids)
            cols["labels"].append(labs)
            cols["length"].append(len(ids))
    return Rows(cols, skipped)


def score_examples(classifier: TokenClassifier, examples: Sequence[Example],
                   labels: Sequence[str] | None = None) -> dict[str, float]:
    """Strict micro P/R/F1 (and partial F1) of ``classifier`` on ``examples``, restricted to ``labels``
    (default: the classifier's)."""
    return score_dev_sets(classifier, {"all": examples}, labels)


def set_key(spec: str) -> str:
    """Metric-name form of a data spec: ``kind:WN_dev`` -> ``kind_WN_dev``."""
    return "".join(c if c.isalnum() else "_" for c in spec).strip("_") or "set"


def score_dev_sets(classifier: TokenClassifier, sets: Mapping[str, Sequence[Example]],
                   labels: Sequence[str] | None = None) -> dict[str, float]:
    """Scores over all ``sets`` pooled (as :func:`score_examples`) and, for more than one set,
    ``f1_<set>`` for each and ``f1_mean``, their mean: one domain counts as much as another.

    The texts go through the classifier once, all sets together.
    """
    from training.examples import Span
    from training.metrics import score

    examples = [ex for exs in sets.values() for ex in exs]
    if not examples:
        return {}
    labels = classifier.entity_labels if labels is None else labels
    predicted = classifier.extract_texts([ex.text for ex in examples])
    pred = [[Span(e.start, e.end, e.label) for e in ents if e.start is not None and e.end is not None]
            for ents in predicted]
    scores = score([ex.spans for ex in examples], pred, labels)
    strict = scores.strict.micro
    out = {"precision": strict.precision, "recall": strict.recall, "f1": strict.f1,
           "partial_f1": scores.partial.micro.f1, "examples": len(examples)}
    if len(sets) > 1:
        at = 0
        per = []
        for name, exs in sets.items():
            part = score([ex.spans for ex in exs], pred[at:at + len(exs)], labels).strict.micro.f1
            at += len(exs)
            out[f"f1_{set_key(name)}"] = part
            per.append(part)
        out["f1_mean"] = sum(per) / len(per)
    return out
