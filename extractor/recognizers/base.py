"""What every recognizer shares: the protocol, the entity constructor and the same-line lead-in lookup."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Protocol

from ..records import Entity

SPACE = r"[ \t\u00a0\u202f]"
"""One blank inside a line (never a line break)."""

LEAD_IN_WINDOW = 40
"""How many characters before a candidate, on its line, a lead-in keyword is looked for."""


class Recognizer(Protocol):
    """Finds every span of one label in a text, with exact offsets."""

    label: str

    def find(self, text: str) -> Iterator[Entity]: ...


def pattern_entity(text: str, label: str, start: int, end: int, valid: bool | None = None) -> Entity:
    """An entity of ``text[start:end]`` found by a recognizer."""
    return Entity(text[start:end], label, start, end, valid=valid, source="pattern")


def lead_in(text: str, start: int, keywords: re.Pattern[str], window: int = LEAD_IN_WINDOW) -> re.Match[str] | None:
    """The keyword that introduces the candidate at ``start``, or None.

    That is the last match of ``keywords`` in the ``window`` characters before ``start`` on
    the same line, provided no digit stands between it and the candidate (a keyword
    followed by another number introduces that number, not this one).
    """
    line_start = text.rfind("\n", 0, start) + 1
    before = text[max(line_start, start - window) : start]
    last = None
    for m in keywords.finditer(before):
        last = m
    if last is None or any(c.isdigit() for c in before[last.end() :]):
        return None
    return last
