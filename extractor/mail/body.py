"""Which text is the body: the message's own inline text, else an attached message's; PEC's postacert.

Attached messages (``message/rfc822``) are listed as attachments, not read as body, unless the
message has no text of its own. PEC envelopes (``X-Trasporto``/``X-Ricevuta`` headers or a
``postacert.eml`` part) take the body of ``postacert.eml``, the certified message;
``Message.headers[BODY_PART_HEADER]`` records where the body came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message as StdMessage

from ..errors import MessageError
from . import limits
from .headers import Headers
from .tree import Walk, inline_texts, join_texts

BODY_PART_HEADER = "X-Extract-Body-Part"
"""Key in ``Message.headers`` naming the attached message the body came from, when it did."""
PEC_HEADERS = ("X-Trasporto", "X-Ricevuta", "X-TipoRicevuta", "X-Riferimento-Message-ID", "X-VerificaSicurezza")
"""PEC headers copied into ``Message.headers`` when present."""
_POSTACERT = "postacert.eml"


@dataclass
class Body:
    """The chosen body text and type, the walk that found it, and headers for ``Message.headers``."""

    text: str
    body_type: str
    walk: Walk
    extra_headers: dict[str, str]


def extract_body(msg: StdMessage, headers: Headers) -> Body:
    """Walk ``msg`` and choose its body; raises :class:`MessageError` when nesting defeats the parser."""
    walk = Walk()
    try:
        text, body_type = join_texts(inline_texts(msg, 0, walk))
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
    return Body(text, body_type, walk, extra)


def _has_words(text: str) -> bool:
    return any(c.isalnum() for c in text)


def _attached_body(
    attached: list[tuple[str | None, StdMessage]], walk: Walk, depth: int
) -> tuple[str, str, StdMessage] | None:
    """Text of the first attached message that has some (searching attachments of attachments)."""
    for _, inner in attached:
        if depth > limits.MAX_DEPTH:
            walk.defect(f"MIME nesting deeper than {limits.MAX_DEPTH}; inner parts skipped")
            return None
        inner_walk = Walk(parts=walk.parts)
        try:
            text, body_type = join_texts(inline_texts(inner, depth, inner_walk))
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
    h = Headers.of(inner)
    out = {}
    for name in ("From", "Subject", "Date", "Message-ID"):
        value = h.text(name)
        if value:
            out[f"{prefix}-{name}"] = value
    return out
