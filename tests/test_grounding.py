"""Grounding: named cases for exact, fuzzy, repeated, accented and apostrophe forms."""

from __future__ import annotations

import pytest

from extractor.grounding import find_occurrences, ground

CASES = [
    # id, text, predictions, expected (text, label, start) triples
    ("exact", "Ciao Mario Rossi, a presto.", [("Mario Rossi", "PER")], [("Mario Rossi", "PER", 5)]),
    ("case-insensitive", "firmato: MARIO ROSSI", [("Mario Rossi", "PER")], [("MARIO ROSSI", "PER", 9)]),
    ("whitespace-insensitive", "la sede di Intesa\n  Sanpaolo a Milano", [("Intesa Sanpaolo", "ORG")],
     [("Intesa\n  Sanpaolo", "ORG", 11)]),
    ("apostrophe-variant", "il rettore dell’Università di Bologna", [("dell'Università di Bologna", "ORG")],
     [("dell’Università di Bologna", "ORG", 11)]),
    ("accented", "a Forlì e Cantù", [("Forlì", "LOC"), ("Cantù", "LOC")], [("Forlì", "LOC", 2), ("Cantù", "LOC", 10)]),
    ("inside-apostrophe", "sede dell'Università", [("Università", "ORG")], [("Università", "ORG", 10)]),
    ("repeated-form-all-mentions", "Roma e ancora Roma.", [("Roma", "LOC")], [("Roma", "LOC", 0), ("Roma", "LOC", 14)]),
    ("repeated-form-two-labels", "Roma batte Roma", [("Roma", "ORG"), ("Roma", "LOC")],
     [("Roma", "ORG", 0), ("Roma", "LOC", 11)]),
    ("word-boundary", "Romano vive a Roma", [("Roma", "LOC")], [("Roma", "LOC", 14)]),
    ("substring-fallback", "ACMEspa srl", [("ACME", "ORG")], [("ACME", "ORG", 0)]),
    ("longest-wins-overlap", "AS Roma vince", [("Roma", "LOC"), ("AS Roma", "ORG")], [("AS Roma", "ORG", 0)]),
    ("trailing-punctuation-trimmed", "Scrivi a Paolo, grazie", [("Paolo.", "PER")], [("Paolo", "PER", 9)]),
    ("duplicate-prediction", "Enel ed Enel", [("Enel", "ORG"), ("Enel", "ORG")], [("Enel", "ORG", 0), ("Enel", "ORG", 8)]),
    ("not-in-text-dropped", "nessuna entità", [("Milano", "LOC")], []),
    ("empty-surface-ignored", "testo", [("", "PER"), ("  ", "LOC")], []),
]


@pytest.mark.parametrize("text,preds,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_ground(text, preds, expected):
    res = ground(text, preds)
    got = [(e.text, e.label, e.start) for e in res.entities]
    assert got == expected
    for e in res.entities:
        assert text[e.start:e.end] == e.text


def test_offset_shift_and_drop_count():
    res = ground("Milano", [("Milano", "LOC"), ("Torino", "LOC")], offset=100)
    assert [(e.start, e.end) for e in res.entities] == [(100, 106)]
    assert res.dropped == 1


def test_keep_ungrounded_flags_them():
    res = ground("testo", [("Torino", "LOC")], keep_ungrounded=True)
    assert res.dropped == 1
    (ent,) = res.entities
    assert ent.grounded is False and ent.start is None and ent.to_dict()["grounded"] is False


def test_find_occurrences_prefers_exact_case():
    assert find_occurrences("Enel ENEL enel", "ENEL") == [(5, 9)]
