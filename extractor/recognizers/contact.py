"""E-mail addresses and phone numbers.

Phones come from ``phonenumbers.PhoneNumberMatcher`` (region IT, leniency VALID), run one
line at a time, then filtered by what introduces them: a phone lead-in (``Tel.``, ``Fax``,
``cell.``) accepts, an identifier lead-in (``P.IVA``, ``REA``, ``CAP``, ``ore``) rejects, a
document lead-in (``n.``, ``numero``, ``ordine``) rejects a bare digit run. Otherwise a number
must carry an international prefix or separators, or be a bare run of at most ten digits
(eleven bare digits are a partita IVA far more often). Dates shaped ``03.11.2025`` are out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import phonenumbers

from ..records import Entity
from .base import lead_in, pattern_entity

_EMAIL = re.compile(
    r"(?<![\w.%+\-])[A-Za-z0-9_%+\-]+(?:\.[A-Za-z0-9_%+\-]+)*@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![\w\-])"
)
_MESSAGE_ID_LEAD = re.compile(
    r"(?:identificativo(?:\s+del)?\s+messaggio|message-id|in-reply-to|references|x-riferimento-message-id)"
    r"\s*:\s*<?\s*$",
    re.IGNORECASE,
)
"""A message identifier (``Identificativo messaggio:`` of a PEC receipt, ``Message-ID:``) is no address."""


class EmailRecognizer:
    """E-mail addresses as written (PEC ones too); not inside URLs, not message identifiers."""

    label = "EMAIL"

    def find(self, text: str) -> Iterator[Entity]:
        for m in _EMAIL.finditer(text):
            line_start = text.rfind("\n", 0, m.start()) + 1
            if _MESSAGE_ID_LEAD.search(text, line_start, m.start()):
                continue
            token_start = max(line_start, *(text.rfind(c, 0, m.start()) + 1 for c in " \t<>\"'("))
            if "://" in text[token_start : m.start()] or text[token_start : m.start()].lower().startswith("www."):
                continue
            yield pattern_entity(text, self.label, m.start(), m.end())


_PHONE_LEAD = re.compile(
    r"(?P<phone>(?<![A-Za-z])(?:t[eé]l(?:efono|\.)?|phone|ph\.|fax|cell(?:ulare|\.)?|cel\.|mobile|mob\.|"
    r"centralino|whatsapp|numero\s+verde|n(?:umero|\.)\s+(?:di\s+)?(?:telefono|tel\.?|fax|cellulare)|"
    r"t\.|f\.|m\.)(?![A-Za-z])|[☎📞📱])"
    r"|(?P<code>(?<![A-Za-z])(?:p\.?\s?iva|partita\s+iva|c\.\s?f\.|cf|cod(?:ice|\.)\s*fisc(?:ale|\.)?|vat|rea|"
    r"r\.e\.a\.|sdi|cod(?:ice|\.)\s*dest(?:inatario|\.)?|codice\s+univoco|eori|iban|abi|cab|c/c|conto|cap|"
    r"ore|h\.)(?![A-Za-z]))"
    r"|(?P<document>(?<![A-Za-z])(?:n\.|nr\.?|n°|num\.?|numero|no\.|prot(?:ocollo|\.)?|fattura|fatt\.|ft\.|"
    r"ordine|ord\.|rif(?:erimento|\.)?|pratica|booking|prenotazione|pnr|cig|cup|ddt|doc(?:umento|\.)?|"
    r"matricola|cliente|codice|tracking|spedizione|awb)(?![A-Za-z]))",
    re.IGNORECASE,
)
"""Lead-ins: ``phone`` ones accept a number, ``code`` ones (identifiers, times) reject it, ``document``
ones (``n.``, ``ordine``) reject a bare digit run but not a number grouped like a phone."""

_NOT_A_PHONE = re.compile(r"\d{1,2}([./-])\d{1,2}\1\d{2,4}|.*(?<![\d+])\d\.\d.*")
"""Valid Italian numbers to phonenumbers that are a date (``03.11.2025``) or decimals (``0.28 0.15``)."""
_AFTER_NUMBER = re.compile(r"(?:\d[:.,/]|:)$")
"""A candidate right after ``10:28:`` or ``1.`` is the tail of a time or a number."""
_EXTENSION = re.compile(r"[\s,;/(\-]*(?:int(?:erno|\.)?|ext\.?|est\.?|x|#)\s*[.:]?\s*\d+\)?\s*$", re.IGNORECASE)


class PhoneRecognizer:
    """Phone and fax numbers as written, ``+39`` included, without lead-in or extension."""

    label = "PHONE"
    region = "IT"

    def find(self, text: str) -> Iterator[Entity]:
        offset = 0
        for line in text.split("\n"):
            for m in phonenumbers.PhoneNumberMatcher(line, self.region, leniency=phonenumbers.Leniency.VALID):
                start, end = offset + m.start, offset + m.end
                raw = m.raw_string
                cut = _EXTENSION.search(raw) if m.number.extension else None
                if cut is not None:
                    end = start + cut.start()
                    raw = raw[: cut.start()]
                if self._accepts(text, start, raw):
                    yield pattern_entity(text, self.label, start, end)
            offset += len(line) + 1

    @staticmethod
    def _accepts(text: str, start: int, raw: str) -> bool:
        if _NOT_A_PHONE.fullmatch(raw) or _AFTER_NUMBER.search(text, max(0, start - 2), start):
            return False
        lead = lead_in(text, start, _PHONE_LEAD)
        kind = None if lead is None else lead.lastgroup
        if kind in ("phone", "code"):
            return kind == "phone"
        digits = sum(c.isdigit() for c in raw)
        grouped = raw.lstrip("(").startswith(("+", "00")) or digits != len(raw)
        return grouped or (kind is None and digits <= 10)
