"""IBAN, codice fiscale and partita IVA: found by shape, marked ``valid`` by their check digits.

A code with the right shape and wrong check digits is still found (``valid=False``), except
an IBAN written with lower-case letters, which must also have the right check digits (text
like ``al 049 872 1150 o sul cellulare`` has an Albanian IBAN's layout).

Partita IVA: an 11-digit number (with an optional attached ``IT``) is one when a P.IVA or
codice fiscale lead-in (``P.IVA``, ``Partita IVA``, ``P.IVA/C.F.``, ``C.F.``, ``VAT``)
introduces it on the same line; a document lead-in (``REA``, ``SDI``, ``n.``, ``ordine``,
``fattura``) rules it out. Without a lead-in, an ``IT``-prefixed number is one, and a bare
number only when its check digit is right (an invoice or order number passes by chance one
time in ten; a bare valid number in a signature is far more often a P.IVA).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..records import Entity
from ..validators import iban_shape, valid_codice_fiscale, valid_iban, valid_partita_iva
from .base import SPACE, lead_in, pattern_entity

_IBAN_SEPARATORS = " \t\u00a0\u202f-"
_IBAN_CHAIN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}[ \t\u00a0\u202f-]?\d{2}(?:[ \t\u00a0\u202f-]?[A-Za-z0-9])+")
_IBAN_MIN, _IBAN_MAX = 15, 34


class IbanRecognizer:
    """IBANs of any country, grouped (blanks or dashes) or not, whose country, length and layout are right."""

    label = "IBAN"

    def find(self, text: str) -> Iterator[Entity]:
        pos = 0
        while m := _IBAN_CHAIN.search(text, pos):
            end = self._longest_iban(m.group(0))
            if end is None:
                pos = m.start() + 2
                continue
            stop = m.start() + end
            valid = valid_iban(text[m.start() : stop])
            if not valid and any(c.islower() for c in text[m.start() : stop]):
                pos = m.start() + 2  # words that happen to have an IBAN's layout (``al 049 872 ...``)
                continue
            yield pattern_entity(text, self.label, m.start(), stop, valid)
            pos = stop

    @staticmethod
    def _longest_iban(chain: str) -> int | None:
        """Where the longest IBAN-shaped prefix of ``chain`` that ends at a separator or at its end stops."""
        ends = [i for i, c in enumerate(chain) if c in _IBAN_SEPARATORS] + [len(chain)]
        for end in reversed(ends):
            code = "".join(c for c in chain[:end] if c not in _IBAN_SEPARATORS)
            if _IBAN_MIN <= len(code) <= _IBAN_MAX and iban_shape(code):
                return end
        return None


_CF = re.compile(
    r"(?<![A-Za-z0-9])[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z](?![A-Za-z0-9])",
    re.IGNORECASE,
)


class CodiceFiscaleRecognizer:
    """The 16-character codice fiscale of a person (omocodia letters allowed, at least one digit)."""

    label = "CODICE_FISCALE"

    def find(self, text: str) -> Iterator[Entity]:
        for m in _CF.finditer(text):
            if any(c.isdigit() for c in m.group(0)):
                yield pattern_entity(text, self.label, m.start(), m.end(), valid_codice_fiscale(m.group(0)))


_PIVA = re.compile(rf"(?<![A-Za-z0-9+])(?P<it>IT{SPACE}?)?\d{{11}}(?![0-9])(?!{SPACE}?[.,]\d)")
_NUMBER_WORD = r"(?:\s*(?:n\.|nr\.?|n°|no\.|num\.?|numero))?"
_PIVA_LEAD = re.compile(
    r"(?P<piva>(?<![A-Za-z])(?:p\.?\s?i(?:va|\.)|partita\s+i\.?v\.?a\.?|part\.\s*iva|c\.\s?f\.|cf|"
    r"cod(?:ice|\.)\s*fisc(?:ale|\.)?|iva|vat(?:\s+(?:number|no\.|nr\.?|id|code|reg(?:istration)?\.?(?:\s+no\.)?))?)"
    rf"{_NUMBER_WORD}(?![A-Za-z]))"
    r"|(?P<other>(?<![A-Za-z])(?:rea|r\.e\.a\.|sdi|cod(?:ice|\.)\s*dest(?:inatario|\.)?|codice\s+univoco|eori|"
    r"n\.|nr\.?|n°|num\.?|numero|no\.|prot(?:ocollo|\.)?|fattura|fatt\.|ft\.|ordine|ord\.|rif(?:erimento|\.)?|"
    r"pratica|booking|prenotazione|pnr|cig|cup|ddt|doc(?:umento|\.)?|matricola|cliente|conto|c/c|iban|"
    r"tel(?:efono|\.)?|fax|cell(?:ulare|\.)?|tracking|spedizione|awb|order|invoice|ref\.?)(?![A-Za-z]))",
    re.IGNORECASE,
)
"""Lead-ins: ``piva`` ones make an 11-digit number a partita IVA, ``other`` ones rule it out."""


class PartitaIvaRecognizer:
    """11-digit partite IVA and companies' numeric codici fiscali, with an attached ``IT``."""

    label = "PARTITA_IVA"

    def find(self, text: str) -> Iterator[Entity]:
        for m in _PIVA.finditer(text):
            lead = lead_in(text, m.start(), _PIVA_LEAD)
            valid = valid_partita_iva(m.group(0))
            if lead is not None:
                found = lead.lastgroup == "piva"
            else:
                found = m.group("it") is not None or valid
            if found:
                yield pattern_entity(text, self.label, m.start(), m.end(), valid)
