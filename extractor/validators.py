"""Check digits of Italian identifiers: codice fiscale, partita IVA, IBAN.

A validator takes the entity text as the model copied it from the message (spaces and
case tolerated) and says whether its structure and check character are right. It cannot
say whether the code was ever issued. :func:`apply_validation` runs the validators a
schema names (``EntitySchema.validated``: label -> validator name) over extracted entities.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import replace

from .errors import ConfigError
from .records import Entity

MODES = ("drop", "flag", "off")
"""``drop`` removes invalid entities, ``flag`` marks every checked entity ``valid``, ``off`` does nothing."""

_CF_PERSON = re.compile(r"[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]")
_OMOCODIA = str.maketrans("LMNPQRSTUV", "0123456789")
_OMOCODIA_POSITIONS = (6, 7, 9, 10, 12, 13, 14)
_CF_ODD = {
    **dict(zip("0123456789", (1, 0, 5, 7, 9, 13, 15, 17, 19, 21))),
    **dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ",
               (1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23))),
}  # fmt: skip
_CF_EVEN = {**{d: int(d) for d in "0123456789"}, **{c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZ")}}

IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AL": 28, "AT": 20, "BA": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22,
    "DK": 18, "EE": 20, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GI": 23, "GL": 18, "GR": 27,
    "HR": 21, "HU": 28, "IE": 22, "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27,
    "ME": 22, "MK": 19, "MT": 31, "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24, "RS": 22, "SE": 24,
    "SI": 19, "SK": 24, "SM": 27, "TR": 26, "UA": 29, "VA": 22,
}  # fmt: skip
"""ISO 13616 IBAN length per country (Europe); other countries are checked by mod 97 and 15-34 length."""
_IBAN = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}")
_IT_BBAN = re.compile(r"[A-Z][0-9]{10}[A-Z0-9]{12}")  # CIN, ABI, CAB, account (IT and SM)


def _compact(s: str) -> str:
    return re.sub(r"\s+", "", s).upper()


def valid_codice_fiscale(s: str, *, allow_numeric: bool = True) -> bool:
    """True for a well-formed codice fiscale with the right check character.

    Persons: 16 characters (omocodia letters accepted in the digit positions), a real
    month letter and day (1-31, +40 for women). ``allow_numeric`` also accepts the
    11-digit codice fiscale of companies and bodies, checked like a partita IVA.
    """
    code = _compact(s)
    if allow_numeric and len(code) == 11 and code.isdigit():
        return valid_partita_iva(code)
    if not _CF_PERSON.fullmatch(code):
        return False
    digits = list(code)
    for i in _OMOCODIA_POSITIONS:
        digits[i] = digits[i].translate(_OMOCODIA)
    day = int(digits[9] + digits[10])
    if not (1 <= day <= 31 or 41 <= day <= 71):
        return False
    return cf_check_char(code[:15]) == code[15]


def cf_check_char(first15: str) -> str:
    """The check character of a codice fiscale from its first 15 characters."""
    total = sum((_CF_ODD if i % 2 == 0 else _CF_EVEN)[c] for i, c in enumerate(first15.upper()))
    return chr(ord("A") + total % 26)


def valid_partita_iva(s: str) -> bool:
    """True for 11 digits (optional ``IT`` prefix, spaces tolerated) with the right check digit.

    The check digit is the Luhn one over the first 10 digits; all zeros is rejected.
    """
    code = _compact(s).removeprefix("IT")
    if len(code) != 11 or not code.isdigit() or code == "0" * 11:
        return False
    return piva_check_digit(code[:10]) == code[10]


def piva_check_digit(first10: str) -> str:
    """The check digit of a partita IVA from its first 10 digits."""
    total = 0
    for i, c in enumerate(first10):
        d = int(c)
        if i % 2 == 1:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return str((10 - total % 10) % 10)


def valid_iban(s: str) -> bool:
    """True for an IBAN (spaces tolerated) with the country's length and a mod-97 remainder of 1.

    Italian and San Marino IBANs must also have the CIN/ABI/CAB/account layout.
    """
    code = _compact(s)
    if not _IBAN.fullmatch(code):
        return False
    expected = IBAN_LENGTHS.get(code[:2])
    if expected is not None and len(code) != expected:
        return False
    if expected is None and not 15 <= len(code) <= 34:
        return False
    if code[:2] in ("IT", "SM") and not _IT_BBAN.fullmatch(code[4:]):
        return False
    return iban_remainder(code) == 1


def iban_remainder(code: str) -> int:
    """ISO 7064 mod 97-10 remainder of an IBAN (1 when the check digits are right)."""
    rearranged = code[4:] + code[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97


VALIDATORS: dict[str, Callable[[str], bool]] = {
    "codice_fiscale": valid_codice_fiscale,
    "partita_iva": valid_partita_iva,
    "iban": valid_iban,
}
"""Validator names a schema may use in ``validated``."""


def apply_validation(entities: Iterable[Entity], validated: dict[str, str], mode: str) -> tuple[list[Entity], int]:
    """Check the entities whose label ``validated`` maps to a validator name.

    ``flag`` sets ``valid=True/False`` on them (others untouched) and drops nothing; ``drop``
    removes the invalid ones; ``off`` returns the entities as they are. Returns the entities
    and how many were dropped. Raises :class:`ConfigError` for an unknown mode or validator.
    """
    if mode not in MODES:
        raise ConfigError(f"unknown validation mode {mode!r}; use one of {', '.join(MODES)}")
    entities = list(entities)
    if mode == "off":
        return entities, 0
    checks = {label: _validator(name) for label, name in validated.items()}
    kept: list[Entity] = []
    dropped = 0
    for entity in entities:
        check = checks.get(entity.label)
        if check is None:
            kept.append(entity)
            continue
        entity = tighten(entity, validated[entity.label])
        ok = check(entity.text)
        if mode == "flag":
            kept.append(replace(entity, valid=ok))
        elif ok:
            kept.append(entity)
        else:
            dropped += 1
    return kept, dropped


_CODE_PATTERNS = {
    "codice_fiscale": re.compile(r"\b[A-Za-z]{6}[0-9LMNPQRSTUVlmnpqrstuv]{2}[A-Za-z][0-9LMNPQRSTUVlmnpqrstuv]{2}[A-Za-z]"
                                r"[0-9LMNPQRSTUVlmnpqrstuv]{3}[A-Za-z]\b|\b\d{11}\b"),
    "partita_iva": re.compile(r"\b(?:IT ?)?\d{11}\b"),
    "iban": re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b"),
}


def tighten(entity: Entity, validator: str) -> Entity:
    """Shrink a span like ``partita IVA 01234567897`` to the code itself (offsets kept exact)."""
    pattern = _CODE_PATTERNS.get(validator)
    if pattern is None or entity.start is None:
        return entity
    m = pattern.search(entity.text)
    if m is None or (m.start() == 0 and m.end() == len(entity.text)):
        return entity
    return replace(entity, text=m.group(0), start=entity.start + m.start(), end=entity.start + m.end())


def _validator(name: str) -> Callable[[str], bool]:
    try:
        return VALIDATORS[name]
    except KeyError:
        raise ConfigError(f"unknown validator {name!r}; known: {', '.join(VALIDATORS)}") from None
