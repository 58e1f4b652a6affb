"""Chunking on paragraph boundaries with offsets into the whole text."""

from __future__ import annotations

import pytest

from extractor.chunking import split_text


def words(text: str) -> int:
    return len(text.split())


CASES = [
    ("short-one-chunk", "Ciao Mario.", 50, (1, 1)),
    ("paragraphs", "uno due tre\n\nquattro cinque sei\n\nsette otto nove", 8, (2, 2)),
    ("lines-when-paragraph-too-long", "a b c d\ne f g h\ni l m n", 5, (3, 3)),
    ("sentences-when-line-too-long", "Uno due tre. Quattro cinque sei. Sette otto.", 4, (3, 3)),
    ("hard-split-one-long-word-run", " ".join(["parola"] * 30), 8, (4, 8)),
    ("empty", "", 10, (0, 0)),
]


@pytest.mark.parametrize("text,budget,n_chunks", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_split(text, budget, n_chunks):
    chunks = split_text(text, budget, words)
    assert n_chunks[0] <= len(chunks) <= n_chunks[1]
    for c in chunks:
        assert text[c.start:c.start + len(c.text)] == c.text
        assert words(c.text) <= budget
    # Every word of the text is in some chunk, in order.
    assert " ".join(w for c in chunks for w in c.text.split()) == " ".join(text.split())


def test_rejects_bad_budget():
    with pytest.raises(ValueError):
        split_text("x", 0, words)
