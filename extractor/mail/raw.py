"""Raw message bytes: what is not mail is rejected, header blocks repaired, the structure bounded, then parsed."""

from __future__ import annotations

import email.feedparser
import re
from email.message import Message as StdMessage

from ..errors import MessageError
from . import limits
from .headers import POLICY

_NOT_MAIL_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "Outlook .msg (OLE compound file); export it as .eml"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x1f\x8b", "a gzip file"),
)
_BOM = b"\xef\xbb\xbf"
_CONTENT_TYPE_LINE = re.compile(rb"(?im)(?:^|(?<=\r))content-type:[ \t]*(?:(?:\r?\n|\r)[ \t]+)?([a-z0-9!#$&^_.+/-]+)")
"""A ``Content-Type`` line, after LF, CRLF or a lone CR (the parser splits lines at all three)."""
_OBSOLETE_HEADER_NAME = re.compile(rb"(?m)^([!-9;-~]+)[ \t]+:")
_ENVELOPE_THEN_HEADER = re.compile(rb"\n\r?\nFrom [^\n]*\n[!-9;-~]+:")
_HEADER_LINE = re.compile(rb"[!-9;-~]+:")
_MIME_HEADER_LINE = re.compile(rb"(?i)(?:content-type|mime-version)[ \t]*:")
_SPLIT_HEADER_LINES = 64
"""Lines after the first blank line searched for the rest of a split header block."""
_FEED_BYTES = 65536


def parse_tree(data: bytes) -> tuple[StdMessage, list[str]]:
    """Repair, bound and parse checked bytes (see :func:`check_raw`); returns the tree and the defects.

    Raises :class:`MessageError` when the structure is too deep for the parser or there are no headers.
    """
    data, repaired = _repair_header_block(data)
    data, cut = bound_structure(data)
    try:
        msg = parse_bytes(data)
    except RecursionError as exc:
        raise MessageError("MIME structure nested too deeply") from exc
    if not msg.keys():
        raise MessageError("no RFC 822 headers found: not an email message")
    return msg, [d for d in (repaired, cut) if d]


def parse_bytes(data: bytes) -> StdMessage:
    """Parse with the bounded :data:`~.headers.POLICY`; may raise RecursionError on structures deeper
    than the bounds expect.

    Fed in pieces: ``message_from_bytes`` copies the whole message into a ``StringIO``, which
    stores four bytes per character.
    """
    parser = email.feedparser.BytesFeedParser(policy=POLICY)
    view = memoryview(data)
    for start in range(0, len(data), _FEED_BYTES):
        parser.feed(bytes(view[start : start + _FEED_BYTES]))
    return parser.close()


def check_raw(data: bytes) -> bytes:
    """Reject what is not mail; drop a byte-order mark. Raises :class:`MessageError`."""
    for magic, what in _NOT_MAIL_MAGIC:
        if data.startswith(magic):
            raise MessageError(f"not an RFC 822 message: {what}")
    data = data.removeprefix(_BOM)
    if not data.strip():
        raise MessageError("empty message")
    if data.startswith(b"From ") and _ENVELOPE_THEN_HEADER.search(data):
        raise MessageError(
            "an mbox with several messages was read as one message (bytes before the first 'From ' line, "
            "such as a byte-order mark, hide it from the mbox reader)"
        )
    return data


def _repair_header_block(data: bytes) -> tuple[bytes, str | None]:
    """Accept the obsolete ``Name :`` header syntax (space before the colon) and rejoin split headers.

    Returns the bytes and a defect when headers were rejoined (see :func:`_rejoin_split_headers`).
    """
    end = re.search(rb"\r?\n\r?\n", data)
    if end is None:
        fixed = _OBSOLETE_HEADER_NAME.sub(rb"\1:", data)
        return fixed, None
    head = data[: end.start()]
    rejoined = _rejoin_split_headers(head, data[end.start() : end.end()], data[end.end() :])
    if rejoined is not None:
        return _repair_header_block(rejoined)[0], "blank lines inside the header block removed"
    fixed = _OBSOLETE_HEADER_NAME.sub(rb"\1:", head)
    return (fixed + data[end.start() :] if fixed != head else data), None


def _rejoin_split_headers(head: bytes, blank: bytes, rest: bytes) -> bytes | None:
    """Headers cut by blank lines inside a folded value (bulk mailers' encoded-word Subjects), rejoined.

    Only when the block before the blank line has no ``Content-Type``, what follows it is folded
    continuation lines (and blank lines), then header lines naming ``Content-Type`` or
    ``MIME-Version`` up to the next blank line. None when the message does not look so.
    """
    if re.search(rb"(?im)^content-type[ \t]*:", head):
        return None
    lines = rest.split(b"\n", _SPLIT_HEADER_LINES)[:_SPLIT_HEADER_LINES]
    i = 0
    while i < len(lines) and (not lines[i].strip() or lines[i][:1] in (b" ", b"\t")):
        i += 1
    folded = [line for line in lines[:i] if line.strip()]
    if not folded or i == len(lines):
        return None
    j, mime = i, False
    while j < len(lines) and lines[j].strip():
        if lines[j][:1] not in (b" ", b"\t"):
            if not _HEADER_LINE.match(lines[j]):
                return None
            mime = mime or bool(_MIME_HEADER_LINE.match(lines[j]))
        j += 1
    if not mime or j == len(lines):
        return None
    eol = b"\r\n" if blank.startswith(b"\r\n") else b"\n"
    consumed = sum(len(line) + 1 for line in lines[:i])
    return head + eol + b"\n".join(folded) + b"\n" + rest[consumed:]


def bound_structure(data: bytes) -> tuple[bytes, str | None]:
    """Cut the raw bytes after :data:`~.limits.MAX_LINES` lines, and before the part that would exceed
    :data:`~.limits.MAX_PARTS`/:data:`~.limits.MAX_CONTAINERS`; the defect says which."""
    max_lines, max_parts, max_containers = limits.MAX_LINES, limits.MAX_PARTS, limits.MAX_CONTAINERS
    cut = _cut_lines(data, max_lines)
    lines_cut = f"message cut after {max_lines} lines" if cut is not None else None
    if cut is not None:
        data = cut
    containers = 0
    for parts, m in enumerate(_CONTENT_TYPE_LINE.finditer(data), 1):
        containers += m.group(1).lower().startswith((b"multipart/", b"message/"))
        if parts > max_parts or containers > max_containers:
            what = f"{max_parts} parts" if parts > max_parts else f"{max_containers} nested containers"
            return data[: m.start()], "; ".join(filter(None, (lines_cut, f"MIME structure cut after {what}")))
    return data, lines_cut


def _line_count(data: bytes) -> int:
    """Lines as the parser splits them (at LF, CRLF and a lone CR)."""
    return data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")


def _cut_lines(data: bytes, limit: int) -> bytes | None:
    """``data`` up to the end of about its ``limit``-th line; None when it has no more lines than that."""
    if _line_count(data) <= limit:
        return None
    seen, pos, step = 0, 0, 1 << 20
    while pos < len(data):
        chunk = data[pos : pos + step]
        lines = _line_count(chunk)
        if seen + lines >= limit:
            for line in chunk.splitlines(keepends=True):
                seen, pos = seen + 1, pos + len(line)
                if seen >= limit:
                    break
            return data[:pos]
        seen, pos = seen + lines, pos + len(chunk)
    return None
