"""The MIME walk: inline text parts in document order; attachments and attached messages recorded.

In a ``multipart/alternative`` the ``text/plain`` alternative wins over ``text/html``; other
multiparts concatenate their inline text parts, and ``multipart/signed`` keeps its first part.
HTML is rendered to text (:mod:`.html`). A multipart whose declared boundary never occurs is
re-parsed with the delimiter it really uses; an attached message sent base64 or quoted-printable
encoded is decoded and parsed.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from email.message import Message as StdMessage

from ..records import Attachment
from . import limits
from .charset import decode_payload
from .headers import part_filename
from .html import html_to_text
from .raw import bound_structure, parse_bytes

_DELIMITER_THEN_HEADER = re.compile(r"(?m)^--(\S[^\r\n]{0,198}?)[ \t]*\r?\n(?=content-)", re.IGNORECASE)
_HTML_DOCUMENT = re.compile(r"\s*(?:<!doctype\s+html|<html)\b", re.IGNORECASE)
"""The start of a text/plain part that is really an HTML document (bulk mailers send those)."""
_ATTACHED_MESSAGE_TYPES = ("message/rfc822", "message/global")
_BODY_TYPES = ("text/plain", "text/html")


@dataclass
class Walk:
    """What a walk over one message's tree collects besides its text."""

    attachments: list[Attachment] = field(default_factory=list)
    attached: list[tuple[str | None, StdMessage]] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    parts: int = 0
    text_chars: int = 0
    """Characters of text decoded so far, outer whitespace not counted (bounded by twice
    :data:`~.limits.MAX_TEXT_CHARS`)."""
    html_chars: int = 0
    """Characters of HTML rendered so far (bounded by :data:`~.limits.MAX_HTML_CHARS`)."""

    def defect(self, text: str) -> None:
        if text not in self.defects:
            self.defects.append(text)


def inline_texts(part: StdMessage, depth: int, walk: Walk) -> list[tuple[str, str]]:
    """``(text, body type)`` of the inline text in ``part``, in document order.

    Attachments and attached messages are recorded in ``walk`` instead.
    """
    walk.parts += 1
    if walk.parts > limits.MAX_PARTS:
        walk.defect(f"more than {limits.MAX_PARTS} MIME parts; the rest skipped")
        return []
    if depth > limits.MAX_DEPTH:
        walk.defect(f"MIME nesting deeper than {limits.MAX_DEPTH}; inner parts skipped")
        return []
    for d in part.defects:
        walk.defect(type(d).__name__)
    ctype = part.get_content_type()
    if ctype in _ATTACHED_MESSAGE_TYPES and _is_container(part):
        return _attached_message(part, walk)
    if ctype.startswith("multipart/") and _is_container(part):
        return _multipart(part, ctype, depth, walk)
    if ctype.startswith("multipart/"):
        recovered = _recover_multipart(part, walk)
        if recovered is not None:
            return _multipart(recovered, ctype, depth, walk)
        return _leaf(part, "text/plain", walk, inline=True)
    if ctype.startswith("message/") or _is_container(part):
        walk.attachments.append(Attachment(part_filename(part), ctype, _payload_size(part)))
        return []
    return _leaf(part, ctype, walk, inline=depth == 0)


def join_texts(texts: list[tuple[str, str]]) -> tuple[str, str]:
    """The texts with something in them joined by blank lines, and the body type of the first."""
    filled = [(t, kind) for t, kind in texts if t.strip()]
    if not filled:
        return "", "text/plain"
    return "\n\n".join(t for t, _ in filled), filled[0][1]


def _is_container(part: StdMessage) -> bool:
    return isinstance(part.get_payload(), list)


def _payload_size(part: StdMessage) -> int:
    """Decoded size of a leaf, estimated from base64 length without decoding it."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return sum(_payload_size(p) for p in payload if isinstance(p, StdMessage))
    if not isinstance(payload, str):
        return 0
    if _transfer_encoding(part) == "base64":  # counted without copying the payload
        compact = len(payload) - sum(payload.count(c) for c in " \t\r\n")
        tail = "".join(payload[-64:].split())
        return max(0, compact * 3 // 4 - (len(tail) - len(tail.rstrip("="))))
    decoded = part.get_payload(decode=True)
    return len(decoded) if isinstance(decoded, bytes) else len(payload)


def _transfer_encoding(part: StdMessage) -> str:
    return str(part.get("Content-Transfer-Encoding", "")).strip().lower()


def _attached_message(part: StdMessage, walk: Walk) -> list[tuple[str, str]]:
    inner = part.get_payload()[0] if part.get_payload() else None
    name = part_filename(part)
    if isinstance(inner, StdMessage) and _transfer_encoding(part) in ("base64", "quoted-printable"):
        inner = _reparse_encoded(inner, _transfer_encoding(part), walk)
    walk.attachments.append(Attachment(name, part.get_content_type(), _payload_size(part)))
    if isinstance(inner, StdMessage):
        walk.attached.append((name, inner))
    return []


def _reparse_encoded(inner: StdMessage, encoding: str, walk: Walk) -> StdMessage | None:
    """An attached message sent base64/quoted-printable encoded (not allowed, but seen): decode, parse.

    The parser read the encoded text as a headerless message; its serialisation is that text.
    """
    try:
        encoded = inner.as_bytes()
        data = base64.b64decode(encoded) if encoding == "base64" else binascii.a2b_qp(encoded)
        data, cut = bound_structure(data)
        if cut:
            walk.defect(cut)
        walk.defect(f"attached message with {encoding} transfer encoding")
        return parse_bytes(data.lstrip(b"\r\n"))
    except (binascii.Error, ValueError, LookupError, TypeError, RecursionError):
        return None


def _multipart(part: StdMessage, ctype: str, depth: int, walk: Walk) -> list[tuple[str, str]]:
    children = [inline_texts(child, depth + 1, walk) for child in part.get_payload() if isinstance(child, StdMessage)]
    if ctype == "multipart/alternative":
        return _best_alternative(children)
    if ctype == "multipart/signed" and children:
        return children[0]
    return [t for texts in children for t in texts]


def _best_alternative(children: list[list[tuple[str, str]]]) -> list[tuple[str, str]]:
    """The plain-text alternative when it has text, else the HTML one, else the last with text."""
    filled = [texts for texts in children if any(t.strip() for t, _ in texts)]
    for wanted in _BODY_TYPES:
        for texts in filled:
            if all(kind == wanted for _, kind in texts):
                return texts
    return filled[-1] if filled else []


def _recover_multipart(part: StdMessage, walk: Walk) -> StdMessage | None:
    """Re-parse a multipart whose declared boundary never occurs, with the delimiter it really uses."""
    payload = part.get_payload()
    if not isinstance(payload, str):
        return None
    boundary = _used_boundary(part, payload)
    if boundary is None:
        walk.defect("multipart without parts read as text")
        return None
    data = payload.encode("ascii", "surrogateescape")
    head = f'Content-Type: {part.get_content_type()}; boundary="{boundary}"\n\n'.encode("ascii", "surrogateescape")
    data, cut = bound_structure(data)
    try:
        recovered = parse_bytes(head + data)
    except RecursionError:
        return None
    if not _is_container(recovered):
        return None
    walk.defect(f"multipart boundary recovered from the body ({boundary!r})")
    if cut:
        walk.defect(cut)
    return recovered


def _used_boundary(part: StdMessage, payload: str) -> str | None:
    """The declared boundary unfolded when the body uses it so, else the first delimiter before a header."""
    declared = part.get_param("boundary")
    if isinstance(declared, str):
        unfolded = re.sub(r"\r?\n(?=[ \t])", "", declared)
        if unfolded != declared and re.search(rf"(?m)^--{re.escape(unfolded)}[ \t]*\r?$", payload):
            return unfolded
    m = _DELIMITER_THEN_HEADER.search(payload)
    return m.group(1) if m and '"' not in m.group(1) and "\\" not in m.group(1) else None


def _leaf(part: StdMessage, ctype: str, walk: Walk, *, inline: bool = False) -> list[tuple[str, str]]:
    """A leaf part: body text when it is inline plain text or HTML, else an attachment.

    ``inline`` reads a text part as body even when its disposition says attachment (a
    message whose only part is that text).
    """
    disposition = (part.get_content_disposition() or "").lower()
    filename = part_filename(part)
    if ctype not in _BODY_TYPES or (disposition == "attachment" and not inline):
        size = _payload_size(part)
        if size or filename:
            walk.attachments.append(Attachment(filename, ctype, size))
        return []
    max_text, max_html = limits.MAX_TEXT_CHARS, limits.MAX_HTML_CHARS
    if walk.text_chars >= 2 * max_text:
        walk.defect(f"text parts after the first {2 * max_text} characters of text skipped")
        return []
    html_left = max_html - walk.html_chars
    if ctype == "text/html" and html_left <= 0:
        walk.defect(f"HTML parts after the first {max_html} characters of HTML skipped")
        return []
    limit = html_left * 4 if ctype == "text/html" else max_text * 4
    text, defects = decode_payload(part, limit)
    for d in defects:
        walk.defect(d)
    if ctype == "text/plain" and html_left > 0 and _HTML_DOCUMENT.match(text[:1024]):
        walk.defect("text/plain part is an HTML document; rendered as HTML")
        ctype = "text/html"
    if ctype == "text/html":
        if len(text) > html_left:
            walk.defect(f"HTML cut to {max_html} characters before conversion")
            text = text[:html_left]
        walk.html_chars += len(text)
        text = html_to_text(text)
    walk.text_chars += len(text.strip())
    return [(text, ctype)]
