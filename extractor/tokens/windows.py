"""Token windows with overlap over a long text, and which window decides each token's label.

A token's label comes from the window where it is most central (farthest from either edge), so
every token is classified with as much context as the windows give it on both sides.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .spans import IGNORE, CharSpan, token_label_ids, word_tags, word_to_token, words

Window = tuple[int, int]  # token indices [start, end)


def plan_windows(n_tokens: int, size: int, overlap: int) -> list[Window]:
    """Windows of at most ``size`` tokens covering ``n_tokens``; neighbours share at least ``overlap``.

    One window when the text fits; otherwise full-size windows every ``size - overlap`` tokens,
    the last one ending at the last token. No windows for no tokens.
    """
    if size < 1:
        raise ValueError("window size must be >= 1")
    if not 0 <= overlap < size:
        raise ValueError(f"overlap must be in [0, {size}), got {overlap}")
    if n_tokens <= 0:
        return []
    if n_tokens <= size:
        return [(0, n_tokens)]
    stride = size - overlap
    starts = list(range(0, n_tokens - size, stride)) + [n_tokens - size]
    return [(s, s + size) for s in starts]


def central_window(windows: Sequence[Window], n_tokens: int) -> list[int]:
    """For each token, the index of the window where it is most central (the earlier one on ties)."""
    best = [-1] * n_tokens
    margin = [-1] * n_tokens
    for w, (start, end) in enumerate(windows):
        for i in range(start, end):
            m = min(i - start, end - 1 - i)
            if m > margin[i]:
                best[i], margin[i] = w, m
    if any(b < 0 for b in best):
        raise ValueError("the windows do not cover every token")
    return best


@dataclass(frozen=True)
class EncodedText:
    """A text as token ids with character offsets, cut into model inputs.

    ``inputs[k]`` is ``prefix + ids[start:end] + suffix`` for ``windows[k]``; ``central[i]`` is the
    window that decides token ``i`` (its logits sit at row ``len(prefix) + i - start`` of that input).
    """

    ids: tuple[int, ...]
    offsets: tuple[tuple[int, int], ...]
    windows: tuple[Window, ...]
    central: tuple[int, ...]
    prefix: tuple[int, ...]
    suffix: tuple[int, ...]

    @property
    def inputs(self) -> list[list[int]]:
        return [[*self.prefix, *self.ids[s:e], *self.suffix] for s, e in self.windows]

    def row(self, token: int) -> tuple[int, int]:
        """``(window, row)`` where the logits that decide ``token`` are."""
        w = self.central[token]
        return w, len(self.prefix) + token - self.windows[w][0]


def special_frame(tokenizer: Any) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The special token ids the tokenizer puts before and after a text (BOS on Llama, none on Qwen)."""
    bare = list(tokenizer("a", add_special_tokens=False)["input_ids"])
    full = list(tokenizer("a")["input_ids"])
    for i in range(len(full) - len(bare) + 1):
        if full[i : i + len(bare)] == bare:
            return tuple(full[:i]), tuple(full[i + len(bare):])
    return (), ()


def encode_text(tokenizer: Any, text: str, max_len: int, overlap: int,
                frame: tuple[tuple[int, ...], tuple[int, ...]] | None = None) -> EncodedText:
    """Tokenise ``text`` with offsets (a fast tokenizer) and cut it into inputs of at most ``max_len`` ids."""
    prefix, suffix = frame if frame is not None else special_frame(tokenizer)
    size = max_len - len(prefix) - len(suffix)
    if size < 1:
        raise ValueError(f"max_len {max_len} leaves no room for text beside the special tokens")
    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    ids = tuple(int(i) for i in enc["input_ids"])
    offsets = tuple((int(a), int(b)) for a, b in enc["offset_mapping"])
    windows = plan_windows(len(ids), size, min(overlap, size - 1))
    return EncodedText(ids, offsets, tuple(windows), tuple(central_window(windows, len(ids))), prefix, suffix)


def labelled_windows(tokenizer: Any, text: str, spans: Iterable[CharSpan], label2id: Mapping[str, int],
                     max_len: int, overlap: int) -> list[tuple[list[int], list[int]]]:
    """Training inputs of one text: ``(input_ids, labels)`` per window, first-subword BIO labels.

    Each token is labelled in the window where it is most central only (-100 in the others), so a long
    text counts every token once. Raises ``ValueError`` for spans off word boundaries or overlapping.
    """
    offsets = words(text)
    tags = word_tags(offsets, spans)
    enc = encode_text(tokenizer, text, max_len, overlap)
    per_token = token_label_ids(tags, word_to_token(offsets, enc.offsets), len(enc.ids), label2id)
    out = []
    for k, ((start, end), ids) in enumerate(zip(enc.windows, enc.inputs, strict=True)):
        body = [per_token[i] if enc.central[i] == k else IGNORE for i in range(start, end)]
        out.append((ids, [IGNORE] * len(enc.prefix) + body + [IGNORE] * len(enc.suffix)))
    return out
