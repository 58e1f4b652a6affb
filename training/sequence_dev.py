"""What the sequence trainer does with labelled texts besides training on them: the rows it trains on,
the class weights of its loss, its dev scores, and the minimum score it picks on dev for the adapter to
record (:mod:`training.class_sweep`), all from the served code's tokenising and decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from extractor.class_decision import decide
from extractor.sequence.classifier import SequenceClassifier, encode_for_head
from training.class_sweep import sweep, sweep_record
from training.classify_data import LabelledText
from training.classify_report import score_classes

CLASS_WEIGHTINGS = ("none", "balanced")
"""How the training loss weighs the classes."""


def encode_rows(texts: Sequence[LabelledText], tokenizer: Any, label_ids: dict[str, int], max_len: int,
                pad_id: int) -> dict[str, list[Any]]:
    """Columns for the trainer: ``input_ids``, ``labels`` (class id) and ``length`` (for length grouping)."""
    ids = [encode_for_head(tokenizer, ex.text, max_len, pad_id) for ex in texts]
    return {"input_ids": ids, "labels": [label_ids[ex.label] for ex in texts], "length": [len(x) for x in ids]}


def accuracy(classifier: SequenceClassifier, texts: Sequence[LabelledText]) -> dict[str, float]:
    """Accuracy and macro-F1 of ``classifier`` on ``texts``."""
    predicted = [label for label, _ in classifier.classify([ex.text for ex in texts])]
    return _dev_metrics([ex.label for ex in texts], predicted, classifier.labels)


def _dev_metrics(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> dict[str, float]:
    scores = score_classes(gold, predicted, labels)
    return {"accuracy": scores.accuracy, "macro_f1": scores.macro_f1, "examples": len(gold)}


def dev_decision(classifier: SequenceClassifier, texts: Sequence[LabelledText], label: str | None,
                 cost: float) -> tuple[dict[str, float], dict[str, Any]]:
    """One pass over ``texts``: the argmax scores (as :func:`accuracy`) and, when ``label`` is given, the
    metadata that records the minimum score picked for it (``min_scores``, none when the argmax is
    best) and the sweep it was picked from (``min_score_sweep``)."""
    gold = [ex.label for ex in texts]
    probs = classifier.distributions([ex.text for ex in texts])
    metrics = _dev_metrics(gold, [decide(p, {}) for p in probs], classifier.labels)  # the argmax, as while training
    if label is None:
        return metrics, {}
    record = sweep_record(sweep(gold, list(probs), classifier.labels, label, cost), label, cost)
    picked = record["picked"]
    return metrics, {"min_scores": None if picked is None else {label: picked}, "min_score_sweep": record}


def class_weights(texts: Sequence[LabelledText], labels: Sequence[str], how: str) -> list[float] | None:
    """Per-class loss weights in ``labels`` order: ``None`` for ``none``; for ``balanced``
    ``n / (k * n_class)`` with ``k`` the classes present (a balanced set gets all ones). A class with no
    training text gets 1.0 (it is never a target, so its weight never counts)."""
    if how == "none":
        return None
    if how not in CLASS_WEIGHTINGS:
        raise ValueError(f"class_weights must be one of {', '.join(CLASS_WEIGHTINGS)}")
    counts = {label: 0 for label in labels}
    for ex in texts:
        counts[ex.label] += 1
    present = [n for n in counts.values() if n]
    if not present:
        raise ValueError("no training texts to weigh the classes on")
    return [len(texts) / (len(present) * n) if n else 1.0 for n in counts.values()]
