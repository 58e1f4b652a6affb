"""Check digits of Italian identifiers (codice fiscale, partita IVA, IBAN), computed by python-stdnum.

A validator takes the entity text as the model copied it from the message (spaces and
case tolerated) and says whether its structure and check character are right. It cannot
say whether the code was ever issued. :func:`apply_validation` runs the validators a
schema names (``EntitySchema.validated``: label -> validator name) over extracted entities.

The partita IVA check is the Luhn digit (``stdnum.luhn``) over 11 digits, not
``stdnum.it.iva.is_valid``: that one also demands a provincial office code in digits 8-10
and a non-zero first seven digits, so it rejects the schema's own example ``01234567897``
and the made-up numbers used in documentation and tests.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import replace

from stdnum import iban as std_iban
from stdnum import luhn
from stdnum.iso7064 import mod_97_10
from stdnum.it import codicefiscale

from .errors import ConfigError
from .records import Entity

MODES = ("drop", "flag", "off")
"""``drop`` removes invalid entities, ``flag`` marks every checked entity ``valid``, ``off`` does nothing."""

_IBAN_SHAPE = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}")


def _compact(s: str) -> str:
    return re.sub(r"\s+", "", s).upper()


def valid_codice_fiscale(s: str, *, allow_numeric: bool = True) -> bool:
    """True for a well-formed codice fiscale with the right check character.

    Persons: 16 characters (omocodia letters accepted in the digit positions), a real
    month letter and birth date (day +40 for women). ``allow_numeric`` also accepts the
    11-digit codice fiscale of companies and bodies, checked like a partita IVA.
    """
    code = _compact(s)
    if len(code) == 11 and code.isdigit():
        return allow_numeric and valid_partita_iva(code)
    return len(code) == 16 and codicefiscale.is_valid(code)


def cf_check_char(first15: str) -> str:
    """The check character of a codice fiscale from its first 15 characters."""
    return codicefiscale.calc_check_digit(first15.upper())


def valid_partita_iva(s: str) -> bool:
    """True for 11 digits (optional ``IT`` prefix, spaces tolerated) with the right Luhn check digit.

    All zeros is rejected.
    """
    code = _compact(s).removeprefix("IT")
    return len(code) == 11 and code.isdigit() and code != "0" * 11 and luhn.is_valid(code)


def piva_check_digit(first10: str) -> str:
    """The check digit of a partita IVA from its first 10 digits."""
    return luhn.calc_check_digit(first10)


def valid_iban(s: str) -> bool:
    """True for an IBAN (spaces tolerated) with its country's length and layout and right check digits."""
    code = _compact(s)
    return bool(_IBAN_SHAPE.fullmatch(code)) and std_iban.is_valid(code)


def iban_shape(s: str) -> bool:
    """True when an IBAN's country, length and layout are right, whatever its two check digits."""
    code = _compact(s)
    if not _IBAN_SHAPE.fullmatch(code):
        return False
    fixed = code[:2] + std_iban.calc_check_digits(code) + code[4:]
    return std_iban.is_valid(fixed, check_country=False)


def iban_remainder(code: str) -> int:
    """ISO 7064 mod 97-10 remainder of an IBAN (1 when the check digits are right)."""
    code = _compact(code)
    return mod_97_10.checksum(code[4:] + code[:4])


VALIDATORS: dict[str, Callable[[str], bool]] = {
    "codice_fiscale": valid_codice_fiscale,
    "partita_iva": valid_partita_iva,
    "iban": valid_iban,
}
"""Validator names a schema may use in ``validated``."""


def entity_check(validated: dict[str, str]) -> Callable[[Entity], bool | None]:
    """A function saying whether an entity passes its label's validator (None: label not validated)."""
    checks = {label: _validator(name) for label, name in validated.items()}

    def check(entity: Entity) -> bool | None:
        fn = checks.get(entity.label)
        return None if fn is None else fn(entity.text)

    return check


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
