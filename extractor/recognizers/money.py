"""Amounts with their currency as written: ``€ 1.234,56``, ``1.200 euro``, ``USD 950.00``, ``CHF 1'200``.

An amount is digits with optional thousands groups (``.``, ``,``, ``'``, narrow or no-break
space) and up to two decimals (or ``,-``), optionally a scale word (``mila``, ``milioni``).
The currency stands right before or right after it; bare numbers, percentages and the
``+ IVA`` after an amount are not part of any span.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..records import Entity
from .base import pattern_entity

_GAP = r"[ \t\u00a0\u202f]{0,3}"
_AMOUNT = (
    r"(?:\d{1,3}(?:[.,'’\u00a0\u202f]\d{3})+|\d+)(?:[.,]\d{1,2}(?!\d)|,-{1,2})?"
    r"(?:[ \u00a0](?:mila|milioni|miliardi|mln|mld|thousand|million|billion)(?:[ \u00a0]di)?)?"
)
_SYMBOL = r"€|\$|£|¥|US\$"
_CODES = r"(?i:eur|euro)|USD|GBP|CHF|JPY|CNY|SEK|NOK|DKK|PLN|CZK|HUF|RON"
"""Euro in any case (``640 eur``); other ISO codes in capitals only (``Ron``, ``nok`` are words)."""
_CODE_BEFORE = rf"(?:{_CODES}|Fr\.|SFr\.)(?![A-Za-z])"
_CODE_AFTER = rf"(?:{_CODES}|(?i:dollari|dollars?|sterline|franchi(?: svizzeri)?))(?![A-Za-z])"
_END = r"(?![\d:]|[/.,]\d)"
_MONEY = re.compile(
    rf"(?:(?<![A-Za-z])(?:{_SYMBOL}|{_CODE_BEFORE}){_GAP}(?<![\d.,]){_AMOUNT}{_END}"
    rf"|(?<![\w.,'’]){_AMOUNT}{_GAP}(?:{_SYMBOL}|{_CODE_AFTER}))"
)


class MoneyRecognizer:
    """Amounts with a currency symbol or code before or after them."""

    label = "MONEY"

    def find(self, text: str) -> Iterator[Entity]:
        for m in _MONEY.finditer(text):
            yield pattern_entity(text, self.label, m.start(), m.end())
