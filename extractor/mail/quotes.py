"""Quoted reply history: keep only the new text of a message.

:func:`strip_quotes` cuts the history of a reply: everything from the first reply header
("Il giorno ... ha scritto:", "On ... wrote:", "-----Messaggio originale-----", an Outlook
"Da:/Inviato:" or "From:/Sent:" block) to the end, and every line quoted with ``>``. A reply
header that is directly followed by ``>``-quoted lines is an attribution of an inline or
bottom-posted reply: only it and the quoted lines go, the text after them stays.

Header patterns come from ``mail-parser-reply`` (``mailparser_reply``, languages ``it`` and
``en``); our own rules add what it misses: header blocks with blank lines between the fields
(HTML converted to text), one-line Outlook headers, "Messaggio originale" separators and
generic "... ha scritto:" attributions before quoted lines.

Not removed, on purpose: signatures (they carry names, phone numbers, VAT and fiscal codes),
and forwarded messages introduced by an explicit marker ("Messaggio inoltrato",
"Forwarded message", "Inizio messaggio inoltrato:"), whose content is what was sent.

The result is a selection of whole lines of the input, in order, and an unchanged prefix of
it up to the first removed line: offsets computed on the result are offsets into the text
the model sees. When nothing with a letter or digit would remain (a bare forward, an empty
reply), the input is returned unchanged.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterator

from . import limits

_BLANKS_IN_HEADER_BLOCK = 2
"""Blank lines tolerated between the fields of one header block."""

_QUOTED = re.compile(r"^\s*>")
_ATTRIBUTION_END = re.compile(r"(?:ha scritto|hanno scritto|scrive|wrote|writes)\s*:\s*$", re.IGNORECASE)
_ATTRIBUTION_START = re.compile(r"^(?:>\s*)*(?:il|on|am|le|el|em|in data)\s", re.IGNORECASE)
_SEPARATOR = re.compile(
    r"^[-_=*\s]*-{2,}\s*(?:messaggio originale|original message|ursprüngliche nachricht|message d'origine"
    r"|mensaje original)\s*-{2,}[-_=*\s]*$",
    re.IGNORECASE,
)
_FORWARD_MARKER = re.compile(
    r"^(?:[-_=*\s]*-{2,}\s*(?:forwarded message|messaggio inoltrato|forwarded e-?mail|inoltrato)\s*-*[-_=*\s]*"
    r"|(?:inizio messaggio inoltrato|begin forwarded message)\s*:)$",
    re.IGNORECASE,
)
_FIELD = re.compile(r"^[>* ]*(\w[\w -]{0,25}?)\s*:\**(?:\s|$)")
_FROM_FIELDS = {"da", "from", "de", "von"}
_OTHER_FIELDS = {
    "inviato", "sent", "data", "date", "a", "to", "oggetto", "subject", "cc", "ccn", "bcc", "importanza",
    "importance", "inviato il", "sent on",
}  # fmt: skip
_ONE_LINE_OUTLOOK = re.compile(r"^[>* ]*(?:da|from)\s*:.{1,200}?\b(?:inviato|sent)\s*:", re.IGNORECASE)
_CANDIDATE = re.compile(r"scritto|scrive|wrote|writes|-{5,}|^[>* ]*\w[\w -]{0,25}:", re.IGNORECASE)
_TRAILING_RULE = re.compile(r"^[\s_=\-*]{8,}$")


@functools.lru_cache(maxsize=8)
def _library_regex(languages: tuple[str, ...]) -> re.Pattern[str] | None:
    """mail-parser-reply's reply-header regex for ``languages`` (None if the library is unusable)."""
    try:
        from mailparser_reply.parser import EmailMessage

        return EmailMessage(text="", languages=list(languages)).HEADER_REGEX
    except (ImportError, AttributeError, TypeError, re.error):  # pragma: no cover - our rules still apply
        return None


def _probe_lines(lines: list[str]) -> list[str]:
    """Stripped, length-capped copies of the lines that can be part of a reply header; others empty.

    Blanking the rest keeps the library's backtracking regexes linear on long texts.
    """
    probe = [line.strip()[: limits.MAX_PROBE_LINE] for line in lines]
    keep = [bool(_CANDIDATE.search(p)) for p in probe]
    for i in range(len(probe) - 1):
        if keep[i + 1] and _ATTRIBUTION_END.search(probe[i + 1]):
            keep[i] = True  # first line of a two-line attribution
    return [p if k else "" for p, k in zip(probe, keep)]


def _library_spans(probe: list[str], languages: tuple[str, ...]) -> Iterator[tuple[int, int]]:
    """``(first, last)`` line spans of the reply headers mail-parser-reply finds."""
    regex = _library_regex(languages)
    if regex is None:
        return
    text = "\n".join(probe)
    starts = [0]
    for line in probe[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    for m in regex.finditer(text):
        begin, end = m.start(), m.end()
        while begin < end and text[begin] == "\n":
            begin += 1
        if begin >= end:
            continue
        first = bisect.bisect_right(starts, begin) - 1
        last = bisect.bisect_right(starts, end - 1) - 1
        while last > first and not (_FIELD.match(probe[last]) or _ATTRIBUTION_END.search(probe[last])):
            last -= 1  # the library takes one line past a header block
        if _is_reply_header(probe[first : last + 1]):
            yield first, last


def _is_reply_header(block: list[str]) -> bool:
    """An attribution, a separator, or a field block that names the sender (not "Data:/Oggetto:" alone)."""
    return any(
        _ATTRIBUTION_END.search(line) or line.startswith("-----") or _is_field(line, _FROM_FIELDS) for line in block
    )


def _own_spans(probe: list[str]) -> Iterator[tuple[int, int]]:
    """Reply headers the library misses: separators, spaced or one-line Outlook blocks, attributions."""
    for i, line in enumerate(probe):
        if _SEPARATOR.match(line) or _ONE_LINE_OUTLOOK.match(line):
            yield i, i
        elif _is_field(line, _FROM_FIELDS):
            last = _header_block_end(probe, i)
            if last > i:
                yield i, last
        else:
            last = _attribution_end(probe, i)
            if last is not None:
                yield i, last


def _attribution_end(probe: list[str], first: int) -> int | None:
    """Last line of an attribution ("... ha scritto:") starting at ``first``, wrapped over up to 3 lines.

    A wrapped one must start like "Il ..."/"On ..."; one that is not followed by quoted lines
    must start so too (a bare "X wrote:" in running text is no reply header).
    """
    for width in range(1, 4):
        block = probe[first : first + width]
        if len(block) < width or not block[-1]:
            return None
        if _ATTRIBUTION_END.search(" ".join(block)):
            last = first + width - 1
            nxt = _next_filled(probe, last)
            quoted = nxt is not None and bool(_QUOTED.match(probe[nxt]))
            starts_like_one = bool(_ATTRIBUTION_START.match(probe[first]))
            if (width == 1 and quoted) or starts_like_one:
                return last
            return None
    return None


def _is_field(line: str, names: set[str]) -> bool:
    m = _FIELD.match(line)
    return bool(m) and m.group(1).strip().lower() in names


def _header_block_end(probe: list[str], first: int) -> int:
    """Last line of a header block starting with a From/Da field (``first`` when there is none)."""
    last, blanks = first, 0
    for j in range(first + 1, min(len(probe), first + 16)):
        if not probe[j]:
            blanks += 1
            if blanks > _BLANKS_IN_HEADER_BLOCK:
                break
            continue
        if not _is_field(probe[j], _OTHER_FIELDS):
            break
        last, blanks = j, 0
    return last


def _next_filled(lines: list[str], i: int) -> int | None:
    """Index of the first line after ``i`` with something on it."""
    for j in range(i + 1, len(lines)):
        if lines[j].strip():
            return j
    return None


def _forwarded(probe: list[str], first: int) -> bool:
    """True when the header at ``first`` follows a forward marker (a forwarded message, kept)."""
    j = first - 1
    while j >= 0 and not probe[j]:
        j -= 1
    return j >= 0 and bool(_FORWARD_MARKER.match(probe[j]))


def _plain_attribution(block: list[str]) -> bool:
    """An attribution line with neither a digit (date, time) nor an address in it."""
    joined = " ".join(block)
    return bool(_ATTRIBUTION_END.search(joined)) and not any(c.isdigit() or c == "@" for c in joined)


def _languages(lang_hint: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys([lang_hint.lower().strip() or "it", "it", "en"]))


def strip_quotes(text: str, lang_hint: str = "it") -> str:
    """``text`` without quoted reply history (see the module docstring for the rules).

    Line ends must already be ``\\n``. Returns ``text`` itself when nothing is quoted.
    """
    lines = text.split("\n")
    raw_probe = [line.strip()[: limits.MAX_PROBE_LINE] for line in lines]
    probe = _probe_lines(lines)
    spans = sorted(set(_library_spans(probe, _languages(lang_hint))) | set(_own_spans(raw_probe)))
    cut, dropped = len(lines), set()
    for first, last in spans:
        if first >= cut:
            break
        if first in dropped or _forwarded(raw_probe, first):
            continue
        nxt = _next_filled(raw_probe, last)
        if nxt is not None and _QUOTED.match(raw_probe[nxt]):
            dropped.update(range(first, last + 1))
        elif _plain_attribution(raw_probe[first : last + 1]):
            continue  # "Il cliente ha scritto:" in running text, not a reply header
        else:
            cut = first
    kept = [line for i, line in enumerate(lines[:cut]) if i not in dropped and not _QUOTED.match(line)]
    if cut == len(lines) and len(kept) == len(lines):
        return text
    while kept and (not kept[-1].strip() or _TRAILING_RULE.match(kept[-1])):
        kept.pop()
    result = "\n".join(kept)
    if not any(c.isalnum() for c in result):
        return text
    return result
