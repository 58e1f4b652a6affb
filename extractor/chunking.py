"""Split long messages on paragraph boundaries so each piece fits the context.

Each chunk keeps its character offset into the whole text, so grounded offsets map back.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_PARAGRAPH = re.compile(r"\n[ \t]*\n")
_LINE = re.compile(r"\n")
_SENTENCE = re.compile(r"(?<=[.!?;])\s+")


@dataclass(frozen=True)
class Chunk:
    start: int
    text: str


def _fits_without_counting(text: str, max_tokens: int) -> bool:
    """True when ``text`` has so few bytes that it cannot exceed ``max_tokens`` tokens (one spare for a prefix)."""
    return len(text) < max_tokens and len(text.encode("utf-8")) < max_tokens


def _pieces(text: str, start: int, pattern: re.Pattern[str]) -> list[tuple[int, str]]:
    """Split ``text`` at ``pattern`` keeping each piece's absolute offset (separators dropped)."""
    out, pos = [], 0
    for m in pattern.finditer(text):
        out.append((start + pos, text[pos:m.start()]))
        pos = m.end()
    out.append((start + pos, text[pos:]))
    return [(s, t) for s, t in out if t.strip()]


def split_text(text: str, max_tokens: int, count_tokens: Callable[[str], int], max_chars: int | None = None) -> list[Chunk]:
    """Chunks of ``text`` each at most ``max_tokens`` tokens, cut at paragraphs, then lines,
    then sentences, then hard character limits. Chunk texts are exact slices of ``text``.
    """
    if max_tokens <= 0:
        raise ValueError("max_tokens must be positive")
    if not text.strip():
        return [Chunk(0, text)] if text else []
    # Tokens never outnumber UTF-8 bytes (byte-level BPE, byte fallback): short texts skip the tokenizer.
    if _fits_without_counting(text, max_tokens) or count_tokens(text) <= max_tokens:
        return [Chunk(0, text)]
    units = _units(text, 0, max_tokens, count_tokens, 0)
    chunks: list[Chunk] = []
    cur_start, cur_end, cur_tokens = None, None, 0
    for start, piece in units:
        n = count_tokens(piece)
        if cur_start is not None and cur_tokens + n + 1 > max_tokens:
            chunks.append(Chunk(cur_start, text[cur_start:cur_end]))
            cur_start, cur_tokens = None, 0
        if cur_start is None:
            cur_start = start
        cur_end = start + len(piece)
        cur_tokens += n + 1
    if cur_start is not None:
        chunks.append(Chunk(cur_start, text[cur_start:cur_end]))
    return chunks


def _units(text: str, start: int, max_tokens: int, count: Callable[[str], int], level: int) -> list[tuple[int, str]]:
    """Pieces no longer than ``max_tokens``, splitting ever finer as needed."""
    patterns = (_PARAGRAPH, _LINE, _SENTENCE)
    if level >= len(patterns):
        return _hard_split(text, start, max_tokens, count)
    out: list[tuple[int, str]] = []
    for s, piece in _pieces(text, start, patterns[level]):
        if _fits_without_counting(piece, max_tokens) or count(piece) <= max_tokens:
            out.append((s, piece))
        else:
            out.extend(_units(piece, s, max_tokens, count, level + 1))
    return out


def _hard_split(text: str, start: int, max_tokens: int, count: Callable[[str], int]) -> list[tuple[int, str]]:
    """Last resort: cut at whitespace near a character budget that fits the token budget."""
    out, pos = [], 0
    while pos < len(text):
        size = max(1, max_tokens * 4)  # a token is rarely longer than 4 characters
        while size > 1 and count(text[pos:pos + size]) > max_tokens:
            size //= 2
        end = min(len(text), pos + size)
        if end < len(text):
            space = text.rfind(" ", pos + 1, end)
            if space > pos:
                end = space
        out.append((start + pos, text[pos:end]))
        pos = end
    return [(s, t) for s, t in out if t.strip()]
