"""The one overlap rule shared by the recognizers and the merge with model spans."""

from __future__ import annotations

from collections.abc import Iterable

from ..records import Entity

LABEL_PRIORITY: tuple[str, ...] = (
    "IBAN", "CODICE_FISCALE", "PARTITA_IVA", "EMAIL", "PHONE", "MONEY", "DATE", "ORG", "PER", "LOC",
)  # fmt: skip
"""Which label wins between two overlapping spans of equal length: identifiers with check
digits first, then the other pattern labels from the most to the least specific shape, then
the model's labels (an institution named after its city is an ORG). Other labels come after,
alphabetically."""


def _rank(label: str) -> tuple[int, str]:
    try:
        return LABEL_PRIORITY.index(label), ""
    except ValueError:
        return len(LABEL_PRIORITY), label


def resolve_overlaps(entities: Iterable[Entity]) -> list[Entity]:
    """Keep non-overlapping grounded spans: longest first, then label priority, then earliest start.

    Exact duplicates collapse to one; the result is sorted by offset. Ungrounded entities
    (``start`` None) are not considered here.
    """
    ranked = sorted(
        (e for e in entities if e.start is not None and e.end is not None),
        key=lambda e: (-(e.end - e.start), _rank(e.label), e.start),  # type: ignore[operator]
    )
    kept: list[Entity] = []
    for ent in ranked:
        if all(ent.end <= k.start or ent.start >= k.end for k in kept):  # type: ignore[operator]
            kept.append(ent)
    return sorted(kept, key=lambda e: (e.start, e.end))  # type: ignore[arg-type, return-value]
