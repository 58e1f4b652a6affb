"""MIME decoding: raw bytes -> :class:`Message` with the body text the model will see."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage, Message as StdMessage
from email.utils import getaddresses

from .errors import MessageError
from .records import Attachment, Message, RawMessage

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def decode_payload(part: StdMessage) -> str:
    """Decode one leaf part's payload to text: declared charset, else detected, else latin-1."""
    payload = part.get_payload(decode=True)
    if payload is None:
        return ""
    if isinstance(payload, str):
        return payload
    charset = part.get_content_charset()
    if charset:
        try:
            return payload.decode(charset)
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(payload).best()
    if best is not None:
        return str(best)
    return payload.decode("latin-1")


def html_to_text(html: str) -> str:
    """Render HTML to plain text with inscriptis (layout-aware, no network)."""
    from inscriptis import get_text

    return get_text(html)


def _header(msg: StdMessage, name: str) -> str | None:
    try:
        value = msg.get(name)
    except Exception:  # malformed header values raise from the header registry
        raw = msg.get_all(name, failobj=[None]) if hasattr(msg, "get_all") else [None]
        value = raw[0]
    if value is None:
        return None
    return " ".join(str(value).split()) or None


def _addresses(msg: StdMessage, name: str) -> tuple[str, ...]:
    try:
        values = msg.get_all(name, [])
        pairs = getaddresses([str(v) for v in values])
    except Exception:
        return ()
    return tuple(f"{n} <{a}>" if n else a for n, a in pairs if a or n)


def _body(msg: StdMessage) -> tuple[str, str, list[Attachment]]:
    plain: str | None = None
    html: str | None = None
    attachments: list[Attachment] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        disposition = (part.get_content_disposition() or "").lower()
        filename = part.get_filename()
        if disposition == "attachment" or (filename and not ctype.startswith("text/")):
            payload = part.get_payload(decode=True) or b""
            attachments.append(Attachment(filename=filename, content_type=ctype, size=len(payload)))
            continue
        if ctype == "text/plain" and plain is None:
            plain = decode_payload(part)
        elif ctype == "text/html" and html is None:
            html = decode_payload(part)
    if plain is not None and plain.strip():
        return plain, "text/plain", attachments
    if html is not None:
        return html_to_text(html), "text/html", attachments
    return plain or "", "text/plain", attachments


def parse_message(raw: RawMessage) -> Message:
    """Parse one raw message; raises :class:`MessageError` with a reason when it is not mail."""
    data = raw.data
    if data.startswith(_OLE_MAGIC):
        raise MessageError("not an RFC 822 message: Outlook .msg (OLE compound file); export it as .eml")
    if not data.strip():
        raise MessageError("empty message")
    msg = email.message_from_bytes(data, policy=email.policy.default)
    if not isinstance(msg, EmailMessage) or not msg.keys():
        raise MessageError("no RFC 822 headers found")
    try:
        text, body_type, attachments = _body(msg)
    except RecursionError as exc:
        raise MessageError("MIME structure nested too deeply") from exc
    text = text.replace("\r\n", "\n")
    return Message(
        source=raw.source,
        key=raw.key,
        folder=raw.folder,
        uid=raw.uid,
        text=text,
        message_id=_header(msg, "Message-ID"),
        date=_header(msg, "Date"),
        sender=(_addresses(msg, "From") or (None,))[0],
        to=_addresses(msg, "To"),
        cc=_addresses(msg, "Cc"),
        subject=_header(msg, "Subject"),
        body_type=body_type,
        attachments=tuple(attachments),
        defects=tuple(type(d).__name__ for d in msg.defects),
    )
