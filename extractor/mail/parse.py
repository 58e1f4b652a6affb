"""Raw bytes -> :class:`Message` with the body text the model will see; dedup keys and header entities.

What ends up in :attr:`Message.text`, in order:

1. The MIME tree is walked (``compat32`` parsing: fast, never raises on access), see :mod:`.tree`;
   the body is chosen among the message and its attached messages, see :mod:`.body`.
2. Charsets: the declared one, then (when it fails or is missing) UTF-8, charset-normalizer
   detection, latin-1 last (:mod:`.charset`).
3. Line ends become ``\\n``, quoted reply history is cut (:mod:`.quotes`) unless
   ``keep_quotes``, and the text is truncated to :data:`~.limits.MAX_TEXT_CHARS`.

Entity offsets refer to that final string. Anything cut or repaired is named in
``Message.defects``; a message that cannot be parsed at all raises :class:`MessageError`
with the reason.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from ..records import Entity, Message, RawMessage
from . import limits
from .body import extract_body
from .headers import Headers, split_address
from .quotes import strip_quotes
from .raw import check_raw, parse_tree


def parse_message(raw: RawMessage, *, keep_quotes: bool = False) -> Message:
    """Parse one raw message; raises :class:`MessageError` with a reason when it is not mail.

    ``Message.text`` is the exact string entity offsets refer to: LF line ends, quoted
    history removed unless ``keep_quotes``, at most :data:`~.limits.MAX_TEXT_CHARS` characters.
    """
    data = check_raw(raw.data)
    msg, defects = parse_tree(data)
    headers = Headers.of(msg)
    body = extract_body(msg, headers)
    text = _normalise_text(body.text)
    max_text = limits.MAX_TEXT_CHARS
    truncated = len(text) > 2 * max_text
    text = text[: 2 * max_text]  # bounds quote removal; it only ever shortens the text
    if not keep_quotes:
        text = strip_quotes(text, lang_hint="it")
    if truncated or len(text) > max_text:
        defects.append(f"body truncated to {max_text} characters")
        text = text[:max_text]
    return Message(
        source=raw.source,
        key=raw.key,
        folder=raw.folder,
        uid=raw.uid,
        text=text,
        message_id=headers.text("Message-ID"),
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


def _normalise_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return text.removeprefix("\ufeff")


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
    which is ``Name <addr>``, ``addr`` or ``Name`` (see :func:`~.headers.format_address`).
    Display names holding an ``@`` (an address, or PEC's "Per conto di: x@y") or no letter
    are not taken as names.
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
