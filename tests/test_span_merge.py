"""merge_entities: one case per rule of the merge between model spans and recognizer spans."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from extractor.recognizers import LABEL_PRIORITY, PATTERN_LABELS, has_shape, merge_entities, recognize, resolve_overlaps
from extractor.records import Entity
from extractor.validators import entity_check


def span(text: str, surface: str, label: str, *, nth: int = 0, source: str | None = None) -> Entity:
    """The ``nth`` occurrence of ``surface`` in ``text`` as an entity."""
    start = -1
    for _ in range(nth + 1):
        start = text.index(surface, start + 1)
    return Entity(surface, label, start, start + len(surface), source=source)


def pairs(entities: list[Entity]) -> list[tuple[str, str, str | None]]:
    return [(e.text, e.label, e.source) for e in entities]


VALIDATE = entity_check({"CODICE_FISCALE": "codice_fiscale", "PARTITA_IVA": "partita_iva", "IBAN": "iban"})

# (id, text, model spans as (surface, label), expected (text, label, source) in offset order)
CASES = [
    ("model-keeps-labels-without-recognizer",
     "Mario Rossi di Ferri Srl, Bergamo",
     [("Mario Rossi", "PER"), ("Ferri Srl", "ORG"), ("Bergamo", "LOC")],
     [("Mario Rossi", "PER", "model"), ("Ferri Srl", "ORG", "model"), ("Bergamo", "LOC", "model")]),
    ("recognizer-spans-kept-without-model",
     "Tel. 035 123456, info@ferri.it",
     [],
     [("035 123456", "PHONE", "pattern"), ("info@ferri.it", "EMAIL", "pattern")]),
    ("same-span-same-label-recognizer-wins",
     "scrivere a info@ferri.it",
     [("info@ferri.it", "EMAIL")],
     [("info@ferri.it", "EMAIL", "pattern")]),
    ("longer-model-span-of-pattern-label-dropped",
     "importo € 2.480,00 + IVA",
     [("€ 2.480,00 + IVA", "MONEY")],
     [("€ 2.480,00", "MONEY", "pattern")]),
    ("shorter-model-span-of-pattern-label-dropped",
     "Tel. +39 035 123 4567",
     [("035 123 4567", "PHONE")],
     [("+39 035 123 4567", "PHONE", "pattern")]),
    ("model-adds-shaped-span-recognizer-missed",
     "chiamare in ore d'ufficio 035 123456",
     [("035 123456", "PHONE")],
     [("035 123456", "PHONE", "model")]),
    ("model-adds-valid-piva-recognizer-ruled-out",
     "cliente 01234567897",
     [("01234567897", "PARTITA_IVA")],
     [("01234567897", "PARTITA_IVA", "model")]),
    ("model-iban-without-iban-shape-dropped",
     "conto n. 000012345678 presso Banca Sella",
     [("000012345678", "IBAN"), ("Banca Sella", "ORG")],
     [("Banca Sella", "ORG", "model")]),
    ("model-date-without-date-shape-dropped",
     "ci vediamo domani o lunedì",
     [("domani", "DATE"), ("lunedì", "DATE")],
     []),
    ("model-money-without-currency-dropped",
     "totale 2.480,00 da saldare",
     [("2.480,00", "MONEY")],
     []),
    ("model-span-with-lead-in-dropped",
     "contatto: Tel 035 123456",
     [("Tel 035 123456", "PHONE")],
     [("035 123456", "PHONE", "pattern")]),
    ("model-piva-failing-validator-dropped",
     "cliente 01234567898",
     [("01234567898", "PARTITA_IVA")],
     []),
    ("model-span-over-other-label-recognizer-span-dropped",
     "Tel. 02-12345678",
     [("02-12345678", "DATE")],
     [("02-12345678", "PHONE", "pattern")]),
    ("model-org-swallowing-piva-dropped",
     "Ferri Srl P.IVA 01234567897",
     [("Ferri Srl P.IVA 01234567897", "ORG")],
     [("01234567897", "PARTITA_IVA", "pattern")]),
    ("overlap-longest-model-span-wins",
     "presso il Comune di Bergamo",
     [("Comune di Bergamo", "ORG"), ("Bergamo", "LOC")],
     [("Comune di Bergamo", "ORG", "model")]),
    ("overlap-equal-length-label-priority",
     "da Ferri",
     [("Ferri", "PER"), ("Ferri", "ORG")],
     [("Ferri", "ORG", "model")]),
    ("overlap-equal-length-earliest-start",
     "Gruppo Riva Acciai",
     [("Riva Acciai", "ORG"), ("Gruppo Riva", "ORG")],
     [("Gruppo Riva", "ORG", "model")]),
    ("result-sorted-by-offset",
     "Bergamo, 03/11/2025 - Mario Rossi",
     [("Mario Rossi", "PER"), ("Bergamo", "LOC")],
     [("Bergamo", "LOC", "model"), ("03/11/2025", "DATE", "pattern"), ("Mario Rossi", "PER", "model")]),
]


@pytest.mark.parametrize(("text", "model", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_merge_rule(text: str, model: list[tuple[str, str]], expected: list[tuple[str, str, str]]) -> None:
    pattern = recognize(text, PATTERN_LABELS)
    merged = merge_entities([span(text, s, lab) for s, lab in model], pattern, set(PATTERN_LABELS), VALIDATE)
    assert pairs(merged) == expected
    for e in merged:
        assert text[e.start : e.end] == e.text


def test_model_span_of_a_label_no_recognizer_ran_for_is_kept() -> None:
    text = "ci vediamo domani, Tel. 035 123456"
    owned = set(PATTERN_LABELS - {"DATE"})
    merged = merge_entities([span(text, "domani", "DATE")], recognize(text, owned), owned, VALIDATE)
    assert pairs(merged) == [("domani", "DATE", "model"), ("035 123456", "PHONE", "pattern")]


def test_validate_none_result_means_unchecked() -> None:
    text = "cliente 01234567897"
    merged = merge_entities([span(text, "01234567897", "PARTITA_IVA")], [], {"PARTITA_IVA"}, lambda e: None)
    assert pairs(merged) == [("01234567897", "PARTITA_IVA", "model")]


@pytest.mark.parametrize("validate", [None, VALIDATE], ids=["no-validator", "validator"])
def test_validator_optional(validate: Callable[[Entity], bool | None] | None) -> None:
    text = "cliente IT01234567898"  # the IT prefix gives it the shape; the check digit is wrong
    merged = merge_entities([span(text, "IT01234567898", "PARTITA_IVA")], [], {"PARTITA_IVA"}, validate)
    assert len(merged) == (1 if validate is None else 0)


def test_ungrounded_model_entities_pass_through_unchanged() -> None:
    text = "Mario Rossi"
    lost = Entity("Banca Sella", "ORG", None, None, grounded=False)
    lost_iban = Entity("IT00 nonsense", "IBAN", None, None, grounded=False)
    merged = merge_entities([lost, span(text, "Mario Rossi", "PER"), lost_iban], [], set(PATTERN_LABELS), VALIDATE)
    assert merged == [Entity("Mario Rossi", "PER", 0, 11, source="model"), lost, lost_iban]


def test_header_entities_pass_through_unchanged() -> None:
    text = "Tel. 035 123456"
    header = Entity("mario@ferri.it", "EMAIL", 0, 14, field="From")
    lost = Entity("Banca Sella", "ORG", None, None, grounded=False)
    merged = merge_entities([lost, header], recognize(text, PATTERN_LABELS), set(PATTERN_LABELS), VALIDATE)
    assert merged == [*recognize(text, PATTERN_LABELS), header, lost]


def test_model_source_kept_when_set() -> None:
    text = "Mario Rossi"
    merged = merge_entities([span(text, "Mario Rossi", "PER", source="adapter")], [], set(), None)
    assert merged[0].source == "adapter"


def test_pattern_validity_survives_the_merge() -> None:
    text = "IBAN IT61X0542811101000000123456"
    merged = merge_entities([span(text, "IT61X0542811101000000123456", "IBAN")], recognize(text, {"IBAN"}),
                            {"IBAN"}, VALIDATE)
    assert [(e.source, e.valid) for e in merged] == [("pattern", False)]


# (id, entities, kept (text, label) in offset order)
OVERLAP_CASES = [
    ("longest-first", [Entity("novembre", "ORG", 3, 11), Entity("12 novembre", "DATE", 0, 11)],
     [("12 novembre", "DATE")]),
    ("priority-phone-over-date", [Entity("02-12-34", "DATE", 0, 8), Entity("02-12-34", "PHONE", 0, 8)],
     [("02-12-34", "PHONE")]),
    ("priority-identifier-over-phone",
     [Entity("01234567897", "PHONE", 0, 11), Entity("01234567897", "PARTITA_IVA", 0, 11)],
     [("01234567897", "PARTITA_IVA")]),
    ("priority-org-over-per", [Entity("Ferri", "PER", 0, 5), Entity("Ferri", "ORG", 0, 5)], [("Ferri", "ORG")]),
    ("unknown-label-after-known", [Entity("Ferri", "PRODUCT", 0, 5), Entity("Ferri", "LOC", 0, 5)],
     [("Ferri", "LOC")]),
    ("unknown-labels-alphabetical", [Entity("X", "ZETA", 0, 1), Entity("X", "ALFA", 0, 1)], [("X", "ALFA")]),
    ("earliest-start", [Entity("b c", "ORG", 2, 5), Entity("a b", "ORG", 0, 3)], [("a b", "ORG")]),
    ("duplicates-collapse", [Entity("a", "PER", 0, 1), Entity("a", "PER", 0, 1)], [("a", "PER")]),
    ("disjoint-all-kept-sorted", [Entity("b", "PER", 2, 3), Entity("a", "LOC", 0, 1)], [("a", "LOC"), ("b", "PER")]),
    ("ungrounded-ignored", [Entity("a", "PER", None, None, grounded=False)], []),
]


@pytest.mark.parametrize(("entities", "kept"), [c[1:] for c in OVERLAP_CASES], ids=[c[0] for c in OVERLAP_CASES])
def test_overlap_rule(entities: list[Entity], kept: list[tuple[str, str]]) -> None:
    assert [(e.text, e.label) for e in resolve_overlaps(entities)] == kept


def test_priority_order_is_documented() -> None:
    assert LABEL_PRIORITY[:3] == ("IBAN", "CODICE_FISCALE", "PARTITA_IVA")
    assert set(LABEL_PRIORITY) >= set(PATTERN_LABELS)


SHAPES = [
    ("iban", "IT60 X054 2811 1010 0000 0123 456", "IBAN", True),
    ("iban-wrong-check-digits-still-shaped", "IT61X0542811101000000123456", "IBAN", True),
    ("iban-not-shaped", "000012345678", "IBAN", False),
    ("phone", "+39 035 123 4567", "PHONE", True),
    ("phone-with-lead-in", "Tel. 035 123456", "PHONE", False),
    ("date", "martedì 4 novembre", "DATE", True),
    ("date-relative", "domani", "DATE", False),
    ("money", "€ 2.480,00", "MONEY", True),
    ("money-bare", "2.480,00", "MONEY", False),
    ("email", "info@ferri.it", "EMAIL", True),
    ("email-url", "https://ferri.it", "EMAIL", False),
    ("cf", "RSSMRA85T10A562S", "CODICE_FISCALE", True),
    ("cf-numeric", "01234567897", "CODICE_FISCALE", False),
    ("label-without-recognizer", "anything", "PER", True),
]


@pytest.mark.parametrize(("text", "label", "ok"), [c[1:] for c in SHAPES], ids=[c[0] for c in SHAPES])
def test_has_shape(text: str, label: str, ok: bool) -> None:
    assert has_shape(Entity(text, label, 0, len(text))) is ok
