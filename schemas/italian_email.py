"""The default schema: entities found in Italian business email."""

from __future__ import annotations

from .base import EntitySchema, FewShot

LABELS: dict[str, str] = {
    "PER": "nome di una persona (es. Mario Rossi)",
    "ORG": "azienda, ente, banca, università o altra organizzazione",
    "LOC": "luogo: città, regione, paese, indirizzo o via",
    "DATE": "data o giorno (es. 3 marzo 2024, 12/05/2023, lunedì)",
    "MONEY": "importo di denaro con valuta (es. 1.250,00 €, EUR 300)",
    "EMAIL": "indirizzo email",
    "PHONE": "numero di telefono o fax",
    "IBAN": "codice IBAN di un conto bancario",
    "CODICE_FISCALE": "codice fiscale italiano di una persona (16 caratteri)",
    "PARTITA_IVA": "partita IVA di un'impresa (11 cifre, talvolta preceduta da IT)",
}

EXAMPLES: tuple[FewShot, ...] = (
    FewShot(
        text=(
            "Buongiorno dott.ssa Ferri,\nle confermo l'incontro di giovedì 14 marzo a Torino presso "
            "la sede di Banca Sella. L'importo concordato è di 2.400,00 €.\n"
            "Cordiali saluti,\nLuca Moretti\nTel. +39 011 5551234 - luca.moretti@example.it"
        ),
        entities=(
            ("Ferri", "PER"),
            ("giovedì 14 marzo", "DATE"),
            ("Torino", "LOC"),
            ("Banca Sella", "ORG"),
            ("2.400,00 €", "MONEY"),
            ("Luca Moretti", "PER"),
            ("+39 011 5551234", "PHONE"),
            ("luca.moretti@example.it", "EMAIL"),
        ),
    ),
    FewShot(
        text=(
            "Spett.le Edilnord S.r.l. (P.IVA 01234567897), in allegato la fattura n. 58 del 02/04/2024. "
            "Il pagamento va effettuato sull'IBAN IT60X0542811101000000123456 intestato a "
            "Giovanni Esposito, C.F. RSSMRA85T10A562S, via Roma 12, Napoli."
        ),
        entities=(
            ("Edilnord S.r.l.", "ORG"),
            ("01234567897", "PARTITA_IVA"),
            ("02/04/2024", "DATE"),
            ("IT60X0542811101000000123456", "IBAN"),
            ("Giovanni Esposito", "PER"),
            ("RSSMRA85T10A562S", "CODICE_FISCALE"),
            ("via Roma 12, Napoli", "LOC"),
        ),
    ),
)

SCHEMA = EntitySchema(
    name="italian_email",
    labels=LABELS,
    max_entities=32,
    examples=EXAMPLES,
    instruction=(
        "Riporta ogni entità esattamente come è scritta nel testo, nell'ordine in cui compare. "
        "Non inventare entità che non sono nel testo."
    ),
    validated={"CODICE_FISCALE": "codice_fiscale", "PARTITA_IVA": "partita_iva", "IBAN": "iban"},
)

KIND = SCHEMA.restrict(["PER", "ORG", "LOC"])
"""KIND's label set (PER, ORG, LOC) with the same descriptions and examples."""
