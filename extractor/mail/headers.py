"""Header values: the bounded parse policy, RFC 2047 decoding, addresses and part filenames."""

from __future__ import annotations

import base64
import binascii
import email.policy
import re
from dataclasses import dataclass, field
from email.message import Message as StdMessage
from email.utils import getaddresses

from . import limits
from .charset import decode_bytes

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")


class _BoundedPolicy(email.policy.Compat32):
    """``compat32`` that cuts header values as the parser stores them (bounds every later access).

    Values are cut to one character over :data:`~.limits.MAX_HEADER_CHARS`, so :class:`Headers`
    still sees the overflow and records its defect; ``Content-*`` values also stop before their
    ``MAX_HEADER_PARAMS + 1``-th ``;``.
    """

    def header_source_parse(self, sourcelines: list[str]) -> tuple[str, str]:
        name, value = super().header_source_parse(sourcelines)
        if len(value) > limits.MAX_HEADER_CHARS:
            value = value[: limits.MAX_HEADER_CHARS + 1]
        if name.lower().startswith("content-") and value.count(";") > limits.MAX_HEADER_PARAMS:
            value = value[: _nth(value, ";", limits.MAX_HEADER_PARAMS + 1)]
        return name, value


def _nth(text: str, sub: str, n: int) -> int:
    """Index of the ``n``-th occurrence of ``sub`` in ``text`` (it must occur that often)."""
    i = -1
    for _ in range(n):
        i = text.index(sub, i + 1)
    return i


POLICY = _BoundedPolicy()
"""The policy every message is parsed with."""


class _RawFetchPolicy(_BoundedPolicy):
    """Header values as stored, 8-bit bytes kept surrogate-escaped (compat32 turns them into U+FFFD)."""

    def header_fetch_parse(self, name: str, value: str) -> str:
        return value


_RAW_FETCH = _RawFetchPolicy()


def decode_header_value(value: str | None) -> str | None:
    """Unfold and decode one raw header value (RFC 2047, raw 8-bit bytes); never raises.

    Malformed encoded words are kept as written; anything unexpected falls back to the raw
    string with whitespace collapsed. Empty values become None.
    """
    if value is None:
        return None
    raw = " ".join(str(value).split())
    try:
        text = _decode_8bit(raw)
        if "=?" in text:
            text = _decode_encoded_words(text)
        text = " ".join(text.split())
    except (ValueError, LookupError, UnicodeError, TypeError):  # pragma: no cover - headers never fail a message
        text = raw.encode("utf-8", "replace").decode("utf-8")
    return text or None


def _decode_8bit(value: str) -> str:
    """Undo surrogate-escaped raw 8-bit header bytes (UTF-8, else detected, else latin-1)."""
    if not any("\udc80" <= c <= "\udcff" for c in value):
        return value
    data = value.encode("utf-8", "surrogateescape")
    return decode_bytes(data)[0]


def _decode_encoded_words(value: str) -> str:
    """RFC 2047 decoding; adjacent words in one charset are joined as bytes before decoding."""
    out: list[str] = []
    pending: tuple[bytearray, str] | None = None
    pos = 0
    for m in _ENCODED_WORD.finditer(value):
        gap = value[pos : m.start()]
        data = _word_bytes(m.group(2), m.group(3))
        charset = m.group(1).split("*", 1)[0]
        if data is None:
            out.append(_flush(pending) + gap + m.group(0))
            pending, pos = None, m.end()
            continue
        if gap and not (pending is not None and gap.isspace()):
            out.append(_flush(pending) + gap)
            pending = None
        if pending is not None and pending[1].lower() == charset.lower():
            pending[0].extend(data)
        else:
            out.append(_flush(pending))
            pending = (bytearray(data), charset)
        pos = m.end()
    out.append(_flush(pending) + value[pos:])
    return "".join(out)


def _word_bytes(encoding: str, text: str) -> bytes | None:
    try:
        raw = text.encode("ascii")
        if encoding in "bB":
            return base64.b64decode(raw + b"=" * (-len(raw) % 4))
        return binascii.a2b_qp(raw, header=True)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        return None


def _flush(pending: tuple[bytearray, str] | None) -> str:
    if pending is None:
        return ""
    return decode_bytes(bytes(pending[0]), pending[1], detect=False)[0]


@dataclass
class Headers:
    """Raw header values by lower-case name, in order, as the parser stored them."""

    values: dict[str, list[str]] = field(default_factory=dict)
    defects: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, msg: StdMessage) -> Headers:
        h = cls()
        for name, value in msg.raw_items():
            h.values.setdefault(name.lower(), []).append(str(value))
        return h

    def raw(self, name: str) -> str | None:
        found = self.values.get(name.lower())
        if not found:
            return None
        value = found[0]
        if len(value) > limits.MAX_HEADER_CHARS:
            self.defects.append(f"{name} header cut to {limits.MAX_HEADER_CHARS} characters")
            value = value[: limits.MAX_HEADER_CHARS]
        return value

    def text(self, name: str) -> str | None:
        return decode_header_value(self.raw(name))

    def addresses(self, name: str) -> tuple[str, ...]:
        found = self.values.get(name.lower(), [])
        joined = ", ".join(found)
        if len(joined) > limits.MAX_HEADER_CHARS:
            self.defects.append(f"{name} header cut to {limits.MAX_HEADER_CHARS} characters")
            joined = joined[: limits.MAX_HEADER_CHARS]
        try:
            pairs = getaddresses([" ".join(joined.split())])
        except (ValueError, TypeError, IndexError, RecursionError):  # malformed lists must not fail the message
            self.defects.append(f"{name} header not parseable as addresses")
            return ()
        out: list[str] = []
        for display, addr in pairs:
            formatted = format_address(decode_header_value(display), decode_header_value(addr))
            if formatted:
                out.append(formatted)
        if len(out) > limits.MAX_ADDRESSES:
            self.defects.append(f"{name}: only the first {limits.MAX_ADDRESSES} of {len(out)} addresses kept")
        return tuple(out[: limits.MAX_ADDRESSES])


def format_address(name: str | None, addr: str | None) -> str | None:
    """``Name <addr>`` (the name unquoted, as decoded), ``addr`` alone, or ``Name`` alone."""
    name = (name or "").strip().strip("\"'").strip()
    addr = (addr or "").strip()
    if name and addr and name != addr:
        return f"{name} <{addr}>"
    return addr or name or None


def split_address(value: str) -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
    """Spans ``(name, address)`` in a string made by :func:`format_address` (None when absent)."""
    if value.endswith(">"):
        lt = value.rfind(" <")
        if lt > 0:
            return (0, lt), (lt + 2, len(value) - 1)
    if "@" in value and " " not in value.strip():
        return None, (0, len(value))
    return (0, len(value)), None


def part_filename(part: StdMessage) -> str | None:
    """The decoded filename of a part; raw 8-bit names (UTF-8 or a legacy charset) decoded too."""
    try:
        name = part.get_filename()
        if isinstance(name, str) and "\ufffd" in name:  # compat32 blanks undeclared 8-bit bytes
            name = _raw_filename(part) or name
    except (ValueError, TypeError, LookupError, IndexError):
        return None
    return decode_header_value(name) if name else None


def _raw_filename(part: StdMessage) -> str | None:
    raw = StdMessage(policy=_RAW_FETCH)
    for name, value in part.raw_items():
        if name.lower() in ("content-disposition", "content-type"):
            raw.set_raw(name, value)
    found = raw.get_filename()
    return found if isinstance(found, str) else None
