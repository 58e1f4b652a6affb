"""HTML to plain text: inscriptis, with a linear tag stripper as the fallback."""

from __future__ import annotations

import re

_HIDDEN_OPEN = re.compile(r"(?i)<(script|style|head)\b")
_TAG = re.compile(r"<[^<>]*>")
"""A tag; it stops at the next ``<`` so that a run of unclosed ``<`` stays linear."""


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
