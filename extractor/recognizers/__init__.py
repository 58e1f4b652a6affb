"""Exact recognizers for the pattern labels (EMAIL, PHONE, IBAN, CODICE_FISCALE, PARTITA_IVA, MONEY, DATE).

Each recognizer owns one label and yields entities with exact offsets (``text[start:end]``
is the entity text), ``source="pattern"``, never across a line break; identifiers carry
``valid`` from their check digits. :func:`merge_entities` folds them with model spans.
"""

from __future__ import annotations

from .base import Recognizer
from .merge import has_shape, merge_entities
from .overlaps import LABEL_PRIORITY, resolve_overlaps
from .registry import PATTERN_LABELS, RECOGNIZERS, recognize

__all__ = [
    "LABEL_PRIORITY",
    "PATTERN_LABELS",
    "RECOGNIZERS",
    "Recognizer",
    "has_shape",
    "merge_entities",
    "recognize",
    "resolve_overlaps",
]
