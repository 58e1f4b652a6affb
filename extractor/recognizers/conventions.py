"""Model spans brought to the e-mail annotation conventions (``../shared/ANNOTATION.md``) before merging.

A model trained on news and fiction tags things an e-mail annotator does not count, in the
same few ways; each rule below is one of ANNOTATION.md's:

1. Titles and salutations stay outside PER and ORG spans (``Sig.ra Mariani`` -> ``Mariani``,
   ``Spett.le Studio Bianchi`` -> ``Studio Bianchi``); an "ORG" that starts with a personal
   title is a person (``Sig. Stefano Marino``: PER).
2. Field lead-ins and bare titles are not entities (``IBAN``, ``C.F.``, ``P.IVA``, ``PEC``,
   ``REA``, ``Tel``, ``Sig``).
3. Province codes in postal lines are not annotated (``(BG)``).
4. A span without a letter is no PER, ORG or LOC (a CAP, a house number).
5. A company's internal offices are not ORG (``Ufficio Acquisti``, ``Amministrazione``).

Only model spans of labels without a recognizer (PER, ORG, LOC) are touched; offsets stay exact.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ..records import Entity

PERSONAL_TITLES = ("sig.ra", "sig.na", "sigg.", "sig.", "sig", "dott.ssa", "dott.", "dott", "dr.", "dr", "avv.",
                   "ing.", "prof.ssa", "prof.", "geom.", "rag.", "arch.", "mr.", "mrs.", "ms.", "egr.", "egregio",
                   "gentile", "gentili", "gent.mo", "gent.ma", "gent.")
SALUTATIONS = ("spett.le", "spett.", "spettabile")
LEAD_INS = frozenset({
    "iban", "cin", "abi", "cab", "bic", "swift", "c.f", "cf", "codice fiscale", "p.iva", "p. iva", "piva", "iva",
    "partita iva", "c.f./p.iva", "p.iva/c.f", "pec", "rea", "sdi", "cap", "tel", "fax", "cell", "email", "e-mail",
    "mail", "sig", "sig.ra", "dott", "dott.ssa", "ing", "avv", "prof", "mr", "spett.le", "p", "c",
})
OFFICE_HEADS = ("ufficio ", "reparto ", "segreteria", "amministrazione", "contabilità", "servizio clienti",
                "servizio tributi")
MODEL_LABELS = frozenset({"PER", "ORG", "LOC"})
_PROVINCE = re.compile(r"[A-Z]{2}")


def apply_conventions(text: str, entities: list[Entity]) -> list[Entity]:
    """``entities`` of ``text`` with the module's rules applied to body model spans of PER/ORG/LOC."""
    out: list[Entity] = []
    for entity in entities:
        if entity.label not in MODEL_LABELS or entity.start is None or entity.field is not None \
                or entity.source == "pattern":
            out.append(entity)
            continue
        fixed = _fixed(text, entity)
        if fixed is not None:
            out.append(fixed)
    return out


def _strip_lead(text: str, entity: Entity, words: tuple[str, ...]) -> tuple[Entity, bool]:
    """``entity`` without leading ``words`` (case-insensitive, whole words), and whether one was removed."""
    stripped = False
    while True:
        low = entity.text.lower()
        word = next((w for w in words if low.startswith(w) and (len(low) == len(w) or not low[len(w)].isalnum())),
                    None)
        if word is None:
            return entity, stripped
        start = entity.start + len(word)  # type: ignore[operator]
        while start < entity.end and not text[start].isalnum():  # type: ignore[operator]
            start += 1
        entity = replace(entity, text=text[start:entity.end], start=start)
        stripped = True
        if not entity.text:
            return entity, stripped


def _fixed(text: str, entity: Entity) -> Entity | None:
    entity, personal = _strip_lead(text, entity, PERSONAL_TITLES)
    entity, _ = _strip_lead(text, entity, SALUTATIONS)
    surface = entity.text.strip()
    low = surface.lower().rstrip(".:")
    if not surface or low in LEAD_INS or not any(c.isalpha() for c in surface):
        return None
    if personal and entity.label == "ORG":
        entity = replace(entity, label="PER")
    if entity.label in ("LOC", "ORG") and _PROVINCE.fullmatch(surface) and _in_parentheses(text, entity):
        return None
    if entity.label == "ORG" and low.startswith(OFFICE_HEADS):
        return None
    return entity


def _in_parentheses(text: str, entity: Entity) -> bool:
    start, end = entity.start or 0, entity.end or 0
    return text[max(start - 1, 0):start] == "(" and text[end:end + 1] == ")"
