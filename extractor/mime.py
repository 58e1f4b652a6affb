"""MIME decoding: raw bytes -> :class:`Message` with the body text the model will see.

What ends up in :attr:`Message.text`, in order:

1. The MIME tree is walked (``compat32`` parsing: fast, never raises on access). In a
   ``multipart/alternative`` the ``text/plain`` alternative wins over ``text/html``; other
   multiparts concatenate their inline text parts. HTML is rendered with inscriptis.
2. Attached messages (``message/rfc822``) are listed as attachments, not read as body, unless
   the message has no text of its own. PEC envelopes (``X-Trasporto``/``X-Ricevuta`` headers
   or a ``postacert.eml`` part) take the body of ``postacert.eml``, the certified message;
   ``Message.headers[BODY_PART_HEADER]`` records where the body came from.
3. Charsets: the declared one, then (when it fails or is missing) UTF-8, charset-normalizer
   detection, latin-1 last.
4. Line ends become ``\\n``, quoted reply history is cut (:mod:`extractor.quotes`) unless
   ``keep_quotes``, and the text is truncated to :data:`MAX_TEXT_CHARS`.

Entity offsets refer to that final string. Anything cut or repaired is named in
``Message.defects``.

Limits. A mailbox is untrusted input: time and memory per message are bounded by the module
constants below, all in this one place, and nothing the parser meets is recursed into, scanned
or copied without one of them. What goes over a limit is cut, with a defect that names the
limit, wherever the rest of the message stays readable; a message that cannot be parsed at all
raises :class:`MessageError` with the reason. The size of the raw message is bounded by the
source (:data:`extractor.sources.MAX_MESSAGE_BYTES`).

* Structure: :data:`MAX_LINES` lines, :data:`MAX_PARTS` parts and :data:`MAX_CONTAINERS`
  containers are parsed (the raw bytes are cut before the next one), :data:`MAX_DEPTH` levels
  walked.
* Headers: :data:`MAX_HEADER_CHARS` characters per value are kept from the parse on (the
  stdlib's parameter parser is quadratic, and ``Content-*`` headers also keep at most
  :data:`MAX_HEADER_PARAMS` parameters); :data:`MAX_ADDRESSES` addresses per To/Cc.
* Text: the text parts decoded per message stop at twice :data:`MAX_TEXT_CHARS` characters
  (quote removal only shortens, so text past that can never be kept), and the body is then cut
  to :data:`MAX_TEXT_CHARS`. A huge plain-text mail thus keeps its beginning, with the defect
  ``body truncated to <MAX_TEXT_CHARS> characters``, rather than failing: the start of a mail
  is where its parties, dates and amounts are. Raise :data:`MAX_TEXT_CHARS` to keep more. At most :data:`MAX_HTML_CHARS` characters of HTML are
  rendered per message, all parts together.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import email
import email.feedparser
import email.policy
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.message import Message as StdMessage
from email.utils import getaddresses

from .errors import MessageError
from .quotes import strip_quotes
from .records import Attachment, Entity, Message, RawMessage

MAX_PARTS = 1000
"""MIME parts parsed per message; the raw bytes are cut before the next ``Content-Type`` line."""
MAX_CONTAINERS = 100
"""``multipart/*`` and ``message/*`` containers parsed per message (bounds nesting, recursion and parse time)."""
MAX_LINES = 1_000_000
"""Lines parsed per message; the raw bytes are cut after it (the stdlib parser keeps one string object per
line, so a message of very short lines costs many times its size)."""
MAX_DEPTH = 24
"""Nesting depth walked; deeper parts are skipped with a defect."""
MAX_TEXT_CHARS = 100_000
"""Longer body text is truncated, with a defect; text parts past twice this are not decoded."""
MAX_HTML_CHARS = 1_000_000
"""HTML rendered per message, all parts together (inscriptis needs ~0.7 s per million characters)."""
MAX_HEADER_CHARS = 16_384
"""Header values longer than this are cut at parse time and before decoding, with a defect."""
MAX_HEADER_PARAMS = 100
"""Parameters kept per ``Content-*`` header (RFC 2231 continuations included); the stdlib parses them quadratically."""
MAX_ADDRESSES = 500
"""Addresses kept per To/Cc header."""
BODY_PART_HEADER = "X-Extract-Body-Part"
"""Key in ``Message.headers`` naming the attached message the body came from, when it did."""
PEC_HEADERS = ("X-Trasporto", "X-Ricevuta", "X-TipoRicevuta", "X-Riferimento-Message-ID", "X-VerificaSicurezza")
"""PEC headers copied into ``Message.headers`` when present."""

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
_DELIMITER_THEN_HEADER = re.compile(r"(?m)^--(\S[^\r\n]{0,198}?)[ \t]*\r?\n(?=content-)", re.IGNORECASE)
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_HTML_DOCUMENT = re.compile(r"\s*(?:<!doctype\s+html|<html)\b", re.IGNORECASE)
"""The start of a text/plain part that is really an HTML document (bulk mailers send those)."""
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE)
_SINGLE_BYTE_WESTERN = {"ascii", "iso8859_1", "cp1252", "iso8859_15"}
_CHARSET_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "euc_kr": "cp949",
    "shift_jis": "cp932",
    "big5": "big5hkscs",
    "ascii": "cp1252",
    "iso8859_1": "cp1252",
}
_MIN_DETECT_BYTES = 16
"""Fewer non-ASCII bytes than this are not worth a detection guess: windows-1252 is more likely right."""
_ATTACHED_MESSAGE_TYPES = ("message/rfc822", "message/global")
_BODY_TYPES = ("text/plain", "text/html")
_POSTACERT = "postacert.eml"


class _BoundedPolicy(email.policy.Compat32):
    """``compat32`` that cuts header values as the parser stores them (bounds every later access).

    Values are cut to one character over :data:`MAX_HEADER_CHARS`, so :class:`_Headers` still
    sees the overflow and records its defect; ``Content-*`` values also stop before their
    ``MAX_HEADER_PARAMS + 1``-th ``;``.
    """

    def header_source_parse(self, sourcelines: list[str]) -> tuple[str, str]:
        name, value = super().header_source_parse(sourcelines)
        if len(value) > MAX_HEADER_CHARS:
            value = value[: MAX_HEADER_CHARS + 1]
        if name.lower().startswith("content-") and value.count(";") > MAX_HEADER_PARAMS:
            value = value[: _nth(value, ";", MAX_HEADER_PARAMS + 1)]
        return name, value


def _nth(text: str, sub: str, n: int) -> int:
    """Index of the ``n``-th occurrence of ``sub`` in ``text`` (it must occur that often)."""
    i = -1
    for _ in range(n):
        i = text.index(sub, i + 1)
    return i


_POLICY = _BoundedPolicy()


_FEED_BYTES = 65536


def _parse_bytes(data: bytes) -> StdMessage:
    """Parse with :data:`_POLICY`; may raise RecursionError on structures deeper than the bounds expect.

    Fed in pieces: ``message_from_bytes`` copies the whole message into a ``StringIO``, which
    stores four bytes per character.
    """
    parser = email.feedparser.BytesFeedParser(policy=_POLICY)
    view = memoryview(data)
    for start in range(0, len(data), _FEED_BYTES):
        parser.feed(bytes(view[start : start + _FEED_BYTES]))
    return parser.close()


# ---------------------------------------------------------------------------------------------
# charsets


def _codec(charset: str | None) -> str | None:
    """Python codec name for a MIME charset label, or None when unknown."""
    if not charset:
        return None
    label = charset.strip().strip("\"'").lower()
    if label in ("iso-8859-8-i", "iso-8859-6-i"):
        label = label[:-2]
    try:
        return codecs.lookup(label).name.replace("-", "_")
    except LookupError:
        return None


def decode_bytes(data: bytes, charset: str | None = None, *, detect: bool = True) -> tuple[str, str | None]:
    """Decode bytes to text: the declared charset, else UTF-8, detection, latin-1.

    Returns the text and a defect (None when the declared charset decoded cleanly). A
    declared single-byte western charset on valid non-ASCII UTF-8 is taken as mislabelled UTF-8;
    a declared charset that fails on a few bytes (<= 0.5 %) is kept with replacement characters.
    A declared us-ascii says nothing about 8-bit bytes: those are decoded as if undeclared.
    ``detect=False`` skips charset-normalizer (for many tiny pieces, where it costs most and
    guesses worst).
    """
    if not data:
        return "", None
    codec = _codec(charset)
    label = charset.strip() if charset else None
    if codec in _SINGLE_BYTE_WESTERN and not data.isascii():
        utf8 = _try_decode(data, "utf_8")
        if utf8 is not None:
            return utf8, f"charset {label} declared but content is UTF-8"
    if codec == "ascii" and not data.isascii():
        return _decode_undeclared(data, f"charset {label} declared but content is 8-bit", detect, utf8_tried=True)
    if codec is not None:
        for name in dict.fromkeys((_CHARSET_SUPERSETS.get(codec, codec), codec)):
            text = _try_decode(data, name)
            if text is not None:
                return text, None
        lenient = data.decode(_CHARSET_SUPERSETS.get(codec, codec), errors="replace")
        bad = lenient.count("\ufffd") - data.count("\ufffd".encode())
        if bad <= max(1, len(data) // 200):
            return lenient, f"{bad} undecodable bytes in charset {label}"
    reason = f"charset {label} wrong" if label and codec else f"charset {label} unknown" if label else None
    text = _try_decode(data, "utf_8")
    if text is not None:
        return text, f"{reason}; decoded as UTF-8" if reason and codec not in (None, "ascii") else reason
    return _decode_undeclared(data, reason, detect, utf8_tried=True)


def _decode_undeclared(
    data: bytes, reason: str | None, detect: bool, *, utf8_tried: bool = False
) -> tuple[str, str | None]:
    """Bytes with no usable charset: UTF-8, else a detection guess, else windows-1252, else latin-1."""
    reason = reason or "no charset"
    if not utf8_tried:
        text = _try_decode(data, "utf_8")
        if text is not None:
            return text, f"{reason}; decoded as UTF-8"
    detected = _detect(data) if detect else None
    if detected is not None:
        return data.decode(detected, errors="replace"), f"{reason}; detected {detected}"
    text = _try_decode(data, "cp1252")
    if text is not None:
        return text, f"{reason}; decoded as windows-1252"
    return data.decode("latin_1"), f"{reason}; decoded as latin-1"


def _try_decode(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _detect(data: bytes) -> str | None:
    """charset-normalizer's best guess on the first 64 KiB, or None (also when too few bytes to tell)."""
    sample = data[:65536]
    if sum(b > 0x7F for b in sample) < _MIN_DETECT_BYTES:
        return None
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    if best is None:
        return None
    return _codec(best.encoding)


def decode_payload(part: StdMessage, limit: int | None = None) -> tuple[str, list[str]]:
    """Decode one leaf part's payload to text; ``limit`` cuts the bytes first (at a line end).

    Returns the text and the defects met (bad charset, truncation).
    """
    defects: list[str] = []
    payload = part.get_payload(decode=True)
    if payload is None:
        return "", defects
    if isinstance(payload, str):  # pragma: no cover - compat32 returns bytes
        return payload, defects
    if limit is not None and len(payload) > limit:
        cut = payload.rfind(b"\n", max(0, limit - 4096), limit)
        payload = payload[: cut if cut > 0 else limit]
        defects.append(f"{part.get_content_type()} part cut to {len(payload)} bytes")
    charset = part.get_param("charset")
    charset = charset if isinstance(charset, str) else None
    if charset is None and part.get_content_type() == "text/html":
        meta = _META_CHARSET.search(payload[:4096])
        charset = meta.group(1).decode("ascii") if meta else None
    text, defect = decode_bytes(payload, charset)
    if defect:
        defects.append(defect)
    return text, defects


# ---------------------------------------------------------------------------------------------
# HTML


def html_to_text(html: str) -> str:
    """Render HTML to plain text with inscriptis (layout-aware, no network); never raises.

    Falls back to a tag stripper when inscriptis fails or loses all the text (it drops
    content nested deeper than the HTML parser's depth limit).
    """
    from inscriptis import get_text

    html = re.sub(r"^\s*<\?xml[^>]*\?>", "", html)
    try:
        text = get_text(html)
    except Exception:  # noqa: BLE001 - any parser failure falls back to the tag stripper
        text = ""
    if text.strip():
        return text
    return _strip_tags(html)


def _strip_tags(html: str) -> str:
    """Text of HTML without its tags and script/style/head content; linear in the input."""
    import html as html_lib

    html = _drop_hidden(html)
    html = re.sub(r"(?i)<br\s*/?>|</(p|div|tr|li|h[1-6])\s*>", "\n", html)
    return html_lib.unescape(_TAG.sub("", html))


_HIDDEN_OPEN = re.compile(r"(?i)<(script|style|head)\b")
_TAG = re.compile(r"<[^<>]*>")
"""A tag; it stops at the next ``<`` so that a run of unclosed ``<`` stays linear."""


def _drop_hidden(html: str) -> str:
    """``html`` without script, style and head elements; an unclosed one runs to the end (as in browsers).

    One forward scan: ``<(script|style|head).*?</\\1>`` as a regex rescans to the end for every
    unclosed opening tag.
    """
    out: list[str] = []
    pos = 0
    while (m := _HIDDEN_OPEN.search(html, pos)) is not None:
        out.append(html[pos : m.start()])
        close = re.compile(rf"(?i)</{m.group(1)}\s*>").search(html, m.end())
        if close is None:
            return " ".join(out)
        out.append(" ")
        pos = close.end()
    out.append(html[pos:])
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# headers


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
class _Headers:
    """Raw header values by lower-case name, in order, as the parser stored them."""

    values: dict[str, list[str]] = field(default_factory=dict)
    defects: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, msg: StdMessage) -> _Headers:
        h = cls()
        for name, value in msg.raw_items():
            h.values.setdefault(name.lower(), []).append(str(value))
        return h

    def raw(self, name: str) -> str | None:
        found = self.values.get(name.lower())
        if not found:
            return None
        value = found[0]
        if len(value) > MAX_HEADER_CHARS:
            self.defects.append(f"{name} header cut to {MAX_HEADER_CHARS} characters")
            value = value[:MAX_HEADER_CHARS]
        return value

    def text(self, name: str) -> str | None:
        return decode_header_value(self.raw(name))

    def addresses(self, name: str) -> tuple[str, ...]:
        found = self.values.get(name.lower(), [])
        joined = ", ".join(found)
        if len(joined) > MAX_HEADER_CHARS:
            self.defects.append(f"{name} header cut to {MAX_HEADER_CHARS} characters")
            joined = joined[:MAX_HEADER_CHARS]
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
        if len(out) > MAX_ADDRESSES:
            self.defects.append(f"{name}: only the first {MAX_ADDRESSES} of {len(out)} addresses kept")
        return tuple(out[:MAX_ADDRESSES])


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


# ---------------------------------------------------------------------------------------------
# MIME walk


@dataclass
class _Walk:
    """What a walk over one message's tree collects besides its text."""

    attachments: list[Attachment] = field(default_factory=list)
    attached: list[tuple[str | None, StdMessage]] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    parts: int = 0
    text_chars: int = 0
    """Characters of text decoded so far, outer whitespace not counted (bounded by twice :data:`MAX_TEXT_CHARS`)."""
    html_chars: int = 0
    """Characters of HTML rendered so far (bounded by :data:`MAX_HTML_CHARS`)."""

    def defect(self, text: str) -> None:
        if text not in self.defects:
            self.defects.append(text)


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


def _filename(part: StdMessage) -> str | None:
    """The decoded filename of a part; raw 8-bit names (UTF-8 or a legacy charset) decoded too."""
    try:
        name = part.get_filename()
        if isinstance(name, str) and "\ufffd" in name:  # compat32 blanks undeclared 8-bit bytes
            name = _raw_filename(part) or name
    except (ValueError, TypeError, LookupError, IndexError):
        return None
    return decode_header_value(name) if name else None


class _RawFetchPolicy(_BoundedPolicy):
    """Header values as stored, 8-bit bytes kept surrogate-escaped (compat32 turns them into U+FFFD)."""

    def header_fetch_parse(self, name: str, value: str) -> str:
        return value


_RAW_FETCH = _RawFetchPolicy()


def _raw_filename(part: StdMessage) -> str | None:
    raw = StdMessage(policy=_RAW_FETCH)
    for name, value in part.raw_items():
        if name.lower() in ("content-disposition", "content-type"):
            raw.set_raw(name, value)
    found = raw.get_filename()
    return found if isinstance(found, str) else None


def _texts(part: StdMessage, depth: int, walk: _Walk) -> list[tuple[str, str]]:
    """``(text, body type)`` of the inline text in ``part``, in document order.

    Attachments and attached messages are recorded in ``walk`` instead.
    """
    walk.parts += 1
    if walk.parts > MAX_PARTS:
        walk.defect(f"more than {MAX_PARTS} MIME parts; the rest skipped")
        return []
    if depth > MAX_DEPTH:
        walk.defect(f"MIME nesting deeper than {MAX_DEPTH}; inner parts skipped")
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
        walk.attachments.append(Attachment(_filename(part), ctype, _payload_size(part)))
        return []
    return _leaf(part, ctype, walk, inline=depth == 0)


def _attached_message(part: StdMessage, walk: _Walk) -> list[tuple[str, str]]:
    inner = part.get_payload()[0] if part.get_payload() else None
    name = _filename(part)
    if isinstance(inner, StdMessage) and _transfer_encoding(part) in ("base64", "quoted-printable"):
        inner = _reparse_encoded(inner, _transfer_encoding(part), walk)
    walk.attachments.append(Attachment(name, part.get_content_type(), _payload_size(part)))
    if isinstance(inner, StdMessage):
        walk.attached.append((name, inner))
    return []


def _reparse_encoded(inner: StdMessage, encoding: str, walk: _Walk) -> StdMessage | None:
    """An attached message sent base64/quoted-printable encoded (not allowed, but seen): decode, parse.

    The parser read the encoded text as a headerless message; its serialisation is that text.
    """
    try:
        encoded = inner.as_bytes()
        data = base64.b64decode(encoded) if encoding == "base64" else binascii.a2b_qp(encoded)
        data, cut = _bound_structure(data)
        if cut:
            walk.defect(cut)
        walk.defect(f"attached message with {encoding} transfer encoding")
        return _parse_bytes(data.lstrip(b"\r\n"))
    except (binascii.Error, ValueError, LookupError, TypeError, RecursionError):
        return None


def _multipart(part: StdMessage, ctype: str, depth: int, walk: _Walk) -> list[tuple[str, str]]:
    children = [_texts(child, depth + 1, walk) for child in part.get_payload() if isinstance(child, StdMessage)]
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


def _recover_multipart(part: StdMessage, walk: _Walk) -> StdMessage | None:
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
    data, cut = _bound_structure(data)
    try:
        recovered = _parse_bytes(head + data)
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


def _leaf(part: StdMessage, ctype: str, walk: _Walk, *, inline: bool = False) -> list[tuple[str, str]]:
    """A leaf part: body text when it is inline plain text or HTML, else an attachment.

    ``inline`` reads a text part as body even when its disposition says attachment (a
    message whose only part is that text).
    """
    disposition = (part.get_content_disposition() or "").lower()
    filename = _filename(part)
    if ctype not in _BODY_TYPES or (disposition == "attachment" and not inline):
        size = _payload_size(part)
        if size or filename:
            walk.attachments.append(Attachment(filename, ctype, size))
        return []
    if walk.text_chars >= 2 * MAX_TEXT_CHARS:
        walk.defect(f"text parts after the first {2 * MAX_TEXT_CHARS} characters of text skipped")
        return []
    html_left = MAX_HTML_CHARS - walk.html_chars
    if ctype == "text/html" and html_left <= 0:
        walk.defect(f"HTML parts after the first {MAX_HTML_CHARS} characters of HTML skipped")
        return []
    limit = html_left * 4 if ctype == "text/html" else MAX_TEXT_CHARS * 4
    text, defects = decode_payload(part, limit)
    for d in defects:
        walk.defect(d)
    if ctype == "text/plain" and html_left > 0 and _HTML_DOCUMENT.match(text[:1024]):
        walk.defect("text/plain part is an HTML document; rendered as HTML")
        ctype = "text/html"
    if ctype == "text/html":
        if len(text) > html_left:
            walk.defect(f"HTML cut to {MAX_HTML_CHARS} characters before conversion")
            text = text[:html_left]
        walk.html_chars += len(text)
        text = html_to_text(text)
    walk.text_chars += len(text.strip())
    return [(text, ctype)]


def _join(texts: list[tuple[str, str]]) -> tuple[str, str]:
    filled = [(t, kind) for t, kind in texts if t.strip()]
    if not filled:
        return "", "text/plain"
    return "\n\n".join(t for t, _ in filled), filled[0][1]


# ---------------------------------------------------------------------------------------------
# raw bytes


def _check_raw(data: bytes) -> bytes:
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


_HEADER_LINE = re.compile(rb"[!-9;-~]+:")
_MIME_HEADER_LINE = re.compile(rb"(?i)(?:content-type|mime-version)[ \t]*:")
_SPLIT_HEADER_LINES = 64
"""Lines after the first blank line searched for the rest of a split header block."""


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


def _bound_structure(data: bytes) -> tuple[bytes, str | None]:
    """Cut the raw bytes after :data:`MAX_LINES` lines, and before the part that would exceed
    :data:`MAX_PARTS`/:data:`MAX_CONTAINERS`; the defect says which."""
    cut = _cut_lines(data, MAX_LINES)
    lines_cut = f"message cut after {MAX_LINES} lines" if cut is not None else None
    if cut is not None:
        data = cut
    containers = 0
    for parts, m in enumerate(_CONTENT_TYPE_LINE.finditer(data), 1):
        containers += m.group(1).lower().startswith((b"multipart/", b"message/"))
        if parts > MAX_PARTS or containers > MAX_CONTAINERS:
            what = f"{MAX_PARTS} parts" if parts > MAX_PARTS else f"{MAX_CONTAINERS} nested containers"
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


def _parse_tree(data: bytes) -> tuple[StdMessage, list[str]]:
    data, repaired = _repair_header_block(data)
    data, cut = _bound_structure(data)
    try:
        msg = _parse_bytes(data)
    except RecursionError as exc:
        raise MessageError("MIME structure nested too deeply") from exc
    if not msg.keys():
        raise MessageError("no RFC 822 headers found: not an email message")
    return msg, [d for d in (repaired, cut) if d]


# ---------------------------------------------------------------------------------------------
# message


@dataclass
class _Body:
    text: str
    body_type: str
    walk: _Walk
    extra_headers: dict[str, str]


def _extract_body(msg: StdMessage, headers: _Headers) -> _Body:
    walk = _Walk()
    try:
        text, body_type = _join(_texts(msg, 0, walk))
    except RecursionError as exc:
        raise MessageError("MIME structure nested too deeply") from exc
    extra: dict[str, str] = {}
    for name in PEC_HEADERS:
        value = headers.text(name)
        if value:
            extra[name] = value
    postacert = [(n, m) for n, m in walk.attached if (n or "").lower() == _POSTACERT]
    if not postacert and ("X-Trasporto" in extra or "X-Ricevuta" in extra):
        postacert = walk.attached[:1]
    if postacert or not _has_words(text):
        found = _attached_body(postacert or walk.attached, walk, 1)
        if found is not None:
            text, body_type, inner = found
            source = _POSTACERT if postacert else "message/rfc822"
            extra[BODY_PART_HEADER] = source
            extra.update(_inner_headers(inner, source))
    return _Body(text, body_type, walk, extra)


def _has_words(text: str) -> bool:
    return any(c.isalnum() for c in text)


def _attached_body(
    attached: list[tuple[str | None, StdMessage]], walk: _Walk, depth: int
) -> tuple[str, str, StdMessage] | None:
    """Text of the first attached message that has some (searching attachments of attachments)."""
    for _, inner in attached:
        if depth > MAX_DEPTH:
            walk.defect(f"MIME nesting deeper than {MAX_DEPTH}; inner parts skipped")
            return None
        inner_walk = _Walk(parts=walk.parts)
        try:
            text, body_type = _join(_texts(inner, depth, inner_walk))
        except RecursionError:
            text, body_type = "", "text/plain"
        walk.parts = inner_walk.parts
        for d in inner_walk.defects:
            walk.defect(d)
        if _has_words(text):
            return text, body_type, inner
        found = _attached_body(inner_walk.attached, walk, depth + 1)
        if found is not None:
            return found
    return None


def _inner_headers(inner: StdMessage, source: str) -> dict[str, str]:
    """From/Subject/Date/Message-ID of the message the body came from, under ``X-<source>-*`` keys."""
    prefix = "X-Postacert" if source == _POSTACERT else "X-Attached"
    h = _Headers.of(inner)
    out = {}
    for name in ("From", "Subject", "Date", "Message-ID"):
        value = h.text(name)
        if value:
            out[f"{prefix}-{name}"] = value
    return out


def _normalise_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return text.removeprefix("\ufeff")


def parse_message(raw: RawMessage, *, keep_quotes: bool = False) -> Message:
    """Parse one raw message; raises :class:`MessageError` with a reason when it is not mail.

    ``Message.text`` is the exact string entity offsets refer to: LF line ends, quoted
    history removed unless ``keep_quotes``, at most :data:`MAX_TEXT_CHARS` characters.
    """
    data = _check_raw(raw.data)
    msg, defects = _parse_tree(data)
    headers = _Headers.of(msg)
    body = _extract_body(msg, headers)
    text = _normalise_text(body.text)
    truncated = len(text) > 2 * MAX_TEXT_CHARS
    text = text[: 2 * MAX_TEXT_CHARS]  # bounds quote removal; it only ever shortens the text
    if not keep_quotes:
        text = strip_quotes(text, lang_hint="it")
    if truncated or len(text) > MAX_TEXT_CHARS:
        defects.append(f"body truncated to {MAX_TEXT_CHARS} characters")
        text = text[:MAX_TEXT_CHARS]
    message_id = headers.text("Message-ID")
    message = Message(
        source=raw.source,
        key=raw.key,
        folder=raw.folder,
        uid=raw.uid,
        text=text,
        message_id=message_id,
        date=headers.text("Date"),
        sender=(headers.addresses("From") or (None,))[0],
        to=headers.addresses("To"),
        cc=headers.addresses("Cc"),
        subject=headers.text("Subject"),
        body_type=body.body_type,
        attachments=tuple(body.walk.attachments),
        defects=tuple(dict.fromkeys(defects + body.walk.defects + headers.defects)),
        headers=body.extra_headers,
    )
    return message


# ---------------------------------------------------------------------------------------------
# dedup and header entities


def dedup_key(message: Message) -> str:
    """The Message-ID when present, else ``sha256:<hex>`` of sender, date, subject and text.

    The pipeline processes each key once; the text is ``Message.text``, so the hash depends
    on ``keep_quotes``.
    """
    if message.message_id and message.message_id.strip():
        return message.message_id.strip()
    blob = "\x1f".join([message.sender or "", message.date or "", message.subject or "", message.text])
    return "sha256:" + hashlib.sha256(blob.encode("utf-8", "surrogatepass")).hexdigest()


def _address_fields(message: Message) -> Iterable[tuple[str, str]]:
    if message.sender:
        yield "from", message.sender
    for i, value in enumerate(message.to):
        yield f"to[{i}]", value
    for i, value in enumerate(message.cc):
        yield f"cc[{i}]", value


def header_entities(message: Message) -> list[Entity]:
    """From/To/Cc display names (``PER``) and addresses (``EMAIL``) as header entities.

    ``field`` is ``"from"`` for :attr:`Message.sender` and ``"to[i]"``/``"cc[i]"`` for
    ``Message.to[i]``/``Message.cc[i]``; ``start``/``end`` index into that stored string,
    which is ``Name <addr>``, ``addr`` or ``Name`` (see :func:`format_address`). Display
    names holding an ``@`` (an address, or PEC's "Per conto di: x@y") or no letter are not
    taken as names.
    """
    out: list[Entity] = []
    for name, value in _address_fields(message):
        name_span, addr_span = split_address(value)
        if name_span is not None:
            display = value[name_span[0] : name_span[1]]
            if "@" not in display and any(c.isalpha() for c in display):
                out.append(Entity(display, "PER", name_span[0], name_span[1], field=name))
        if addr_span is not None and addr_span[1] > addr_span[0]:
            out.append(Entity(value[addr_span[0] : addr_span[1]], "EMAIL", addr_span[0], addr_span[1], field=name))
    return out
