"""Calendar dates as written, with an attached weekday: a compact grammar over Italian and English forms.

Forms: numeric ``03/11/2025``, ``3.11.2025``, ``03-11-25``, ``2025-11-03`` and, with a slash
only, ``07/10`` (a dotted ``10.30`` is a time or an amount); written ``12 settembre 2025``,
``1° dicembre``, ``martedì 4 novembre``, ``lun 3 nov 2025``, ``3 nov. 2025``; English
``Wed, 5 Nov 2025``, ``November 5, 2025``, ``5th November 2025``. A lower-case month
abbreviation (``3 mar``, ``2 set``) needs a dot, a year or a weekday to count (a title-case
one does not). Day and month are checked against the calendar (29 February only in leap
years when the year is written).

Ranges give their explicit dates: in ``dal 3 al 7 novembre`` only ``7 novembre`` is a
complete date (``3`` alone is not one), ``dal 03/11 al 07/11`` gives both. Not dates: times,
month-only or year-only mentions, bare weekdays, relative words, street names and house
numbers (``Piazza 4 Novembre``, ``Via Roma 10/12``), document numbers (``n. 12/10``).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Iterator

from ..records import Entity
from .base import SPACE, pattern_entity

MONTHS: dict[str, int] = {
    **{m: i for i, m in enumerate(("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto",
                                   "settembre", "ottobre", "novembre", "dicembre"), 1)},
    **{m: i for i, m in enumerate(("january", "february", "march", "april", "may", "june", "july", "august",
                                   "september", "october", "november", "december"), 1)},
}  # fmt: skip
"""Full month names (Italian, English), lower case -> month number."""
MONTH_ABBREVIATIONS: dict[str, int] = {
    "gen": 1, "feb": 2, "mar": 3, "apr": 4, "mag": 5, "giu": 6, "lug": 7, "ago": 8, "set": 9, "sett": 9,
    "ott": 10, "nov": 11, "dic": 12, "jan": 1, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10,
    "dec": 12,
}  # fmt: skip
ENGLISH_MONTHS = frozenset(("january", "february", "march", "april", "may", "june", "july", "august", "september",
                            "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
                            "sep", "sept", "oct", "nov", "dec"))  # fmt: skip
WEEKDAYS = (
    "lunedì", "lunedi", "lunedí", "martedì", "martedi", "martedí", "mercoledì", "mercoledi", "mercoledí",
    "giovedì", "giovedi", "giovedí", "venerdì", "venerdi", "venerdí", "sabato", "domenica",
    "lun", "mar", "mer", "gio", "ven", "sab", "dom",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun",
)  # fmt: skip


def _alternation(words: Iterable[str]) -> str:
    return "|".join(sorted(map(re.escape, words), key=len, reverse=True))


_NO_LETTER = r"(?![^\W\d_])"
_WEEKDAY = rf"(?P<wd>(?:{_alternation(WEEKDAYS)}){_NO_LETTER}\.?,?{SPACE}+)?"
_MONTH = rf"(?P<m>{_alternation([*MONTHS, *MONTH_ABBREVIATIONS])}){_NO_LETTER}(?P<dot>\.)?"
_YEAR = r"(?P<y>(?:19|20)\d\d)(?!\d)"
_START = r"(?<![\w/:°.,])"

_DAY_MONTH = re.compile(
    rf"{_START}{_WEEKDAY}(?P<d>\d{{1,2}})(?:°|º|st|nd|rd|th)?{SPACE}+{_MONTH}(?:,?{SPACE}+{_YEAR})?", re.IGNORECASE
)
_MONTH_DAY = re.compile(
    rf"{_START}{_WEEKDAY}{_MONTH}{SPACE}+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?![\d:.,]\d)(?:,?{SPACE}+{_YEAR})?",
    re.IGNORECASE,
)
_NUMERIC = re.compile(
    rf"{_START}{_WEEKDAY}(?P<d>\d{{1,2}})(?P<sep>[./-])(?P<mn>\d{{1,2}})(?P=sep)(?P<y>\d{{4}}|\d{{2}})(?![\w/]|[.,:]\d|(?P=sep)\d)",
    re.IGNORECASE,
)
_ISO = re.compile(rf"{_START}(?P<y>(?:19|20)\d\d)(?P<sep>[-/])(?P<mn>\d{{2}})(?P=sep)(?P<d>\d{{2}})(?![\w/]|[.,:]\d)")
_DAY_SLASH_MONTH = re.compile(
    rf"{_START}{_WEEKDAY}(?P<d>\d{{1,2}})/(?P<mn>\d{{1,2}})(?![\w/]|[.,:]\d)", re.IGNORECASE
)
_NUMBER_LEAD = re.compile(r"(?:\bn|\bnr|n°|\bnum|\bprot|\bart|\bpag|\bfattura|\brif|\bordine|\bcod)\.?[ \t]*$", re.IGNORECASE)
"""``n. 12/10``, ``prot. 3/11``: a document number, not a day/month date."""
_STREET_BEFORE = re.compile(
    r"(?<![^\W\d_])(?i:via|viale|v\.le|piazza|piazzale|p\.zza|p\.za|corso|c\.so|largo|vicolo|strada|contrada|borgo|"
    r"lungomare)\s+(?:(?:[A-Z][\w'’.]*|d[aei]\w*)\s+){0,4}$"
)
"""``Via XX Settembre``'s sibling ``Via 20 Settembre``, ``Via Roma 10/12``: a street and a house number."""


def _year(digits: str | None) -> int | None:
    if digits is None:
        return None
    year = int(digits)
    return year if len(digits) == 4 else (2000 + year if year < 70 else 1900 + year)


def real_date(day: int, month: int, year: int | None) -> bool:
    """True for a calendar day (29 February only in a leap year, or when the year is unknown)."""
    if not 1 <= month <= 12 or day < 1:
        return False
    if month == 2 and year is None:
        return day <= 29
    return day <= calendar.monthrange(year or 2001, month)[1]


class DateRecognizer:
    """Calendar dates in the forms the module describes, with an attached weekday."""

    label = "DATE"

    def find(self, text: str) -> Iterator[Entity]:
        spans = sorted(
            {span for pattern in (_DAY_MONTH, _MONTH_DAY, _NUMERIC, _ISO, _DAY_SLASH_MONTH)
             for m in pattern.finditer(text) if (span := self._span(text, pattern, m)) is not None},
            key=lambda s: (-(s[1] - s[0]), s[0]),
        )  # fmt: skip
        kept: list[tuple[int, int]] = []
        for start, end in spans:
            if all(end <= k0 or start >= k1 for k0, k1 in kept):
                kept.append((start, end))
        for start, end in sorted(kept):
            yield pattern_entity(text, self.label, start, end)

    @staticmethod
    def _span(text: str, pattern: re.Pattern[str], m: re.Match[str]) -> tuple[int, int] | None:
        """The match's span when it is a real date in an accepted form and context, else None."""
        month = _month(pattern, m)
        if month is None or not _context_allows(text, pattern, m):
            return None
        if not real_date(int(m.group("d")), month, _year(m.groupdict().get("y"))):
            return None
        end = m.end()
        if m.groupdict().get("dot") and end == m.end("dot") and m.group("m").lower() in MONTHS:
            end -= 1  # a sentence's full stop after a full month name
        return m.start(), end


def _month(pattern: re.Pattern[str], m: re.Match[str]) -> int | None:
    """The month number of a match, or None when its month word is not accepted in this form."""
    if "m" not in m.groupdict():
        return int(m.group("mn"))
    word = m.group("m")
    name = word.lower()
    if pattern is _MONTH_DAY and (name not in ENGLISH_MONTHS or not word[0].isupper()):
        return None  # "November 5" is English; Italian puts the day first
    bare_abbreviation = name not in MONTHS and not (m.group("dot") or m.group("y") or m.group("wd"))
    if bare_abbreviation and not word[0].isupper():
        return None  # "3 mar", "2 set di chiavi"
    return MONTHS.get(name) or MONTH_ABBREVIATIONS[name]


def _context_allows(text: str, pattern: re.Pattern[str], m: re.Match[str]) -> bool:
    """False for a house number, a street name, a document number or the tail of a dashed number."""
    if pattern is _DAY_SLASH_MONTH:
        if len(m.group("d")) < 2 and len(m.group("mn")) < 2:
            return False  # "1/2 giornata"
        if _NUMBER_LEAD.search(text, max(0, m.start() - 12), m.start()):
            return False
    if pattern in (_DAY_SLASH_MONTH, _DAY_MONTH) and not m.group("wd"):
        line_start = text.rfind("\n", 0, m.start()) + 1
        if _STREET_BEFORE.search(text, max(line_start, m.start() - 60), m.start()):
            return False
    return not (text[m.start() - 1 : m.start()] == "-" and m.groupdict().get("sep") == "-")
