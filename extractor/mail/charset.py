"""Bytes to text: the declared charset, else UTF-8, charset-normalizer detection, latin-1 last."""

from __future__ import annotations

import codecs
import re
from email.message import Message as StdMessage

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

    Returns the text and the defects met (bad charset, truncation). An HTML part without a
    declared charset takes the one of its ``<meta>`` tag.
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
