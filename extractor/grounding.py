"""Grounding: map each (surface form, label) the model emitted to character offsets.

Policy, in order:
1. exact occurrences of the surface form at word boundaries;
2. else case-insensitive, whitespace-insensitive, apostrophe-variant-insensitive matches;
3. else the same two without word boundaries; else (after trimming stray punctuation) again.
Every occurrence of an emitted surface form is an entity (mention-level NER). When one
surface form was emitted with different labels, the i-th occurrence takes the i-th label
(the last one for the rest). Overlapping spans keep the longer one. Forms that match
nowhere are dropped and counted, or kept flagged ``grounded=False``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .records import Entity

_APOSTROPHES = "'’‘`´"
_TRIM = " \t\n\r.,;:!?\"«»()[]{}"


@dataclass(frozen=True)
class GroundingResult:
    entities: list[Entity]
    dropped: int


def _at_boundary(text: str, start: int, end: int) -> bool:
    if start > 0 and text[start].isalnum() and text[start - 1].isalnum():
        return False
    return not (end < len(text) and text[end - 1].isalnum() and text[end].isalnum())


def _fuzzy_pattern(surface: str) -> re.Pattern[str]:
    parts: list[str] = []
    for chunk in re.split(r"(\s+)", surface):
        if not chunk:
            continue
        if chunk.isspace():
            parts.append(r"\s+")
        else:
            parts.append("".join(f"[{_APOSTROPHES}]" if c in _APOSTROPHES else re.escape(c) for c in chunk))
    return re.compile("".join(parts), re.IGNORECASE)


def find_occurrences(text: str, surface: str) -> list[tuple[int, int]]:
    """Spans of ``surface`` in ``text`` by the module's matching policy (may be empty)."""
    candidates = [surface.strip()]
    trimmed = surface.strip(_TRIM)
    if trimmed and trimmed != candidates[0]:
        candidates.append(trimmed)
    for form in candidates:
        if not form:
            continue
        exact = [(m.start(), m.start() + len(form)) for m in re.finditer(re.escape(form), text)]
        fuzzy = [(m.start(), m.end()) for m in _fuzzy_pattern(form).finditer(text)]
        for spans in (exact, fuzzy):
            bounded = [s for s in spans if _at_boundary(text, *s)]
            if bounded:
                return bounded
        if exact or fuzzy:
            return exact or fuzzy
    return []


def ground(text: str, predictions: Iterable[tuple[str, str]], *, offset: int = 0, keep_ungrounded: bool = False) -> GroundingResult:
    """Ground ``predictions`` in ``text``; offsets are shifted by ``offset``."""
    by_form: dict[str, list[str]] = {}
    order: list[str] = []
    for surface, label in predictions:
        key = surface.strip()
        if not key:
            continue
        if key not in by_form:
            by_form[key] = []
            order.append(key)
        by_form[key].append(label)

    found: list[Entity] = []
    dropped = 0
    ungrounded: list[Entity] = []
    for form in order:
        labels = by_form[form]
        spans = find_occurrences(text, form)
        if not spans:
            dropped += len(set(labels))
            if keep_ungrounded:
                ungrounded += [Entity(form, lab, None, None, grounded=False, source="model") for lab in dict.fromkeys(labels)]
            continue
        for i, (s, e) in enumerate(spans):
            label = labels[min(i, len(labels) - 1)]
            found.append(Entity(text[s:e], label, s + offset, e + offset, source="model"))
    return GroundingResult(resolve_overlaps(found) + ungrounded, dropped)


def resolve_overlaps(entities: Sequence[Entity]) -> list[Entity]:
    """Drop duplicates and overlapping spans, keeping the longer (then earlier) span; sorted."""
    ranked = sorted(
        (e for e in entities if e.start is not None),
        key=lambda e: (-(e.end - e.start), e.start),  # type: ignore[operator]
    )
    kept: list[Entity] = []
    for ent in ranked:
        if all(ent.end <= k.start or ent.start >= k.end for k in kept):  # type: ignore[operator]
            kept.append(ent)
    return sorted(kept, key=lambda e: (e.start, e.end))
