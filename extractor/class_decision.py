"""Which label a message gets from its class probabilities: the most probable one, unless a minimum score
says otherwise.

A class whose errors cost unequally (a real mail lost to ``spam`` costs more than a spam let through)
is decided with a *minimum score* on the costly label: ``spam`` is given only when its probability
reaches it, else the most probable of the other labels. Methods that score classes (the sequence
head) apply it; ``--min-score spam=P`` sets it, an adapter's metadata ``min_scores`` records one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from .errors import ConfigError

MinScores = tuple[tuple[str, float], ...]
"""``(label, minimum probability)`` pairs; a label not named has no minimum."""


def parse_min_scores(specs: Iterable[str], flag: str = "--min-score") -> MinScores:
    """``("spam=0.9",)`` -> ``(("spam", 0.9),)``; ``ConfigError`` for a malformed spec, a repeated label
    or a probability outside (0, 1)."""
    out: dict[str, float] = {}
    for spec in specs:
        label, sep, value = spec.partition("=")
        label = label.strip()
        try:
            score = float(value) if sep and label else None
        except ValueError:
            score = None
        if score is None:
            raise ConfigError(f"{flag} {spec!r}: expected LABEL=P, e.g. {flag} spam=0.9")
        if label in out:
            raise ConfigError(f"{flag} names {label} twice: pass one minimum per label")
        out[label] = score
    pairs = tuple(out.items())
    check_range(pairs, flag)
    return pairs


def check_range(min_scores: MinScores, where: str) -> None:
    """``ConfigError`` unless every minimum is a probability strictly between 0 and 1."""
    for label, score in min_scores:
        if not 0.0 < score < 1.0:
            raise ConfigError(f"{where}: the minimum score of {label} is {score}, not a probability between 0 and 1")


def from_metadata(value: object, where: str) -> MinScores:
    """An adapter's recorded ``min_scores`` (``{label: p}``), checked; ``()`` when it records none."""
    if value is None:
        return ()
    if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, int | float) and not isinstance(v, bool) for k, v in value.items()):
        raise ConfigError(f"{where}: min_scores must map labels to probabilities, e.g. {{\"spam\": 0.9}}")
    pairs = tuple((k, float(v)) for k, v in value.items())
    check_range(pairs, where)
    return pairs


def check_labels(min_scores: MinScores, labels: Sequence[str], where: str) -> None:
    """``ConfigError`` when a minimum names a label that ``labels`` (the class's) lack."""
    unknown = [label for label, _ in min_scores if label not in labels]
    if unknown:
        raise ConfigError(f"{where}: a minimum score for {', '.join(unknown)}, but the labels are {', '.join(labels)}")


def decide(probs: Mapping[str, float], min_scores: Mapping[str, float]) -> str:
    """The label a text gets from its label probabilities: the most probable label that reaches its minimum
    (ties in label order); when every label falls short of its own, the most probable."""
    order = sorted(probs, key=lambda label: -probs[label])
    for label in order:
        if probs[label] >= min_scores.get(label, 0.0):
            return label
    return order[0]


SCORING_METHODS = ("sequence",)
"""The methods that give every class label a probability, so a minimum score can decide."""


def check_scored(asked: bool, method: str, flag: str = "--min-score") -> None:
    """``ConfigError`` when minimum scores are ``asked`` of a method that gives no class probabilities."""
    if asked and method not in SCORING_METHODS:
        raise ConfigError(f"{flag} needs a method that scores classes ({', '.join(SCORING_METHODS)}: a "
                          f"sequence-classification adapter); the {method} method gives labels without scores")
