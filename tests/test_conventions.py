"""Model spans brought to ANNOTATION.md's conventions before merging (``extractor.recognizers.conventions``)."""

from __future__ import annotations

import pytest

from extractor.recognizers.conventions import apply_conventions
from extractor.records import Entity


def model(text: str, surface: str, label: str) -> Entity:
    start = text.index(surface)
    return Entity(surface, label, start, start + len(surface), source="model")


# (text, model span, its label, expected (text, label) or None when dropped)
CASES = {
    "title-outside-per": ("Gentile Sig.ra Mariani,", "Sig.ra Mariani", "PER", ("Mariani", "PER")),
    "salutation-and-title": ("Gentili Sig. Conti, grazie", "Gentili Sig. Conti", "PER", ("Conti", "PER")),
    "salutation-outside-org": ("Spett.le Studio Bianchi\nvia Roma", "Spett.le Studio Bianchi", "ORG",
                               ("Studio Bianchi", "ORG")),
    "titled-org-is-a-person": ("c.a. Sig. Stefano Marino", "Sig. Stefano Marino", "ORG", ("Stefano Marino", "PER")),
    "surname-starting-like-a-title": ("il sig. Signorini", "Signorini", "PER", ("Signorini", "PER")),
    "lead-in-iban": ("IBAN: IT60X0542811101000000123456", "IBAN", "ORG", None),
    "lead-in-cf": ("C.F. RSSMRA85T10A562S", "C.F", "ORG", None),
    "lead-in-piva": ("P.IVA 01234567897", "P.IVA", "ORG", None),
    "bare-title": ("Sig Rossi", "Sig", "PER", None),
    "province-code": ("24121 Bergamo (BG)", "BG", "LOC", None),
    "acronym-org-kept": ("la sede INAIL di Bergamo", "INAIL", "ORG", ("INAIL", "ORG")),
    "two-letters-outside-parentheses-kept": ("ufficio UE a Roma", "UE", "ORG", ("UE", "ORG")),
    "cap-is-no-loc": ("35131 Padova", "35131", "LOC", None),
    "internal-office": ("Ufficio Acquisti di Edilnord", "Ufficio Acquisti", "ORG", None),
    "administration": ("Amministrazione", "Amministrazione", "ORG", None),
    "public-body-kept": ("Agenzia delle Entrate", "Agenzia delle Entrate", "ORG", ("Agenzia delle Entrate", "ORG")),
    "city-kept": ("a Milano", "Milano", "LOC", ("Milano", "LOC")),
}


@pytest.mark.parametrize("case", list(CASES))
def test_model_spans_follow_the_annotation_conventions(case: str):
    text, surface, label, expected = CASES[case]
    got = apply_conventions(text, [model(text, surface, label)])
    assert [(e.text, e.label) for e in got] == ([] if expected is None else [expected])
    assert all(text[e.start:e.end] == e.text and e.source == "model" for e in got)


def test_pattern_header_and_ungrounded_entities_pass_unchanged():
    text = "IBAN IT60X0542811101000000123456"
    kept = [Entity("IBAN", "ORG", 0, 4, source="pattern"), Entity("Sig", "PER", 0, 3, field="From"),
            Entity("C.F", "ORG", None, None, grounded=False, source="model")]
    assert apply_conventions(text, kept) == kept
