"""Words, BIO tags and character spans for the token-classification method.

A *word* is a run of word characters or one other non-space character (``dell'Università`` is
``dell``, ``'``, ``Università``), the same segmentation at training and serving time, so every
entity's ``text[start:end]`` is a run of whole words with exact offsets by construction.

Words meet subword tokens through the tokenizer's offset mapping: a word's *token* is the first
token containing the word's first character, and a token is *owned* by the last word mapped to it.
Only owned tokens carry a label (first-subword labelling; the other tokens of a word get -100).
A word sharing its token with a later word (the ``'`` of ``'Università``, one token on Qwen's
byte-level BPE) owns nothing: it continues the span its token's owner continues, else it is outside.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from extractor.records import Entity

Offsets = tuple[int, int]
CharSpan = tuple[int, int, str]  # start, end (exclusive), label
IGNORE = -100
"""Label id the loss skips: tokens that are not the first subword of a word, special tokens."""
OUTSIDE = "O"

_WORD_RE = re.compile(r"\w+|[^\w\s]", re.UNICODE)


def bio_labels(labels: Iterable[str]) -> list[str]:
    """``O`` then ``B-X``, ``I-X`` for each label, in order: the classifier's output classes."""
    out = [OUTSIDE]
    for label in labels:
        out += [f"B-{label}", f"I-{label}"]
    return out


def words(text: str) -> list[Offsets]:
    """Offsets of the words of ``text``."""
    return [(m.start(), m.end()) for m in _WORD_RE.finditer(text)]


def word_tags(word_offsets: Sequence[Offsets], spans: Iterable[CharSpan]) -> list[str]:
    """IOB2 tags of the words for character ``spans``.

    Raises ``ValueError`` when a span does not start and end on word boundaries or overlaps another.
    """
    tags = [OUTSIDE] * len(word_offsets)
    starts = {a: i for i, (a, _) in enumerate(word_offsets)}
    ends = {b: i for i, (_, b) in enumerate(word_offsets)}
    for start, end, label in sorted(spans):
        first, last = starts.get(start), ends.get(end)
        if first is None or last is None or last < first:
            raise ValueError(f"span {start}:{end} ({label}) does not fall on word boundaries")
        if any(t != OUTSIDE for t in tags[first : last + 1]):
            raise ValueError(f"span {start}:{end} ({label}) overlaps another span")
        tags[first] = f"B-{label}"
        for k in range(first + 1, last + 1):
            tags[k] = f"I-{label}"
    return tags


def word_to_token(word_offsets: Sequence[Offsets], token_offsets: Sequence[Offsets]) -> list[int | None]:
    """For each word, the first token whose offsets contain the word's first character (None if none).

    Both sequences are in text order; tokens with empty offsets (special tokens) never match.
    """
    out: list[int | None] = []
    t = 0
    for start, _ in word_offsets:
        while t < len(token_offsets) and token_offsets[t][1] <= start:
            t += 1
        out.append(t if t < len(token_offsets) and token_offsets[t][0] <= start else None)
    return out


def token_owners(word_token: Sequence[int | None], n_tokens: int) -> list[int | None]:
    """For each token, the index of the word that owns it (the last word mapped to it), else None."""
    owners: list[int | None] = [None] * n_tokens
    for w, t in enumerate(word_token):
        if t is not None:
            owners[t] = w
    return owners


def token_label_ids(tags: Sequence[str], word_token: Sequence[int | None], n_tokens: int,
                    label2id: Mapping[str, int]) -> list[int]:
    """Training labels of the tokens: the owner word's tag id on owned tokens, ``IGNORE`` elsewhere."""
    return [IGNORE if w is None else label2id[tags[w]]
            for w in token_owners(word_token, n_tokens)]


def _split(tag: str) -> tuple[str, str | None]:
    if len(tag) < 3 or tag[1] != "-" or tag[0] not in "BI":
        return OUTSIDE, None
    return tag[0], tag[2:]


def tags_from_tokens(token_tags: Sequence[str], word_token: Sequence[int | None]) -> list[str]:
    """Word tags from the predicted tags of the tokens (see the module docstring for unowned words)."""
    owners = token_owners(word_token, len(token_tags))
    tags: list[str] = []
    open_label: str | None = None
    for w, t in enumerate(word_token):
        prefix, label = _split(token_tags[t]) if t is not None else (OUTSIDE, None)
        if t is not None and owners[t] != w and not (prefix == "I" and label == open_label):
            prefix, label = OUTSIDE, None  # shares its token with a later word and does not continue a span
        tags.append(OUTSIDE if prefix == OUTSIDE else f"{prefix}-{label}")
        open_label = label
    return tags


def tag_spans(word_offsets: Sequence[Offsets], tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """Word-index spans ``(first, last + 1, label)`` of IOB tags.

    ``I-X`` continues only an open ``X`` span, otherwise it starts one (seqeval's default mode);
    ``B-X`` always starts one; a change of label closes the open span.
    """
    spans: list[tuple[int, int, str]] = []
    start: int | None = None
    label: str | None = None
    for i, tag in enumerate(tags):
        prefix, typ = _split(tag)
        if prefix == OUTSIDE or prefix == "B" or typ != label:
            if start is not None and label is not None:
                spans.append((start, i, label))
            start, label = (i, typ) if prefix != OUTSIDE else (None, None)
    if start is not None and label is not None:
        spans.append((start, len(tags), label))
    return spans


def char_spans(text: str, word_offsets: Sequence[Offsets], tags: Sequence[str]) -> list[CharSpan]:
    """Character spans of the tagged words, with whitespace stripped at both edges (empty ones dropped).

    No span crosses a line break (a name on one line and a company on the next are two spans):
    a tagged run of words is cut where a line ends.
    """
    out: list[CharSpan] = []
    for first, last, label in tag_spans(word_offsets, tags):
        piece = first
        for i in range(first + 1, last + 1):
            if i == last or "\n" in text[word_offsets[i - 1][1]:_stripped_start(text, word_offsets[i])]:
                span = _strip(text, word_offsets[piece][0], word_offsets[i - 1][1])
                if span is not None:
                    out.append((*span, label))
                piece = i
    return out


def _stripped_start(text: str, word: Offsets) -> int:
    start = word[0]
    while start < word[1] and text[start].isspace():
        start += 1
    return start


def _strip(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def to_entities(text: str, spans: Iterable[CharSpan]) -> list[Entity]:
    """:class:`Entity` records (``source="model"``) for character spans of ``text``."""
    return [Entity(text[s:e], label, s, e, source="model") for s, e, label in spans]
