"""Merging model spans with recognizer spans: one rule.

1. Recognizer spans are all kept (they are exact by construction).
2. A model span that overlaps a recognizer span of another label is dropped (a phone
   number the model tagged DATE, an ORG that swallowed a P.IVA).
3. For a label in ``pattern_labels`` the recognizer wins: a model span of that label is
   kept only when it overlaps no recognizer span (it adds one the recognizer missed), its
   text alone has the label's shape (the label's recognizer finds exactly that text) and
   ``validate`` does not reject it. A model "IBAN" that is not IBAN-shaped is dropped.
4. Labels without a recognizer (PER, ORG, LOC...) are the model's.
5. Overlaps left are resolved by :func:`resolve_overlaps`: longest span first, then
   :data:`LABEL_PRIORITY`, then earliest start.

Entities of a header (``field`` set: their offsets are in that header, not in the body) and
ungrounded model entities (``start`` None) pass through unchanged, in that order after the
body's entities. Body model entities without a ``source`` get ``source="model"``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from ..records import Entity
from .overlaps import resolve_overlaps
from .registry import RECOGNIZERS


def _overlaps(a: Entity, b: Entity) -> bool:
    return a.start < b.end and b.start < a.end  # type: ignore[operator]


def has_shape(entity: Entity) -> bool:
    """True when the label's recognizer finds exactly ``entity.text`` in it (labels without one: True)."""
    recognizer = RECOGNIZERS.get(entity.label)
    if recognizer is None:
        return True
    return any(e.start == 0 and e.end == len(entity.text) for e in recognizer.find(entity.text))


def _passes(entity: Entity, validate: Callable[[Entity], bool | None] | None) -> bool:
    return has_shape(entity) and (validate is None or validate(entity) is not False)


def merge_entities(
    model: Iterable[Entity],
    pattern: Iterable[Entity],
    pattern_labels: set[str] | frozenset[str],
    validate: Callable[[Entity], bool | None] | None = None,
) -> list[Entity]:
    """Model and recognizer entities of one text merged by the module's rule, sorted by offset."""
    found = [e for e in pattern if e.start is not None and e.field is None]
    kept = list(found)
    headers: list[Entity] = []
    ungrounded: list[Entity] = []
    for ent in model:
        if ent.start is None:
            ungrounded.append(ent)
            continue
        if ent.field is not None:
            headers.append(ent)
            continue
        if ent.source is None:
            ent = replace(ent, source="model")
        clashes = [p for p in found if _overlaps(ent, p)]
        if any(p.label != ent.label for p in clashes):
            continue
        if ent.label in pattern_labels and (clashes or not _passes(ent, validate)):
            continue
        kept.append(ent)
    return resolve_overlaps(kept) + headers + ungrounded
