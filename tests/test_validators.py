"""Codice fiscale, partita IVA and IBAN check digits, and applying them to entities.

Valid values below were built by computing the check character by hand (official tables /
Luhn / ISO 7064 mod 97-10), independently of extractor.validators (which uses python-stdnum).
"""

from __future__ import annotations

import pytest

from extractor.errors import ConfigError
from extractor.records import Entity
from extractor.validators import (
    VALIDATORS,
    apply_validation,
    cf_check_char,
    entity_check,
    iban_remainder,
    iban_shape,
    piva_check_digit,
    valid_codice_fiscale,
    valid_iban,
    valid_partita_iva,
)

CF_CASES = [
    ("RSSMRA85T10A562S", True, "Mario Rossi, 10/12/1985: the schema's example, check char S"),
    ("rssmra85t10a562s", True, "lower case"),
    ("RSSMRA 85T10 A562S", True, "spaces"),
    ("BNCLRA90E50F205S", True, "woman: day 10 + 40"),
    ("VRDGPP80A41H501Y", True, "woman born on the 1st (41)"),
    ("RSSMRA85T10A56NH", True, "omocodia: last Belfiore digit 2 -> N"),
    ("RSSMRA85T10A5RNS", True, "omocodia on two positions (6 -> R, 2 -> N)"),
    ("04336160264", True, "11-digit codice fiscale of a company (same as its partita IVA)"),
    ("RSSMRA85T10A562T", False, "wrong check character"),
    ("RSSMRA85T10A562", False, "15 characters"),
    ("RSSMRA85Z10A562S", False, "Z is no month letter"),
    ("RSSMRA85T32A562S", False, "day 32"),
    ("RSSMRA85T10A56AS", False, "A is no omocodia letter"),
    ("1SSMRA85T10A562S", False, "digit in the surname part"),
    ("04336160265", False, "11 digits with a wrong check digit"),
    ("", False, "empty"),
]


@pytest.mark.parametrize(("code", "ok", "why"), CF_CASES, ids=[c[2] for c in CF_CASES])
def test_codice_fiscale(code: str, ok: bool, why: str) -> None:
    assert valid_codice_fiscale(code) is ok


def test_codice_fiscale_numeric_can_be_refused() -> None:
    assert not valid_codice_fiscale("04336160264", allow_numeric=False)


PIVA_CASES = [
    ("01234567897", True, "the schema's example"),
    ("10914660153", True, "IBM Italia, from mail_test_10"),
    ("04336160264", True, "from mail_test_7"),
    ("12345678903", True, "hand-computed Luhn check 3"),
    ("IT01234567897", True, "IT prefix"),
    ("it 0123 4567 897", True, "lower-case prefix and spaces"),
    ("00000000018", True, "leading zeros"),
    ("01234567898", False, "wrong check digit"),
    ("0123456789", False, "10 digits"),
    ("012345678970", False, "12 digits"),
    ("0123456789A", False, "a letter"),
    ("00000000000", False, "all zeros"),
    ("DE01234567897", False, "another country's prefix"),
]


@pytest.mark.parametrize(("code", "ok", "why"), PIVA_CASES, ids=[c[2] for c in PIVA_CASES])
def test_partita_iva(code: str, ok: bool, why: str) -> None:
    assert valid_partita_iva(code) is ok


IBAN_CASES = [
    ("IT60X0542811101000000123456", True, "the known-valid Italian IBAN"),
    ("IT60 X054 2811 1010 0000 0123 456", True, "printed in groups of four"),
    ("it60x0542811101000000123456", True, "lower case"),
    ("IT57A0306909606100000063141", True, "hand-computed check digits 57"),
    ("SM96A0854009801000000178010", True, "San Marino, hand-computed"),
    ("DE89370400440532013000", True, "Germany"),
    ("GB82WEST12345698765432", True, "United Kingdom"),
    ("FR1420041010050500013M02606", True, "France"),
    ("ES9121000418450200051332", True, "Spain"),
    ("IT61X0542811101000000123456", False, "wrong check digits"),
    ("IT60X0542811101000000123457", False, "one account digit changed"),
    ("IT60X054281110100000012345", False, "26 characters, Italy needs 27"),
    ("IT600542811101000000123456X", False, "Italian layout broken (no CIN letter first)"),
    ("DE8937040044053201300", False, "Germany one digit short"),
    ("XX00", False, "too short"),
    ("", False, "empty"),
]


@pytest.mark.parametrize(("code", "ok", "why"), IBAN_CASES, ids=[c[2] for c in IBAN_CASES])
def test_iban(code: str, ok: bool, why: str) -> None:
    assert valid_iban(code) is ok


CHECK_DIGIT_CASES = [
    ("cf-check-char-rossi", cf_check_char, "RSSMRA85T10A562", "S"),
    ("cf-check-char-verdi", cf_check_char, "VRDGPP80A41H501", "Y"),
    ("piva-check-digit-schema-example", piva_check_digit, "0123456789", "7"),
    ("piva-check-digit-hand-computed", piva_check_digit, "0765432198", "8"),
    ("iban-remainder-valid", iban_remainder, "IT60X0542811101000000123456", 1),
]


@pytest.mark.parametrize(("fn", "arg", "expected"), [c[1:] for c in CHECK_DIGIT_CASES],
                         ids=[c[0] for c in CHECK_DIGIT_CASES])
def test_check_digit_helpers(fn, arg: str, expected: object) -> None:
    assert fn(arg) == expected


IBAN_SHAPE_CASES = [
    ("valid", "IT60X0542811101000000123456", True),
    ("wrong-check-digits", "IT61X0542811101000000123456", True),
    ("grouped-wrong-check-digits", "IT00 X054 2811 1010 0000 0123 456", True),
    ("germany-wrong-check-digits", "DE00370400440532013000", True),
    ("italy-one-short", "IT60X054281110100000012345", False),
    ("italian-layout-broken", "IT600542811101000000123456X", False),
    ("unknown-country", "XX60X0542811101000000123456", False),
    ("words", "IL10NOVEMBRE2025", False),
    ("empty", "", False),
]


@pytest.mark.parametrize(("code", "ok"), [c[1:] for c in IBAN_SHAPE_CASES], ids=[c[0] for c in IBAN_SHAPE_CASES])
def test_iban_shape(code: str, ok: bool) -> None:
    assert iban_shape(code) is ok


ENTITY_CHECK_CASES = [
    ("valid-piva", Entity("01234567897", "PARTITA_IVA", 0, 11), True),
    ("invalid-piva", Entity("01234567898", "PARTITA_IVA", 0, 11), False),
    ("invalid-iban", Entity("IT61X0542811101000000123456", "IBAN", 0, 27), False),
    ("unvalidated-label", Entity("Mario Rossi", "PER", 0, 11), None),
]


@pytest.mark.parametrize(("entity", "expected"), [c[1:] for c in ENTITY_CHECK_CASES],
                         ids=[c[0] for c in ENTITY_CHECK_CASES])
def test_entity_check(entity: Entity, expected: bool | None) -> None:
    check = entity_check({"PARTITA_IVA": "partita_iva", "IBAN": "iban"})
    assert check(entity) is expected


def test_entity_check_rejects_unknown_validator() -> None:
    with pytest.raises(ConfigError):
        entity_check({"IBAN": "bic"})


def test_validator_names() -> None:
    assert set(VALIDATORS) == {"codice_fiscale", "partita_iva", "iban"}


def _ents() -> list[Entity]:
    return [
        Entity("Mario Rossi", "PER", 0, 11),
        Entity("RSSMRA85T10A562S", "CODICE_FISCALE", 20, 36),
        Entity("RSSMRA85T10A562T", "CODICE_FISCALE", 40, 56),
        Entity("01234567897", "PARTITA_IVA", 60, 71),
        Entity("IT61X0542811101000000123456", "IBAN", 80, 107),
    ]


VALIDATED = {"CODICE_FISCALE": "codice_fiscale", "PARTITA_IVA": "partita_iva", "IBAN": "iban"}


def test_apply_validation_flag() -> None:
    out, dropped = apply_validation(_ents(), VALIDATED, "flag")
    assert dropped == 0
    assert [e.valid for e in out] == [None, True, False, True, False]
    assert [(e.text, e.start, e.end) for e in out] == [(e.text, e.start, e.end) for e in _ents()]


def test_apply_validation_drop() -> None:
    out, dropped = apply_validation(_ents(), VALIDATED, "drop")
    assert dropped == 2
    assert [e.text for e in out] == ["Mario Rossi", "RSSMRA85T10A562S", "01234567897"]
    assert all(e.valid is None for e in out)


def test_apply_validation_off() -> None:
    out, dropped = apply_validation(_ents(), VALIDATED, "off")
    assert (out, dropped) == (_ents(), 0)


def test_apply_validation_only_named_labels() -> None:
    out, _ = apply_validation(_ents(), {"IBAN": "iban"}, "flag")
    assert [e.valid for e in out] == [None, None, None, None, False]


@pytest.mark.parametrize(("validated", "mode"), [(VALIDATED, "strict"), ({"IBAN": "bic"}, "flag")],
                         ids=["unknown-mode", "unknown-validator"])
def test_apply_validation_rejects_bad_config(validated: dict[str, str], mode: str) -> None:
    with pytest.raises(ConfigError):
        apply_validation(_ents(), validated, mode)


TIGHTEN = [
    ("piva-with-words", "partita IVA 01234567897", "PARTITA_IVA", "01234567897", 12),
    ("piva-it-prefix", "P.IVA IT01234567897", "PARTITA_IVA", "IT01234567897", 6),
    ("iban-with-prefix", "IBAN IT60X0542811101000000123456", "IBAN", "IT60X0542811101000000123456", 5),
    ("cf-with-prefix", "C.F. RSSMRA85T10A562S", "CODICE_FISCALE", "RSSMRA85T10A562S", 5),
    ("already-tight", "01234567897", "PARTITA_IVA", "01234567897", 0),
    ("no-code-inside", "partita IVA", "PARTITA_IVA", "partita IVA", 0),
]


@pytest.mark.parametrize("surface,label,text,shift", [c[1:] for c in TIGHTEN], ids=[c[0] for c in TIGHTEN])
def test_validation_tightens_spans_to_the_code(surface, label, text, shift):
    validated = {"PARTITA_IVA": "partita_iva", "IBAN": "iban", "CODICE_FISCALE": "codice_fiscale"}
    (ent,), _ = apply_validation([Entity(surface, label, 100, 100 + len(surface))], validated, "flag")
    assert (ent.text, ent.start, ent.end) == (text, 100 + shift, 100 + shift + len(text))
