"""The recognizers by label, and running a set of them over one text."""

from __future__ import annotations

from collections.abc import Iterable

from ..records import Entity
from .base import Recognizer
from .contact import EmailRecognizer, PhoneRecognizer
from .dates import DateRecognizer
from .identifiers import CodiceFiscaleRecognizer, IbanRecognizer, PartitaIvaRecognizer
from .money import MoneyRecognizer
from .overlaps import resolve_overlaps

RECOGNIZERS: dict[str, Recognizer] = {
    r.label: r
    for r in (
        EmailRecognizer(), PhoneRecognizer(), IbanRecognizer(), CodiceFiscaleRecognizer(), PartitaIvaRecognizer(),
        MoneyRecognizer(), DateRecognizer(),
    )
}  # fmt: skip
"""Label -> the recognizer that owns it."""

PATTERN_LABELS = frozenset(RECOGNIZERS)
"""The labels an exact recognizer owns."""


def recognize(text: str, labels: Iterable[str]) -> list[Entity]:
    """Every span the recognizers of ``labels`` find in ``text``, overlaps resolved, sorted by offset."""
    wanted = set(labels)
    found = [e for label, r in RECOGNIZERS.items() if label in wanted for e in r.find(text)]
    return resolve_overlaps(found)
