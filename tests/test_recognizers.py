"""Exact recognizers: what each label finds (exact span text) and what it must leave alone."""

from __future__ import annotations

import pytest

from extractor.recognizers import PATTERN_LABELS, RECOGNIZERS, recognize

# (id, label, text, expected span texts in order)
POSITIVES = [
    # EMAIL
    ("email-plain", "EMAIL", "scrivere a mario.rossi@ferri-impianti.it per info", ["mario.rossi@ferri-impianti.it"]),
    ("email-pec", "EMAIL", "PEC: ferriimpianti@pec.it.", ["ferriimpianti@pec.it"]),
    ("email-angle-brackets", "EMAIL", "Da: Mario Rossi <m.rossi@example.com>", ["m.rossi@example.com"]),
    ("email-mailto", "EMAIL", "mailto:info@example.it", ["info@example.it"]),
    ("email-subdomain-comma", "EMAIL", "a j.doe@mail.example.co.uk, b", ["j.doe@mail.example.co.uk"]),
    ("email-two", "EMAIL", "info@a.it; amministrazione@b.it", ["info@a.it", "amministrazione@b.it"]),
    ("email-pec-receipt-sender", "EMAIL", 'è stato inviato da "ufficio@pec.comune.bergamo.it"',
     ["ufficio@pec.comune.bergamo.it"]),
    # PHONE
    ("phone-plus39-grouped", "PHONE", "Tel. +39 02 1234 5678", ["+39 02 1234 5678"]),
    ("phone-0039", "PHONE", "Tel 0039 02 12345678 ufficio", ["0039 02 12345678"]),
    ("phone-dash", "PHONE", "fax 02-12345678.", ["02-12345678"]),
    ("phone-mobile-spaced", "PHONE", "cell. 335 123 4567", ["335 123 4567"]),
    ("phone-mobile-dots", "PHONE", "+39 335.123.4567", ["+39 335.123.4567"]),
    ("phone-prefix-in-parens", "PHONE", "(+39) 011 5551234", ["(+39) 011 5551234"]),
    ("phone-swiss", "PHONE", "Tel. +41 91 123 45 67", ["+41 91 123 45 67"]),
    ("phone-uk", "PHONE", "Phone: +44 20 7946 0958", ["+44 20 7946 0958"]),
    ("phone-extension-int", "PHONE", "Tel. 035 123456 int. 23", ["035 123456"]),
    ("phone-extension-ext", "PHONE", "02 1234 5678 ext. 12", ["02 1234 5678"]),
    ("phone-slash", "PHONE", "tel. 02/12345678 - fax 02/12345679", ["02/12345678", "02/12345679"]),
    ("phone-toll-free", "PHONE", "Numero verde 800.123.456", ["800.123.456"]),
    ("phone-bare-mobile", "PHONE", "chiamami al 3351234567", ["3351234567"]),
    ("phone-numero-grouped", "PHONE", "chiami il numero 081 555 0199.", ["081 555 0199"]),
    ("phone-after-piva", "PHONE", "P.IVA 01234567897 - 035 123456", ["035 123456"]),
    ("phone-lead-in-attached", "PHONE", "Tel.035123456", ["035123456"]),
    ("phone-two-lines", "PHONE", "Tel.: +39 035 123 4567\nFax: +39 035 123 4568", ["+39 035 123 4567", "+39 035 123 4568"]),
    ("phone-national-zero", "PHONE", "+39 (0)2 1234 5678", ["+39 (0)2 1234 5678"]),
    ("phone-no-break-space", "PHONE", "Tel:\u00a0035\u00a0123456", ["035\u00a0123456"]),
    ("phone-foreign-lead-in", "PHONE", "Tél. 05 53 24 23 18", ["05 53 24 23 18"]),
    # IBAN
    ("iban-compact", "IBAN", "IBAN IT60X0542811101000000123456", ["IT60X0542811101000000123456"]),
    ("iban-grouped", "IBAN", "IBAN: IT60 X054 2811 1010 0000 0123 456 BIC BPMOIT22", ["IT60 X054 2811 1010 0000 0123 456"]),
    ("iban-germany-grouped", "IBAN", "DE89 3704 0044 0532 0130 00", ["DE89 3704 0044 0532 0130 00"]),
    ("iban-two-countries", "IBAN", "GB82WEST12345698765432 e IT60X0542811101000000123456",
     ["GB82WEST12345698765432", "IT60X0542811101000000123456"]),
    ("iban-swiss", "IBAN", "CH93 0076 2011 6238 5295 7.", ["CH93 0076 2011 6238 5295 7"]),
    ("iban-lower-case", "IBAN", "it60x0542811101000000123456", ["it60x0542811101000000123456"]),
    ("iban-wrong-check-digits", "IBAN", "IT61 X054 2811 1010 0000 0123 456 presso", ["IT61 X054 2811 1010 0000 0123 456"]),
    ("iban-dashes", "IBAN", "IBAN IT60-X054-2811-1010-0000-0123-456", ["IT60-X054-2811-1010-0000-0123-456"]),
    ("iban-no-break-spaces", "IBAN", "IBAN:\u00a0IT60\u00a0X054\u00a02811\u00a01010\u00a00000\u00a00123\u00a0456",
     ["IT60\u00a0X054\u00a02811\u00a01010\u00a00000\u00a00123\u00a0456"]),
    # CODICE_FISCALE
    ("cf-after-lead-in", "CODICE_FISCALE", "C.F. RSSMRA85T10A562S", ["RSSMRA85T10A562S"]),
    ("cf-omocodia", "CODICE_FISCALE", "codice fiscale RSSMRA85T10A56NH,", ["RSSMRA85T10A56NH"]),
    ("cf-lower-case", "CODICE_FISCALE", "cf rssmra85t10a562s.", ["rssmra85t10a562s"]),
    ("cf-woman", "CODICE_FISCALE", "(BNCLRA90E50F205S)", ["BNCLRA90E50F205S"]),
    # PARTITA_IVA
    ("piva-lead-in", "PARTITA_IVA", "P.IVA 01234567897", ["01234567897"]),
    ("piva-it-prefix", "PARTITA_IVA", "P.IVA IT01234567897", ["IT01234567897"]),
    ("piva-it-prefix-spaced", "PARTITA_IVA", "P. IVA: IT 01234567897", ["IT 01234567897"]),
    ("piva-cf-e-piva", "PARTITA_IVA", "C.F. e P.IVA 01234567897", ["01234567897"]),
    ("piva-slash-cf", "PARTITA_IVA", "P.IVA/C.F. 10914660153", ["10914660153"]),
    ("piva-partita-iva-n", "PARTITA_IVA", "Partita IVA n. 04336160264", ["04336160264"]),
    ("piva-company-cf", "PARTITA_IVA", "C.F. 01234567897 - P.IVA 10914660153", ["01234567897", "10914660153"]),
    ("piva-vat-it", "PARTITA_IVA", "VAT IT01234567897", ["IT01234567897"]),
    ("piva-bare-valid", "PARTITA_IVA", "Ferri Srl - Via Roma 1 - 01234567897", ["01234567897"]),
    ("piva-bare-it-prefix-invalid", "PARTITA_IVA", "IT01234567898", ["IT01234567898"]),
    ("piva-after-rea", "PARTITA_IVA", "P.IVA 01234567897 - REA BG 123456", ["01234567897"]),
    ("piva-lead-in-wrong-digit", "PARTITA_IVA", "P.IVA/C.F. 01234567898", ["01234567898"]),
    # MONEY
    ("money-euro-sign-before", "MONEY", "importo € 1.234,56 da saldare", ["€ 1.234,56"]),
    ("money-euro-sign-after", "MONEY", "totale 1.234,56 €", ["1.234,56 €"]),
    ("money-eur-code", "MONEY", "EUR 310,50", ["EUR 310,50"]),
    ("money-euro-word", "MONEY", "costo 1.200 euro circa", ["1.200 euro"]),
    ("money-euro-capital", "MONEY", "1.200,00 Euro", ["1.200,00 Euro"]),
    ("money-usd", "MONEY", "USD 950.00.", ["USD 950.00"]),
    ("money-dollar", "MONEY", "$ 1,200.00", ["$ 1,200.00"]),
    ("money-pound", "MONEY", "£ 50", ["£ 50"]),
    ("money-chf", "MONEY", "CHF 200", ["CHF 200"]),
    ("money-chf-apostrophe", "MONEY", "CHF 1'200.50", ["CHF 1'200.50"]),
    ("money-plus-iva-outside", "MONEY", "€ 2.480,00 + IVA 22%", ["€ 2.480,00"]),
    ("money-no-space", "MONEY", "totale: 3.500,00€", ["3.500,00€"]),
    ("money-dash-cents", "MONEY", "Euro 1.200,-", ["Euro 1.200,-"]),
    ("money-scale-word", "MONEY", "1,5 milioni di euro", ["1,5 milioni di euro"]),
    ("money-lower-case-code", "MONEY", "contrassegno di 640 eur , ma", ["640 eur"]),
    ("money-per-unit", "MONEY", "€ 50,00/ora", ["€ 50,00"]),
    ("money-billion", "MONEY", "as much as $25 billion", ["$25 billion"]),
    ("money-two-lines", "MONEY", "2.480,00 €\n1.000 euro", ["2.480,00 €", "1.000 euro"]),
    # DATE
    ("date-slash", "DATE", "il 03/11/2025 alle 10:30", ["03/11/2025"]),
    ("date-dots", "DATE", "3.11.2025", ["3.11.2025"]),
    ("date-dashes", "DATE", "03-11-2025", ["03-11-2025"]),
    ("date-two-digit-year", "DATE", "12.10.25", ["12.10.25"]),
    ("date-iso", "DATE", "2025-11-03", ["2025-11-03"]),
    ("date-day-month-slash", "DATE", "entro il 07/10.", ["07/10"]),
    ("date-day-month-short", "DATE", "il 3/11", ["3/11"]),
    ("date-written", "DATE", "12 settembre 2025", ["12 settembre 2025"]),
    ("date-ordinal", "DATE", "dal 1° dicembre", ["1° dicembre"]),
    ("date-weekday", "DATE", "martedì 4 novembre", ["martedì 4 novembre"]),
    ("date-weekday-comma", "DATE", "giovedì, 6 novembre 2025", ["giovedì, 6 novembre 2025"]),
    ("date-abbreviations", "DATE", "Il giorno lun 3 nov 2025 alle ore 10:12", ["lun 3 nov 2025"]),
    ("date-abbreviation-dot", "DATE", "3 nov. 2025", ["3 nov. 2025"]),
    ("date-full-stop-outside", "DATE", "entro il 15 novembre.", ["15 novembre"]),
    ("date-english-header", "DATE", "Date: Wed, 5 Nov 2025 10:12:00 +0100", ["Wed, 5 Nov 2025"]),
    ("date-english-month-first", "DATE", "November 5, 2025", ["November 5, 2025"]),
    ("date-english-day-first", "DATE", "5 November 2025", ["5 November 2025"]),
    ("date-english-ordinal", "DATE", "5th November 2025", ["5th November 2025"]),
    ("date-english-sent", "DATE", "Sent: Wednesday, November 5, 2025 10:12 AM", ["Wednesday, November 5, 2025"]),
    ("date-english-on-wrote", "DATE", "On Mon, Nov 3, 2025 at 10:12 AM", ["Mon, Nov 3, 2025"]),
    ("date-italian-sent", "DATE", "Inviato: mercoledì 5 novembre 2025 10:12", ["mercoledì 5 novembre 2025"]),
    ("date-leap-day", "DATE", "29/02/2024", ["29/02/2024"]),
    ("date-range-numeric", "DATE", "dal 03/11 al 07/11", ["03/11", "07/11"]),
    ("date-range-dash", "DATE", "03/11/2025-07/11/2025", ["03/11/2025", "07/11/2025"]),
    ("date-range-written", "DATE", "dal 3 al 7 novembre", ["7 novembre"]),
    ("date-capitalised-abbreviation", "DATE", "3 Nov", ["3 Nov"]),
    ("date-english-month-day", "DATE", "on the phone on October 30, please", ["October 30"]),
    ("date-after-street", "DATE", "Via Roma 12, il 4 novembre", ["4 novembre"]),
    ("date-via-email", "DATE", "inviato via email il 10/12", ["10/12"]),
    ("date-short-year", "DATE", "scadenza: 30/11/25", ["30/11/25"]),
]

# (id, label, text): the label's recognizer must find nothing
NEGATIVES = [
    ("email-pec-message-id", "EMAIL", "Identificativo messaggio: opec210312.20251103101200.12345.67.1.1@pec.aruba.it"),
    ("email-message-id-header", "EMAIL", "Message-ID: <abc123@mail.example.it>"),
    ("email-in-url", "EMAIL", "vedi https://user@host.example.it/path"),
    ("email-in-www-url", "EMAIL", "www.example.it/contatti?to=a@b.it"),
    ("email-no-domain-dot", "EMAIL", "utente@localhost"),
    ("phone-piva", "PHONE", "P.IVA 01234567897"),
    ("phone-piva-it-prefix", "PHONE", "IT01234567897"),
    ("phone-bare-eleven-digits", "PHONE", "01234567897"),
    ("phone-cf", "PHONE", "C.F. RSSMRA85T10A562S"),
    ("phone-iban", "PHONE", "IBAN IT60X0542811101000000123456"),
    ("phone-date", "PHONE", "il 03/11/2025 alle 10:30"),
    ("phone-dotted-date", "PHONE", "scadenza 03.11.2025"),
    ("phone-amount", "PHONE", "€ 1.234,56"),
    ("phone-large-amount", "PHONE", "importo 1.234.567,00"),
    ("phone-cap", "PHONE", "24121 Bergamo"),
    ("phone-cap-lead-in", "PHONE", "CAP 24121"),
    ("phone-invoice-number", "PHONE", "fattura n. 2025/00123"),
    ("phone-order-number", "PHONE", "ordine 4500012345"),
    ("phone-document-number", "PHONE", "n. 0123456789"),
    ("phone-rea", "PHONE", "REA BG-123456"),
    ("phone-rea-space", "PHONE", "REA BG 123456"),
    ("phone-time", "PHONE", "ore 10.30"),
    ("phone-time-range", "PHONE", "ore 14.30 - 16.30"),
    ("phone-opening-hours", "PHONE", "orario 9-13 / 14-18"),
    ("phone-sdi", "PHONE", "SDI M5UXCR1"),
    ("phone-number-sign", "PHONE", "n° 035123456"),
    ("phone-load-average", "PHONE", "Load : 0.28 0.15 0.10"),
    ("phone-timestamp-fraction", "PHONE", "Aug 26 10:28:09.506787 check"),
    ("phone-time-zone", "PHONE", "26 Aug 2002 14:28:05 -0000"),
    ("phone-ip-address", "PHONE", "IP 93.41.208.17"),
    ("iban-too-short", "IBAN", "IT60X054281110100000012345"),
    ("iban-layout-broken", "IBAN", "IT600542811101000000123456X"),
    ("iban-split-across-lines", "IBAN", "IT60 X054 2811\n1010 0000 0123 456"),
    ("iban-words", "IBAN", "il 10 novembre 2025 alle ore 10"),
    ("iban-lower-case-words-with-a-layout", "IBAN", "al 049 123 4567 o sul cellulare 347 765 4321"),
    ("iban-transaction-reference", "IBAN", "CRO 0306911166100045871234"),
    ("iban-lodging-code", "IBAN", "CIN IT097084A1ABCD1234"),
    ("cf-no-digits", "CODICE_FISCALE", "ABCDEFGHIJKLMNOP"),
    ("cf-inside-longer-token", "CODICE_FISCALE", "XRSSMRA85T10A562S"),
    ("cf-fifteen-chars", "CODICE_FISCALE", "RSSMRA85T10A562"),
    ("piva-invoice", "PARTITA_IVA", "fattura n. 01234567897"),
    ("piva-order", "PARTITA_IVA", "ordine 12345678903"),
    ("piva-sdi", "PARTITA_IVA", "SDI 01234567897"),
    ("piva-rea", "PARTITA_IVA", "REA 01234567897"),
    ("piva-eori", "PARTITA_IVA", "EORI 01234567897"),
    ("piva-booking", "PARTITA_IVA", "booking 01234567897"),
    ("piva-bare-wrong-digit", "PARTITA_IVA", "01234567898"),
    ("piva-foreign-vat-prefix", "PARTITA_IVA", "VAT FR12345678901"),
    ("piva-foreign-vat-short", "PARTITA_IVA", "VAT DE123456789"),
    ("piva-phone-lead-in", "PARTITA_IVA", "tel 01234567897"),
    ("piva-plus-prefix", "PARTITA_IVA", "+01234567897"),
    ("piva-twelve-digits", "PARTITA_IVA", "P.IVA 012345678970"),
    ("piva-ten-digits", "PARTITA_IVA", "P.IVA 0123456789"),
    ("piva-foreign-vat-id", "PARTITA_IVA", "our VAT ID DE318822710"),
    ("piva-lodging-code", "PARTITA_IVA", "CIN IT097084A1ABCD1234"),
    ("money-percentage", "MONEY", "sconto del 10%"),
    ("money-bare-number", "MONEY", "1.200 pezzi"),
    ("money-plus-iva", "MONEY", "+ IVA"),
    ("money-euro-prefix-word", "MONEY", "eurozona 1000"),
    ("money-europei", "MONEY", "12 europei"),
    ("money-eur-date", "MONEY", "EUR 03/11/2025"),
    ("money-weight", "MONEY", "2,000 kg AISI 304"),
    ("date-time", "DATE", "ore 10.30"),
    ("date-time-colon", "DATE", "alle 10:30"),
    ("date-month-only", "DATE", "a novembre"),
    ("date-month-year", "DATE", "May 2025"),
    ("date-year-only", "DATE", "nel 2025"),
    ("date-bare-weekday", "DATE", "lunedì prossimo"),
    ("date-relative", "DATE", "domani o dopodomani"),
    ("date-feb-31", "DATE", "31/02/2025"),
    ("date-feb-29-non-leap", "DATE", "29/02/2025"),
    ("date-month-13", "DATE", "12/13/2025"),
    ("date-day-zero", "DATE", "00/11/2025"),
    ("date-abbreviation-word-mar", "DATE", "3 mar"),
    ("date-abbreviation-word-set", "DATE", "2 set di chiavi"),
    ("date-fraction", "DATE", "1/2 giornata"),
    ("date-document-number", "DATE", "fattura n. 12/10"),
    ("date-protocol-number", "DATE", "prot. 3/11"),
    ("date-version", "DATE", "v1.2.3"),
    ("date-amount", "DATE", "prezzo 1.234,56"),
    ("date-phone", "DATE", "02/12345678"),
    ("date-dotted-mobile", "DATE", "335.123.4567"),
    ("date-across-lines", "DATE", "12\nnovembre"),
    ("date-street-name", "DATE", "Piazza 4 Novembre 3"),
    ("date-street-name-via", "DATE", "Via 20 Settembre 12, Bergamo"),
    ("date-house-number", "DATE", "Via dei Mille 10/12, Bergamo"),
    ("date-number-slash-year", "DATE", "fattura 88/2025"),
    ("date-floor", "DATE", "al 5° piano"),
    ("date-ip-address", "DATE", "IP 93.41.208.17"),
]


@pytest.mark.parametrize(("label", "text", "expected"), [c[1:] for c in POSITIVES], ids=[c[0] for c in POSITIVES])
def test_recognizer_finds(label: str, text: str, expected: list[str]) -> None:
    found = list(RECOGNIZERS[label].find(text))
    assert [e.text for e in found] == expected
    for e in found:
        assert text[e.start : e.end] == e.text
        assert (e.label, e.source, e.grounded) == (label, "pattern", True)


@pytest.mark.parametrize(("label", "text"), [c[1:] for c in NEGATIVES], ids=[c[0] for c in NEGATIVES])
def test_recognizer_leaves_alone(label: str, text: str) -> None:
    assert [e.text for e in RECOGNIZERS[label].find(text)] == []


# (id, label, text, valid)
VALIDITY = [
    ("iban-valid", "IBAN", "IT60X0542811101000000123456", True),
    ("iban-valid-grouped", "IBAN", "IT60 X054 2811 1010 0000 0123 456", True),
    ("iban-wrong-check-digits", "IBAN", "IT61X0542811101000000123456", False),
    ("iban-account-digit-changed", "IBAN", "IT60X0542811101000000123457", False),
    ("iban-germany", "IBAN", "DE89370400440532013000", True),
    ("cf-valid", "CODICE_FISCALE", "RSSMRA85T10A562S", True),
    ("cf-omocodia-valid", "CODICE_FISCALE", "RSSMRA85T10A5RNS", True),
    ("cf-wrong-check-char", "CODICE_FISCALE", "RSSMRA85T10A562T", False),
    ("cf-day-32", "CODICE_FISCALE", "RSSMRA85T32A562S", False),
    ("piva-valid", "PARTITA_IVA", "P.IVA 01234567897", True),
    ("piva-valid-it-prefix", "PARTITA_IVA", "P.IVA IT10914660153", True),
    ("piva-wrong-check-digit", "PARTITA_IVA", "P.IVA 01234567898", False),
    ("piva-all-zeros", "PARTITA_IVA", "P.IVA 00000000000", False),
]


@pytest.mark.parametrize(("label", "text", "valid"), [c[1:] for c in VALIDITY], ids=[c[0] for c in VALIDITY])
def test_identifier_validity(label: str, text: str, valid: bool) -> None:
    (ent,) = RECOGNIZERS[label].find(text)
    assert ent.valid is valid


@pytest.mark.parametrize("label", ["EMAIL", "PHONE", "MONEY", "DATE"])
def test_unvalidated_labels_leave_valid_unset(label: str) -> None:
    text = "info@a.it Tel. 035 123456 € 10,00 03/11/2025"
    assert [e.valid for e in RECOGNIZERS[label].find(text)] == [None]


SIGNATURE_AND_INVOICE = """\
Buongiorno,
in allegato la fattura n. 2025/118 del 03/11/2025 di € 2.480,00 + IVA 22% (totale 3.025,60 EUR),
con scadenza 30 novembre 2025. Vi chiediamo il bonifico entro lunedì 1° dicembre sull'IBAN
IT60 X054 2811 1010 0000 0123 456 intestato a Mario Rossi, C.F. RSSMRA85T10A562S.
Ordine n. 4500012345 del 28/10, consegna dal 3 al 7 novembre ore 9.00-12.30.

Cordiali saluti
Dott. Giorgio Ferri
FERRI IMPIANTI SRL - Via Roma 12 - 24121 Bergamo (BG)
Tel. +39 035 123 4567 int. 21 - Fax 035 765432 - cell. 335 123 4567
P.IVA/C.F. 01234567897 - REA BG-123456 - Cap. Soc. € 10.000,00 i.v. - SDI M5UXCR1
mail: g.ferri@ferri-impianti.it - PEC: ferriimpianti@pec.it - www.ferri-impianti.it

Identificativo messaggio: opec210312.20251103101200.12345.67.1.1@pec.aruba.it
"""

SIGNATURE_AND_INVOICE_EXPECTED = {
    ("03/11/2025", "DATE"),
    ("€ 2.480,00", "MONEY"),
    ("3.025,60 EUR", "MONEY"),
    ("30 novembre 2025", "DATE"),
    ("lunedì 1° dicembre", "DATE"),
    ("IT60 X054 2811 1010 0000 0123 456", "IBAN"),
    ("RSSMRA85T10A562S", "CODICE_FISCALE"),
    ("28/10", "DATE"),
    ("7 novembre", "DATE"),
    ("+39 035 123 4567", "PHONE"),
    ("035 765432", "PHONE"),
    ("335 123 4567", "PHONE"),
    ("01234567897", "PARTITA_IVA"),
    ("€ 10.000,00", "MONEY"),
    ("g.ferri@ferri-impianti.it", "EMAIL"),
    ("ferriimpianti@pec.it", "EMAIL"),
}


def test_signature_and_invoice_block() -> None:
    found = recognize(SIGNATURE_AND_INVOICE, PATTERN_LABELS)
    assert {(e.text, e.label) for e in found} == SIGNATURE_AND_INVOICE_EXPECTED
    assert len(found) == len(SIGNATURE_AND_INVOICE_EXPECTED)
    for e in found:
        assert SIGNATURE_AND_INVOICE[e.start : e.end] == e.text
        assert "\n" not in e.text
    assert all(e.valid for e in found if e.label in {"IBAN", "CODICE_FISCALE", "PARTITA_IVA"})


def test_recognize_runs_only_the_labels_asked_for() -> None:
    found = recognize(SIGNATURE_AND_INVOICE, {"EMAIL", "IBAN"})
    assert {e.label for e in found} == {"EMAIL", "IBAN"}
    assert recognize(SIGNATURE_AND_INVOICE, {"PER", "ORG"}) == []


def test_phone_lead_in_beats_the_partita_iva_shape() -> None:
    found = recognize("Tel. 01234567897", PATTERN_LABELS)
    assert [(e.text, e.label) for e in found] == [("01234567897", "PHONE")]


def test_no_span_crosses_a_line_break() -> None:
    lines = ["IT60 X054 2811", "1010 0000 0123 456", "Tel. +39 035", "123 4567", "12", "novembre 2025", "€", "1.000",
             "mario.rossi@", "example.it", "P.IVA", "01234567897"]  # fmt: skip
    text = "\n".join(lines)
    for e in recognize(text, PATTERN_LABELS):
        assert "\n" not in e.text, e


def test_registry_is_keyed_by_label() -> None:
    assert set(RECOGNIZERS) == {"EMAIL", "PHONE", "IBAN", "CODICE_FISCALE", "PARTITA_IVA", "MONEY", "DATE"}
    assert all(r.label == label for label, r in RECOGNIZERS.items())
    assert PATTERN_LABELS == set(RECOGNIZERS)
