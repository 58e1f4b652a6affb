"""Tokens and IOB tags <-> text and character spans.

Detokenisation joins tokens with one space, except:

* no space before closing punctuation: ``, . ; : ! ? ) ] } »`` (and ``...``, ``…``);
* no space after opening brackets and quotes: ``( [ { «``;
* no space after an elided word ending in an apostrophe (``'`` or ``’``), as KIND keeps
  ``l'`` and ``dell'`` as tokens: ``dell'`` + ``Università`` -> ``dell'Università``.
  A lone apostrophe (``anni ' 80``) and the truncations ``po'`` and ``de'`` keep their space.

Offsets of every token in the joined text are returned, so spans stay exact whatever the
spacing. Tag decoding follows seqeval's default (non-strict) mode: an ``I-X`` that does not
continue an open ``X`` span starts a new one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from training.examples import Span

CLOSING = frozenset({",", ".", ";", ":", "!", "?", ")", "]", "}", "»", "...", "…"})
OPENING = frozenset({"(", "[", "{", "«"})
APOSTROPHES = "'’"
NOT_ELIDED = frozenset({"po", "de"})  # truncations followed by a space: "un po' di", "de' Medici"

TokenSpan = tuple[int, int, str]  # token indices [start, end) and label


def _elided(token: str) -> bool:
    return (
        len(token) >= 2
        and token[-1] in APOSTROPHES
        and token[-2].isalpha()
        and token[:-1].lower() not in NOT_ELIDED
    )


def detokenize(tokens: Sequence[str]) -> tuple[str, list[tuple[int, int]]]:
    """Join ``tokens`` into text; return the text and each token's ``(start, end)`` in it."""
    parts: list[str] = []
    offsets: list[tuple[int, int]] = []
    pos = 0
    prev: str | None = None
    for tok in tokens:
        if prev is not None and not (tok in CLOSING or prev in OPENING or _elided(prev)):
            parts.append(" ")
            pos += 1
        parts.append(tok)
        offsets.append((pos, pos + len(tok)))
        pos += len(tok)
        prev = tok
    return "".join(parts), offsets


def _split_tag(tag: str) -> tuple[str, str | None]:
    """``B-PER`` -> (``B``, ``PER``); ``O`` -> (``O``, None); a bare ``PER`` reads as ``I-PER``."""
    tag = tag.strip()
    if tag in ("", "O"):
        return "O", None
    if len(tag) > 2 and tag[1] == "-" and tag[0] in "BIES":
        return tag[0], tag[2:]
    return "I", tag


def tags_to_spans(tags: Sequence[str], label_map: Mapping[str, str | None] | None = None) -> list[TokenSpan]:
    """Decode IOB1/IOB2/IOBES (or bare IO) tags into token spans ``(start, end, label)``.

    ``I-X`` continues only an open ``X`` span, otherwise it starts a new one (so a leading
    ``I-`` is a span, as in seqeval's default mode). ``label_map`` renames labels after
    decoding; a label mapped to None is dropped (``{"MISC": None}``).
    """
    spans: list[TokenSpan] = []
    start: int | None = None
    label: str | None = None

    def close(end: int) -> None:
        nonlocal start, label
        if start is not None and label is not None:
            spans.append((start, end, label))
        start, label = None, None

    for i, tag in enumerate(tags):
        prefix, typ = _split_tag(tag)
        if prefix == "O":
            close(i)
        elif prefix in "BS" or typ != label:
            close(i)
            start, label = i, typ
        if prefix in "ES":
            close(i + 1)
    close(len(tags))
    if label_map:
        mapped = [(s, e, label_map.get(lab, lab)) for s, e, lab in spans]
        spans = [(s, e, lab) for s, e, lab in mapped if lab is not None]
    return spans


def token_spans_to_char_spans(token_spans: Sequence[TokenSpan], offsets: Sequence[tuple[int, int]]) -> list[Span]:
    """Turn token-index spans into character spans using each token's offsets."""
    return [Span(offsets[s][0], offsets[e - 1][1], lab) for s, e, lab in token_spans]


_TOKEN_RE = re.compile(r"\w+|[^\w\s]", re.UNICODE)


def tokenize(text: str) -> list[tuple[int, int]]:
    """Offsets of word runs and single punctuation characters (``dell'Università`` -> 3 tokens)."""
    return [(m.start(), m.end()) for m in _TOKEN_RE.finditer(text)]


def spans_to_bio(
    text: str, spans: Sequence[Span], token_offsets: Sequence[tuple[int, int]] | None = None
) -> tuple[list[str], list[str]]:
    """Tokens of ``text`` and their IOB2 tags for ``spans``.

    ``token_offsets`` defaults to :func:`tokenize`. Every span must start and end on token
    boundaries and spans must not overlap, otherwise ``ValueError``: BIO cannot say it.
    """
    offsets = list(tokenize(text) if token_offsets is None else token_offsets)
    tags = ["O"] * len(offsets)
    starts = {a: i for i, (a, _) in enumerate(offsets)}
    ends = {b: i for i, (_, b) in enumerate(offsets)}
    for span in sorted(spans):
        first, last = starts.get(span.start), ends.get(span.end)
        if first is None or last is None or last < first:
            raise ValueError(f"span {span} does not fall on token boundaries")
        if any(t != "O" for t in tags[first : last + 1]):
            raise ValueError(f"span {span} overlaps another span")
        tags[first] = f"B-{span.label}"
        for k in range(first + 1, last + 1):
            tags[k] = f"I-{span.label}"
    return [text[a:b] for a, b in offsets], tags
