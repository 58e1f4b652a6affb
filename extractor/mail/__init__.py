"""E-mail decoding: raw bytes -> :class:`~extractor.records.Message` with the text the model will see.

* :mod:`.parse`: :func:`parse_message`, :func:`dedup_key`, :func:`header_entities`;
* :mod:`.raw`: rejecting what is not mail, header-block repairs, structure bounds, the bounded parse;
* :mod:`.tree`: the MIME walk (parts, containers, alternatives, attachments);
* :mod:`.body`: which text is the body (attached messages, PEC ``postacert.eml``);
* :mod:`.headers`: RFC 2047 decoding, the bounded header policy, addresses, part filenames;
* :mod:`.charset`: bytes to text, charset detection;
* :mod:`.html`: HTML to text;
* :mod:`.quotes`: quoted reply history removed;
* :mod:`.limits`: every bound on the work spent on one message.
"""

from __future__ import annotations

from .body import BODY_PART_HEADER, PEC_HEADERS
from .charset import decode_bytes, decode_payload
from .headers import decode_header_value, format_address, split_address
from .html import html_to_text
from .limits import (
    MAX_ADDRESSES,
    MAX_CONTAINERS,
    MAX_DEPTH,
    MAX_HEADER_CHARS,
    MAX_HEADER_PARAMS,
    MAX_HTML_CHARS,
    MAX_LINES,
    MAX_PARTS,
    MAX_PROBE_LINE,
    MAX_TEXT_CHARS,
)
from .parse import dedup_key, header_entities, parse_message
from .quotes import strip_quotes

__all__ = [
    "BODY_PART_HEADER",
    "MAX_ADDRESSES",
    "MAX_CONTAINERS",
    "MAX_DEPTH",
    "MAX_HEADER_CHARS",
    "MAX_HEADER_PARAMS",
    "MAX_HTML_CHARS",
    "MAX_LINES",
    "MAX_PARTS",
    "MAX_PROBE_LINE",
    "MAX_TEXT_CHARS",
    "PEC_HEADERS",
    "decode_bytes",
    "decode_header_value",
    "decode_payload",
    "dedup_key",
    "format_address",
    "header_entities",
    "html_to_text",
    "parse_message",
    "split_address",
    "strip_quotes",
]
