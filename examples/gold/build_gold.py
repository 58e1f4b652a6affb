#!/usr/bin/env python3
"""Build the hand-written Italian business e-mail gold set (schema ``italian_email``).

Writes, next to this script:

* ``italian_business.mbox``: the messages below, built as real MIME with Python's ``email``
  package (plain text, multipart/alternative, HTML only, quoted-printable and base64 transfer
  encodings, utf-8 / iso-8859-1 / mislabelled windows-1252 charsets, PEC envelopes with
  ``daticert.xml`` and ``postacert.eml``, PEC receipts, a PDF attachment, a forwarded message
  attached as ``message/rfc822``);
* ``gold.jsonl``: one line per message, in mbox order: ``{"message_id", "split", "entities":
  [{"text", "label", "valid": false only when the identifier's check fails}], "notes"}``.

Everything is FICTIONAL: people, companies, addresses, phone numbers, e-mail addresses, codici
fiscali, partite IVA and IBANs were made up for this file (public bodies such as INPS or the
Tribunale di Bergamo are named, their numbers are not theirs). Valid identifiers were given
their check characters with python-stdnum (``make_cf``/``make_piva``/``make_iban`` below, also
``python build_gold.py --make cf RSSMRA80A01F205``); the deliberately invalid ones are marked
``!`` in the gold blocks and ``"valid": false`` in gold.jsonl.

Gold follows /work/shared/ANNOTATION.md (docs: examples/gold/README.md): a set of (text, label)
pairs per message, each distinct surface string once per label, exactly as written in the body
the project's MIME path decodes (``extractor.mail.parse_message(raw, keep_quotes=True).text``),
quoted history and signatures included. Each message's gold block is one pair a line:
``LABEL text`` (``LABEL! text`` for an invalid identifier). ``not_entities`` lists look-alikes
that are deliberately not annotated (REA, SDI, order numbers, PEC message identifiers, foreign
VAT numbers...): they go into the notes and silence the completeness lint.

Split: the first 15 messages in mbox order are ``dev`` (for tuning rules and prompts), the rest
``test`` (never used for tuning).

The build is deterministic (fixed dates, Message-IDs and MIME boundaries, no clock, no
randomness): rerunning it reproduces both files byte for byte. After writing, it re-reads the
mbox through ``extractor.sources.files.iter_path`` + ``extractor.mail.parse_message`` and fails when a
gold string is not a substring of its message text, an identifier's ``valid`` flag disagrees
with python-stdnum, or an e-mail address, IBAN, codice fiscale, 11-digit number, amount, date
or phone-number look-alike in the text is neither annotated nor listed in ``not_entities``.

Usage: ``python examples/gold/build_gold.py`` (``--check`` verifies the files on disk instead
of writing them).
"""

from __future__ import annotations

import argparse
import base64
import html
import io
import json
import quopri
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC
from email import policy
from email.generator import BytesGenerator
from email.message import EmailMessage, MIMEPart
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
MBOX = HERE / "italian_business.mbox"
GOLD = HERE / "gold.jsonl"

LABELS = ("PER", "ORG", "LOC", "DATE", "MONEY", "EMAIL", "PHONE", "IBAN", "CODICE_FISCALE", "PARTITA_IVA")
ID_LABELS = ("IBAN", "CODICE_FISCALE", "PARTITA_IVA")
DEV_COUNT = 15
POLICY = policy.default.clone(linesep="\n", max_line_length=78)


# ---------------------------------------------------------------------------------------------
# identifiers (python-stdnum)


def make_cf(first15: str) -> str:
    """A codice fiscale with its check character."""
    from stdnum.it import codicefiscale

    return first15.upper() + codicefiscale.calc_check_digit(first15.upper())


def make_piva(first10: str) -> str:
    """A partita IVA with its (Luhn) check digit; digits 8-10 must be an office code 001-100."""
    from stdnum import luhn

    return first10 + luhn.calc_check_digit(first10)


def make_iban(country: str, bban: str) -> str:
    """An IBAN with its mod-97 check digits (Italian BBANs need their CIN letter already)."""
    from stdnum import iban

    return country + iban.calc_check_digits(country + "00" + bban) + bban


def stdnum_valid(label: str, text: str) -> bool:
    from stdnum import iban
    from stdnum.it import codicefiscale, iva

    if label == "IBAN":
        return iban.is_valid(text)
    if label == "CODICE_FISCALE":
        return codicefiscale.is_valid(text)
    return iva.is_valid(text)


# ---------------------------------------------------------------------------------------------
# messages


@dataclass
class Mail:
    """One hand-written message and its gold.

    ``fmt``: ``plain`` (one text/plain part), ``alternative`` (plain + an HTML rendering of it),
    ``html`` (``body`` is the HTML, the only part), ``alt_empty_plain`` (a blank plain part and
    ``body`` as the HTML), ``pdf`` (plain text + a PDF attachment), ``fwd_attached`` (plain text +
    ``attached`` as message/rfc822), ``pec`` (``body`` is the certified message inside a PEC
    envelope), ``receipt`` (a PEC receipt whose notice is the body).
    ``charset`` ``windows-1252-as-iso-8859-1`` encodes windows-1252 and labels it iso-8859-1;
    ``utf-8-as-iso-8859-1`` encodes UTF-8 and labels it iso-8859-1 (both seen in the wild).
    """

    msgid: str
    date: str
    sender: str
    to: str
    subject: str
    body: str
    gold: str
    fmt: str = "plain"
    charset: str = "utf-8"
    cte: str = "8bit"
    cc: str | None = None
    not_entities: tuple[str, ...] = ()
    notes: str | None = None
    pec: dict[str, str] | None = None
    attached: Mail | None = None
    extra_headers: tuple[tuple[str, str], ...] = ()
    pairs: list[tuple[str, str, bool]] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self.pairs = parse_gold(self.gold, self.msgid)


def parse_gold(block: str, where: str) -> list[tuple[str, str, bool]]:
    out: list[tuple[str, str, bool]] = []
    seen: set[tuple[str, str]] = set()
    for line in block.strip("\n").split("\n"):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        label, text = line.split(" ", 1)
        valid = not label.endswith("!")
        label = label.rstrip("!")
        if label not in LABELS:
            raise SystemExit(f"{where}: unknown label {label!r}")
        if text != text.strip():
            raise SystemExit(f"{where}: gold text {text!r} has spaces at an end")
        if not valid and label not in ID_LABELS:
            raise SystemExit(f"{where}: only identifiers can be invalid ({label} {text!r})")
        if (text, label) in seen:
            raise SystemExit(f"{where}: ({text!r}, {label}) twice")
        seen.add((text, label))
        out.append((text, label, valid))
    return out


MAILS: list[Mail] = []


def add(mail: Mail) -> None:
    MAILS.append(mail)


# ============================================================================================
# DEV (the first 15 messages)
# ============================================================================================

# 1 - invoice, plain utf-8 8bit, signature with P.IVA/REA/SDI
add(Mail(
    msgid="<20251103094112.4F2A1C0B@ferri-impianti.it>",
    date="Mon, 03 Nov 2025 09:41:12 +0100",
    sender="Amministrazione Ferri Impianti <amministrazione@ferri-impianti.it>",
    to="acquisti@lanificio-orobico.it",
    subject="Invio fattura n. 2025/0412 - ordine 4500187723",
    body="""\
Buongiorno,

in allegato la fattura n. 2025/0412 del 31/10/2025 relativa al vostro ordine n. 4500187723
(intervento di manutenzione impianto termico presso lo stabilimento di Via Serio 14, Alzano Lombardo).

Imponibile: € 3.250,00
IVA 22%: € 715,00
Totale documento: € 3.965,00

Scadenza pagamento: 30/11/2025, bonifico bancario su:
Banca Popolare Orobica - filiale di Bergamo
IBAN: IT60 X054 2811 1010 0000 0123 456

Per qualsiasi chiarimento potete contattare la sig.ra Alessia Fontana al numero 035 421 8890 (int. 12).

Cordiali saluti

Ufficio Amministrazione
FERRI IMPIANTI S.R.L.
Via Borgo Palazzo 118 - 24125 Bergamo (BG)
Tel. +39 035 421 8890 - Fax 035 421 8899
P.IVA e C.F. 03487210167 - REA BG-378912
Codice SDI: M5UXCR1
www.ferri-impianti.it
""",
    gold="""
DATE 31/10/2025
LOC Via Serio 14
LOC Alzano Lombardo
MONEY € 3.250,00
MONEY € 715,00
MONEY € 3.965,00
DATE 30/11/2025
ORG Banca Popolare Orobica
LOC Bergamo
IBAN IT60 X054 2811 1010 0000 0123 456
PER Alessia Fontana
PHONE 035 421 8890
ORG FERRI IMPIANTI S.R.L.
LOC Via Borgo Palazzo 118
PHONE +39 035 421 8890
PHONE 035 421 8899
PARTITA_IVA 03487210167
""",
    not_entities=("2025/0412", "4500187723", "BG-378912", "M5UXCR1", "www.ferri-impianti.it", "24125", "22%"),
))

# 2 - customer complaint with a quoted Gmail-style reply, multipart/alternative
add(Mail(
    msgid="<CAF7q2Lm0x9Kp3vYtRnB1d4eWq8sZ@mail.gmail.com>",
    date="Tue, 04 Nov 2025 08:55:03 +0100",
    sender="Laura Bianchi <l.bianchi@lanificio-orobico.it>",
    to="Amministrazione Ferri Impianti <amministrazione@ferri-impianti.it>",
    subject="R: Invio fattura n. 2025/0412 - ordine 4500187723",
    fmt="alternative",
    cte="quoted-printable",
    body="""\
Buongiorno Sig.ra Fontana,

abbiamo ricevuto la fattura ma l'importo non corrisponde al preventivo n. P-2025-118 del 12 settembre 2025, che indicava 2.980 euro + IVA per lo stesso intervento.
Vi chiedo di emettere una nota di credito per la differenza di 270,00 euro oppure di richiamarmi al 335 612 4478.

Ne parlo anche con il nostro responsabile tecnico, Ing. Andrea Colombo, che era presente al sopralluogo di martedì 9 settembre.

Grazie,
Laura Bianchi
Ufficio Acquisti - Lanificio Orobico S.p.A.
Via Provinciale 22, 24021 Albino (BG)
tel. 035 774 210 | cell. 335 612 4478
l.bianchi@lanificio-orobico.it

Il giorno lun 3 nov 2025 alle 09:41 Amministrazione Ferri Impianti <amministrazione@ferri-impianti.it> ha scritto:
> Buongiorno,
>
> in allegato la fattura n. 2025/0412 del 31/10/2025 relativa al vostro ordine n. 4500187723.
> Totale documento: € 3.965,00
> Scadenza pagamento: 30/11/2025
>
> FERRI IMPIANTI S.R.L. - P.IVA e C.F. 03487210167
""",
    gold="""
PER Fontana
DATE 12 settembre 2025
MONEY 2.980 euro
MONEY 270,00 euro
PHONE 335 612 4478
PER Andrea Colombo
DATE martedì 9 settembre
PER Laura Bianchi
ORG Lanificio Orobico S.p.A.
LOC Via Provinciale 22
LOC Albino
PHONE 035 774 210
EMAIL l.bianchi@lanificio-orobico.it
DATE lun 3 nov 2025
ORG Ferri Impianti
EMAIL amministrazione@ferri-impianti.it
DATE 31/10/2025
MONEY € 3.965,00
DATE 30/11/2025
ORG FERRI IMPIANTI S.R.L.
PARTITA_IVA 03487210167
""",
    not_entities=("P-2025-118", "2025/0412", "4500187723", "24021"),
    notes="'Amministrazione Ferri Impianti': 'Amministrazione' is an internal office, only 'Ferri Impianti' is ORG.",
))

# 3 - PEC envelope: a lawyer's formal notice (inner message iso-8859-1, quoted-printable)
add(Mail(
    msgid="<opec21012.20251105110217.04512.301.1.62@pec.legalmail.it>",
    date="Wed, 05 Nov 2025 11:02:17 +0100",
    sender="avv.mancini@pec.studiomancini.it",
    to="amministrazione@pec.ferri-impianti.it",
    subject="Diffida e messa in mora - Vs. fattura 2025/0388",
    fmt="pec",
    charset="iso-8859-1",
    cte="quoted-printable",
    pec={"inner_msgid": "<9a41c7e2-31d0-4b8e-a0f3-5d12c8e7f001@studiomancini.it>",
         "inner_date": "Wed, 05 Nov 2025 11:01:58 +0100",
         "sender_name": "Avv. Roberto Mancini", "provider": "pec.legalmail.it", "gestore": "LEGALMAIL"},
    body="""\
Spett.le
FERRI IMPIANTI S.R.L.
in persona del legale rappresentante pro tempore
Via Borgo Palazzo 118
24125 Bergamo (BG)
a mezzo PEC: amministrazione@pec.ferri-impianti.it

Oggetto: diffida ad adempiere e messa in mora

Scrivo in nome e per conto della Sig.ra Francesca Ricci (C.F. RCCFNC79P49H501M), residente in Roma, Via Tiburtina 455, che mi ha conferito mandato.

La Vostra società ha incassato in data 14/07/2025 un acconto di EUR 1.800,00 per la fornitura e posa di una caldaia a condensazione presso l'immobile della mia assistita in Bergamo, Via Pignolo 31; ad oggi l'intervento non è stato eseguito.

Vi invito pertanto a completare i lavori entro e non oltre il 20 novembre 2025 o, in alternativa, a restituire l'importo versato mediante bonifico sul conto intestato alla mia assistita:
IBAN IT24F0306911166100000004719

In difetto, sarò costretto ad adire il Tribunale di Bergamo senza ulteriore avviso.

Distinti saluti

Avv. Roberto Mancini
Studio Legale Mancini & Associati
Piazza Cavour 10 - 00193 Roma
Tel. 06 3211 4587 - Fax 06 3211 4590
C.F. MNCRRT65R02H501D - P.IVA 07645190583
PEC: avv.mancini@pec.studiomancini.it
""",
    gold="""
ORG FERRI IMPIANTI S.R.L.
LOC Via Borgo Palazzo 118
LOC Bergamo
EMAIL amministrazione@pec.ferri-impianti.it
PER Francesca Ricci
CODICE_FISCALE RCCFNC79P49H501M
LOC Roma
LOC Via Tiburtina 455
DATE 14/07/2025
MONEY EUR 1.800,00
LOC Via Pignolo 31
DATE 20 novembre 2025
IBAN IT24F0306911166100000004719
ORG Tribunale di Bergamo
PER Roberto Mancini
ORG Studio Legale Mancini & Associati
LOC Piazza Cavour 10
PHONE 06 3211 4587
PHONE 06 3211 4590
CODICE_FISCALE MNCRRT65R02H501D
PARTITA_IVA 07645190583
EMAIL avv.mancini@pec.studiomancini.it
""",
    not_entities=("24125", "00193"),
    notes="PEC envelope: the body is postacert.eml; the envelope's notice (with the PEC message identifier) is not part of it.",
))

# 4 - HR, new hire data, plain utf-8 base64; one wrong codice fiscale
add(Mail(
    msgid="<b7e0d2a4-5c19-4f7e-9a3b-hr20251106@informaticapadana.it>",
    date="Thu, 06 Nov 2025 15:20:44 +0100",
    sender="Chiara Greco <c.greco@informaticapadana.it>",
    to="Michela Testa <m.testa@studiotesta-lavoro.it>",
    subject="Assunzione nuovo collega + correzione anagrafica",
    cte="base64",
    body="""\
Ciao Michela,

ti giro i dati per l'assunzione del nuovo collega che inizierà lunedì 1 dicembre 2025:

Nome e cognome: Matteo Barbieri
Nato a Padova il 27/09/1993
Codice fiscale: BRBMTT93P27G224A
Residenza: Via Altinate 87, 35121 Padova
IBAN per l'accredito dello stipendio: IT09 X020 0811 1020 0010 4567 890
Livello: 5° CCNL Metalmeccanico, RAL 32.500 euro

Ti segnalo anche che per la collega Silvia Moretti il codice fiscale che ci avevate in anagrafica era sbagliato: avevate MRTSLV84D52C933K, quello corretto è MRTSLV84D52C933J (lo vedi anche sulla tessera sanitaria che ti ho mandato il 28 ottobre).

Per dubbi chiamami pure al 049 872 1150 o sul cellulare 347 220 9183.

Grazie!
Chiara

--
Chiara Greco
HR Manager
Informatica Padana S.r.l.
Corso del Popolo 12 - 35131 Padova
P.IVA IT03055670289
""",
    gold="""
PER Michela
DATE lunedì 1 dicembre 2025
PER Matteo Barbieri
LOC Padova
DATE 27/09/1993
CODICE_FISCALE BRBMTT93P27G224A
LOC Via Altinate 87
IBAN IT09 X020 0811 1020 0010 4567 890
MONEY 32.500 euro
PER Silvia Moretti
CODICE_FISCALE! MRTSLV84D52C933K
CODICE_FISCALE MRTSLV84D52C933J
DATE 28 ottobre
PHONE 049 872 1150
PHONE 347 220 9183
PER Chiara
PER Chiara Greco
ORG Informatica Padana S.r.l.
LOC Corso del Popolo 12
PARTITA_IVA IT03055670289
""",
    not_entities=("35121", "35131", "5°"),
))

# 5 - bank notice, HTML only, utf-8 quoted-printable, table
add(Mail(
    msgid="<NTF.20251105.183012.778812@notifiche.bancapopolareorobica.it>",
    date="Wed, 05 Nov 2025 18:30:12 +0100",
    sender="Banca Popolare Orobica <notifiche@bancapopolareorobica.it>",
    to="giorgio.ferri@ferri-impianti.it",
    subject="Accredito bonifico SEPA sul tuo conto",
    fmt="html",
    cte="quoted-printable",
    body="""\
<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head>
<body style="font-family:Arial,sans-serif;font-size:13px">
<p>Gentile Cliente <b>FERRI GIORGIO</b>,</p>
<p>ti informiamo che in data <b>05/11/2025</b> è stato accreditato sul tuo conto corrente un bonifico SEPA con i seguenti dati:</p>
<table>
<tr><td>Ordinante:</td><td>Logistica Adriatica S.p.A.</td></tr>
<tr><td>IBAN ordinante:</td><td>IT82X0889953170000000017832</td></tr>
<tr><td>Importo:</td><td>EUR 12.480,00</td></tr>
<tr><td>Causale:</td><td>SALDO FT 2025/0377 DEL 15/10/2025</td></tr>
<tr><td>CRO/TRN:</td><td>0306911166100045871234</td></tr>
</table>
<p>Saldo disponibile al 05/11/2025 ore 18:30: &euro; 41.907,22</p>
<p>Per assistenza chiama il Servizio Clienti al numero verde <a href="tel:800123456">800 123 456</a> (dall'estero +39 035 399 1111), dal lunedì al venerdì dalle 8:00 alle 20:00.</p>
<p style="font-size:10px;color:#777">Banca Popolare Orobica S.c.p.A. - Piazza Vittorio Veneto 8, 24122 Bergamo - Capitale sociale e riserve &euro; 1.000.000.000 - Codice Fiscale e P.IVA 02413980166 - Iscritta all'Albo delle Banche al n. 5678</p>
<p><a href="https://www.bancapopolareorobica.it/privacy">Informativa privacy</a></p>
</body></html>
""",
    gold="""
PER FERRI GIORGIO
DATE 05/11/2025
ORG Logistica Adriatica S.p.A.
IBAN IT82X0889953170000000017832
MONEY EUR 12.480,00
DATE 15/10/2025
MONEY € 41.907,22
PHONE 800 123 456
PHONE +39 035 399 1111
ORG Banca Popolare Orobica S.c.p.A.
LOC Piazza Vittorio Veneto 8
LOC Bergamo
MONEY € 1.000.000.000
PARTITA_IVA 02413980166
""",
    not_entities=("0306911166100045871234", "2025/0377", "24122", "5678"),
    notes="The CRO/TRN transaction reference is not an IBAN; 'Albo delle Banche' is a register, not an ORG.",
))

# 6 - carrier delivery notice, plain iso-8859-1 quoted-printable
add(Mail(
    msgid="<TAE-0098812-20251106071502@transalpina-express.it>",
    date="Thu, 06 Nov 2025 07:15:02 +0100",
    sender="TransAlpina Express <tracking@transalpina-express.it>",
    to="magazzino@vetrerialariana.it",
    subject="La tua spedizione TAE-2025-0098812 è in consegna oggi",
    charset="iso-8859-1",
    cte="quoted-printable",
    body="""\
Gentile cliente,

la spedizione n. TAE-2025-0098812 (DDT n. 1187 del 06/11/2025) affidata da Cartiera del Serio S.p.A. è in consegna giovedì 6 novembre tra le 14:00 e le 18:00.

Mittente: Cartiera del Serio S.p.A., Via Nazionale 40, 24020 Gorle (BG)
Destinatario: Vetreria Lariana S.n.c. di Villa Irene & C., Via Balicco 3, 23900 Lecco (LC)
Colli: 4 - Peso: 312 kg - Contrassegno: EUR 1.245,80

Il ritiro della merce in arrivo dal porto di Genova è stato effettuato il 04/11 presso il nostro hub di Piacenza; la consegna al magazzino di Lecco avverrà con automezzo targato FG 123 XK.

Per modificare l'appuntamento rispondi a questa e-mail o chiama il +39 02 8736 4400 (opzione 2).
Il nostro autista, Sig. Davide Sala, ti contatterà circa 30 minuti prima al 340 118 7765.

TransAlpina Express S.r.l. - Via dell'Industria 5, 20090 Segrate (MI) - P.IVA 08733420155
""",
    gold="""
DATE 06/11/2025
ORG Cartiera del Serio S.p.A.
DATE giovedì 6 novembre
LOC Via Nazionale 40
LOC Gorle
ORG Vetreria Lariana S.n.c. di Villa Irene & C.
LOC Via Balicco 3
LOC Lecco
MONEY EUR 1.245,80
LOC Genova
DATE 04/11
LOC Piacenza
PHONE +39 02 8736 4400
PER Davide Sala
PHONE 340 118 7765
ORG TransAlpina Express S.r.l.
LOC Via dell'Industria 5
LOC Segrate
PARTITA_IVA 08733420155
""",
    not_entities=("TAE-2025-0098812", "1187", "FG 123 XK", "24020", "23900", "20090"),
))

# 7 - Italian forward of an English quotation (English dates, amounts, German IBAN, foreign VAT)
add(Mail(
    msgid="<CAH3vQx2uT8oP1sDf6gJm4kLr9wEa@mail.gmail.com>",
    date="Thu, 06 Nov 2025 09:03:51 +0100",
    sender="Fabio Marchetti <f.marchetti@officinevalseriana.it>",
    to="Marco Rinaldi <acquisti@officinevalseriana.it>",
    subject="Fwd: Quotation Q-88213 stainless steel sheets",
    body="""\
Ciao Marco,

ti inoltro l'offerta di Nordmetal: prezzo interessante ma pagamento anticipato su conto tedesco. Mi confermi entro venerdì 7 novembre se procediamo?

Fabio

---------- Forwarded message ---------
From: Jonas Weber <j.weber@nordmetal-gmbh.de>
Date: Wed, 5 Nov 2025 at 16:20
Subject: Quotation Q-88213 stainless steel sheets
To: Fabio Marchetti <f.marchetti@officinevalseriana.it>

Dear Mr. Marchetti,

as discussed on the phone on October 30, please find our quotation Q-88213:

- 2,000 kg AISI 304 sheets 2 mm: EUR 7,840.00
- Freight to Nembro (BG), Italy: EUR 650.00
Total: EUR 8,490.00 (net, VAT reverse charge, our VAT ID DE318822710)

Payment in advance to Sparkasse Oberland, IBAN DE85 7002 0270 0015 7834 21, BIC BYLADEM1XXX.
Delivery within 15 working days from payment, i.e. around Friday, 28 November 2025.

Best regards,
Jonas Weber
Export Sales Manager
Nordmetal GmbH - Industriestrasse 12 - 83022 Rosenheim - Germany
Phone +49 8031 40 22 17
""",
    gold="""
PER Marco
ORG Nordmetal
DATE venerdì 7 novembre
PER Fabio
PER Jonas Weber
EMAIL j.weber@nordmetal-gmbh.de
DATE Wed, 5 Nov 2025
PER Fabio Marchetti
EMAIL f.marchetti@officinevalseriana.it
PER Marchetti
DATE October 30
MONEY EUR 7,840.00
LOC Nembro
LOC Italy
MONEY EUR 650.00
MONEY EUR 8,490.00
ORG Sparkasse Oberland
IBAN DE85 7002 0270 0015 7834 21
DATE Friday, 28 November 2025
ORG Nordmetal GmbH
LOC Industriestrasse 12
LOC Rosenheim
LOC Germany
PHONE +49 8031 40 22 17
""",
    not_entities=("Q-88213", "DE318822710", "BYLADEM1XXX", "83022", "2,000 kg", "AISI 304"),
    notes="DE318822710 is a foreign VAT ID (not PARTITA_IVA); 'Mr.' stays outside the PER span.",
))

# 8 - PEC receipt of acceptance (no postacert.eml): its notice is the body
add(Mail(
    msgid="<opec21012.20251105110215.04512.298.1.62@pec.legalmail.it>",
    date="Wed, 05 Nov 2025 11:02:15 +0100",
    sender="posta-certificata@pec.legalmail.it",
    to="avv.mancini@pec.studiomancini.it",
    subject="ACCETTAZIONE: Diffida e messa in mora - Vs. fattura 2025/0388",
    fmt="receipt",
    charset="iso-8859-1",
    cte="quoted-printable",
    pec={"ricevuta": "accettazione", "ref": "<9a41c7e2-31d0-4b8e-a0f3-5d12c8e7f001@studiomancini.it>",
         "gestore": "LEGALMAIL", "provider": "pec.legalmail.it"},
    body="""\
Ricevuta di accettazione

Il giorno 05/11/2025 alle ore 11:02:15 (+0100) il messaggio
"Diffida e messa in mora - Vs. fattura 2025/0388" proveniente da "avv.mancini@pec.studiomancini.it"
ed indirizzato a:
amministrazione@pec.ferri-impianti.it ("posta certificata")

Il messaggio è stato accettato dal sistema ed inoltrato.
Identificativo messaggio: opec21012.20251105110215.04512.298.1.62@pec.legalmail.it
""",
    gold="""
DATE 05/11/2025
EMAIL avv.mancini@pec.studiomancini.it
EMAIL amministrazione@pec.ferri-impianti.it
""",
    not_entities=("opec21012.20251105110215.04512.298.1.62@pec.legalmail.it", "2025/0388"),
    notes="The PEC message identifier after 'Identificativo messaggio:' looks like an address but is not one.",
))

# 9 - quote with a PDF attachment, plain utf-8 quoted-printable
add(Mail(
    msgid="<5f2b8e11.preventivo073@edillario.it>",
    date="Fri, 07 Nov 2025 12:10:33 +0100",
    sender="Edil Lario S.n.c. <preventivi@edillario.it>",
    to="paolo.lombardi@lombardiserramenti.it",
    subject="Preventivo rifacimento copertura - Via Mazzini 17",
    fmt="pdf",
    cte="quoted-printable",
    body="""\
Gentile Dott. Lombardi,

facendo seguito al sopralluogo del 22/10/2025 presso la Sua abitazione di Via Mazzini 17 a Valmadrera, Le trasmetto in allegato il preventivo n. 2025-P-073 per il rifacimento della copertura:

- rimozione e smaltimento manto esistente: 4.200,00 €
- fornitura e posa coppi e isolamento: 11.350,00 €
- ponteggi e oneri di sicurezza: 1.980,00 €
Totale: 17.530,00 € + IVA 10%

L'offerta è valida fino al 15 dicembre 2025. Con l'accettazione è richiesto un acconto del 30% (5.259,00 €) da versare su IBAN IT18K0503411121000000004455 intestato a Edil Lario S.n.c. di Rinaldi Marco & C.

Resto a disposizione per un incontro in cantiere martedì 11 novembre alle 9:00.

Geom. Marco Rinaldi
Edil Lario S.n.c.
Via Como 51/A - 23868 Valmadrera (LC)
Tel. 0341 58 31 22 - Cell. 339 4410 276
P.IVA 01987340971
""",
    gold="""
PER Lombardi
DATE 22/10/2025
LOC Via Mazzini 17
LOC Valmadrera
MONEY 4.200,00 €
MONEY 11.350,00 €
MONEY 1.980,00 €
MONEY 17.530,00 €
DATE 15 dicembre 2025
MONEY 5.259,00 €
IBAN IT18K0503411121000000004455
ORG Edil Lario S.n.c. di Rinaldi Marco & C.
DATE martedì 11 novembre
PER Marco Rinaldi
ORG Edil Lario S.n.c.
LOC Via Como 51/A
PHONE 0341 58 31 22
PHONE 339 4410 276
PARTITA_IVA 01987340971
""",
    not_entities=("2025-P-073", "23868", "10%", "30%"),
))

# 10 - injury report, "-----Messaggio originale-----" block, windows-1252 labelled iso-8859-1
add(Mail(
    msgid="<AM6PR09MB4471C2D1E0F3A9B8C7D6E5F4A3B2@AM6PR09MB4471.eurprd09.prod.outlook.com>",
    date="Tue, 04 Nov 2025 09:12:40 +0000",
    sender="Ugo Locatelli <u.locatelli@cartieradelserio.it>",
    to="Michela Testa <m.testa@studiotesta-lavoro.it>",
    subject="R: Infortunio sig. Cattaneo - documenti",
    charset="windows-1252-as-iso-8859-1",
    cte="quoted-printable",
    body="""\
Buongiorno Dott.ssa Testa,

confermo che la denuncia di infortunio del dipendente CATTANEO PIETRO (C.F. CTTPTR64D04A794Y) è stata inviata all'INAIL tramite il portale il 03/11/2025.
La prognosi iniziale è di 10 giorni; il certificato del Pronto Soccorso dell'Ospedale Papa Giovanni XXIII riporta come data dell'evento il 31 ottobre.

Per la pratica di rimborso delle spese sanitarie (ricevute per € 186,40) le invio le copie via PEC entro venerdì.

Saluti,
Ugo Locatelli
RSPP - Cartiera del Serio S.p.A.
Tel. 035-296611 int. 204
Fax 035-296699

-----Messaggio originale-----
Da: Michela Testa <m.testa@studiotesta-lavoro.it>
Inviato: lunedì 3 novembre 2025 17:48
A: Ugo Locatelli <u.locatelli@cartieradelserio.it>
Oggetto: Infortunio sig. Cattaneo - documenti

Buonasera Sig. Locatelli,
per completare la pratica mi servono il codice fiscale dell'infortunato e la data esatta dell'evento. Le ricordo che la denuncia va presentata entro due giorni dalla ricezione del certificato.

Cordiali saluti
Dott.ssa Michela Testa
Studio Testa - Consulenza del Lavoro
Via Tasso 8, 24121 Bergamo
Tel. 035 23 77 41
""",
    gold="""
PER Testa
PER CATTANEO PIETRO
CODICE_FISCALE CTTPTR64D04A794Y
ORG INAIL
DATE 03/11/2025
ORG Ospedale Papa Giovanni XXIII
DATE 31 ottobre
MONEY € 186,40
PER Ugo Locatelli
ORG Cartiera del Serio S.p.A.
PHONE 035-296611
PHONE 035-296699
PER Michela Testa
EMAIL m.testa@studiotesta-lavoro.it
DATE lunedì 3 novembre 2025
EMAIL u.locatelli@cartieradelserio.it
PER Cattaneo
PER Locatelli
ORG Studio Testa
LOC Via Tasso 8
LOC Bergamo
PHONE 035 23 77 41
""",
    not_entities=("24121",),
    notes="Bytes are windows-1252 (the euro sign is 0x80) but the part says iso-8859-1, as Outlook often does. "
          "'Pronto Soccorso' is a hospital department, not an ORG; the extension 'int. 204' is outside the PHONE span.",
))

# 11 - web-form complaint, HTML only, iso-8859-1 base64, table cells
add(Mail(
    msgid="<webform.20251105.213344.6612@alimentarisantoro.it>",
    date="Wed, 05 Nov 2025 21:33:44 +0100",
    sender="Modulo reclami <noreply@alimentarisantoro.it>",
    to="assistenza@alimentarisantoro.it",
    subject="[Reclamo] Ordine WEB-2025-33871",
    fmt="html",
    charset="iso-8859-1",
    cte="base64",
    body="""\
<html><head><meta charset="iso-8859-1"><style>td{padding:2px 6px}</style></head><body>
<h3>Nuova richiesta dal modulo reclami - www.alimentarisantoro.it</h3>
<table border="1">
<tr><th>Campo</th><th>Valore</th></tr>
<tr><td>Nome</td><td>Nicola</td></tr>
<tr><td>Cognome</td><td>Pellegrino</td></tr>
<tr><td>E-mail</td><td>nicola.pellegrino78@gmail.com</td></tr>
<tr><td>Telefono</td><td>3289915072</td></tr>
<tr><td>Codice fiscale (per il rimborso)</td><td>PLLNCL80B29A662L</td></tr>
<tr><td>Numero ordine</td><td>WEB-2025-33871</td></tr>
<tr><td>Data ordine</td><td>28/10/2025</td></tr>
<tr><td>Importo</td><td>86,90 &euro;</td></tr>
<tr><td>Messaggio</td><td>Il pacco consegnato a Bari il 4 novembre conteneva due confezioni di taralli rotte e una bottiglia d'olio mancante. Chiedo il rimborso di 24,50 euro sul mio IBAN IT76R0311111100000000021197.</td></tr>
</table>
<p>Inviato il 05/11/2025 alle 21:33 dall'indirizzo IP 93.41.208.17</p>
<p>Alimentari Santoro S.r.l. - Via Sparano da Bari 71, 70121 Bari - P.IVA 04599310721 - REA BA-301122</p>
</body></html>
""",
    gold="""
PER Nicola
PER Pellegrino
EMAIL nicola.pellegrino78@gmail.com
PHONE 3289915072
CODICE_FISCALE PLLNCL80B29A662L
DATE 28/10/2025
MONEY 86,90 €
LOC Bari
DATE 4 novembre
MONEY 24,50 euro
IBAN IT76R0311111100000000021197
DATE 05/11/2025
ORG Alimentari Santoro S.r.l.
LOC Via Sparano da Bari 71
PARTITA_IVA 04599310721
""",
    not_entities=("www.alimentarisantoro.it", "WEB-2025-33871", "93.41.208.17", "BA-301122", "70121"),
))

# 12 - hasty warehouse message: lower case, typos, wrong P.IVA
add(Mail(
    msgid="<20251107T083311.51223@magazzino.cagliari.local>",
    date="Fri, 07 Nov 2025 08:33:11 +0100",
    sender="Antonio <magazzino.elmas@sardaricambi.it>",
    to="Sara Caruso <s.caruso@sardaricambi.it>",
    subject="camion gallo",
    body="""\
ciao Sara

il camion di GALLO TRASPORTI è arrivato stamattina con 2 ore di ritardo, l'autista (un certo sig. Emanuele serra) dice che la bolla era sbagliata e che i bancali dovevano andare a cagliari e non qui a Elmas.
mi chiami appena puoi al 3471182093 ? il fisso del magazino è 070 24 11 580

in piu c'è da pagare il contrassegno di 640 eur , ma in cassa abbiamo solo 410,00€ ...
la fattura di gallo è la nr 88/2025 del 2/11/2025, P.Iva 08326100272 (mi sembra sbagliata anche quella)

grazie Antonio
""",
    gold="""
PER Sara
ORG GALLO TRASPORTI
PER Emanuele serra
LOC cagliari
LOC Elmas
PHONE 3471182093
PHONE 070 24 11 580
MONEY 640 eur
MONEY 410,00€
ORG gallo
DATE 2/11/2025
PARTITA_IVA! 08326100272
PER Antonio
""",
    not_entities=("88/2025",),
    notes="'la fattura di gallo' refers to the carrier GALLO TRASPORTI, hence ORG; the P.IVA has a wrong check digit.",
))

# 13 - hotel booking confirmation, multipart/alternative, utf-8 quoted-printable
add(Mail(
    msgid="<BK55120.20251107.101522@hotelbellavista-varenna.it>",
    date="Fri, 07 Nov 2025 10:15:22 +0100",
    sender="Hotel Bellavista sul Lago <reception@hotelbellavista-varenna.it>",
    to="Luca Giordano <luca.giordano@studiogiordano.vr.it>",
    subject="Conferma prenotazione n. 55120-BK – Hotel Bellavista sul Lago",
    fmt="alternative",
    cte="quoted-printable",
    body="""\
Gentile Sig. Giordano,

grazie per aver scelto l'Hotel Bellavista sul Lago. Le confermiamo la prenotazione n. 55120-BK:

Arrivo: giovedì 20 novembre 2025 (check-in dalle 14:00)
Partenza: 23/11/2025 (check-out entro le 11:00)
Camera doppia uso singola vista lago, trattamento B&B
Tariffa: € 145,00 a notte, totale soggiorno € 435,00 (tassa di soggiorno esclusa, 2,50 € a persona a notte)

A garanzia è stata addebitata la prima notte sulla carta terminante con 4471.
Il parcheggio privato in Via Lungolago 21 è gratuito; dalla stazione di Varenna-Esino la nostra navetta è disponibile su richiesta.

Per qualunque esigenza: reception@hotelbellavista-varenna.it, tel. +39 0341 830 112, WhatsApp +39 345 778 0021.

Cordiali saluti
Beatrice Galli
Reception - Hotel Bellavista sul Lago
Piazza San Giorgio 4, 23829 Varenna (LC) - Italia
P.IVA 02155690155 - CIN IT097084A1ABCD1234
""",
    gold="""
PER Giordano
ORG Hotel Bellavista sul Lago
DATE giovedì 20 novembre 2025
DATE 23/11/2025
MONEY € 145,00
MONEY € 435,00
MONEY 2,50 €
LOC Via Lungolago 21
LOC Varenna-Esino
EMAIL reception@hotelbellavista-varenna.it
PHONE +39 0341 830 112
PHONE +39 345 778 0021
PER Beatrice Galli
LOC Piazza San Giorgio 4
LOC Varenna
LOC Italia
PARTITA_IVA 02155690155
""",
    not_entities=("55120-BK", "4471", "IT097084A1ABCD1234", "23829"),
    notes="CIN IT097084A1ABCD1234 is the national tourist-lodging code, not an identifier of this schema.",
))

# 14 - bank, mortgage deed checklist, plain utf-8 base64; two CF, two IBANs
add(Mail(
    msgid="<CL.MUTUI.20251110.0915.3301@creditolariano.it>",
    date="Mon, 10 Nov 2025 09:15:07 +0100",
    sender="Elena De Luca <elena.deluca@creditolariano.it>",
    to="davide.conti81@gmail.com",
    cc="federica.mariani@outlook.it",
    subject="Stipula mutuo del 26/11 - documenti",
    cte="base64",
    body="""\
Gentili Sig. Conti e Sig.ra Mariani,

in vista della stipula del mutuo fissata per mercoledì 26 novembre 2025 alle ore 15:30 presso lo studio del Notaio Dott. Alessandro Bruno (Via Verdi 9, Brescia), vi ricordo i documenti da portare:

- documento d'identità e tessera sanitaria di Davide Conti (C.F. CNTDVD81A11B157P) e Federica Mariani (C.F. MRNFRC97A59G337C);
- ultime due buste paga e CU 2025;
- contabile del bonifico della caparra di € 25.000,00 versata al venditore il 18/09/2025.

L'erogazione di € 180.000,00 sarà accreditata sul conto IT86Y0844052780000000031009 e contestualmente girata al venditore, Sig. Stefano Marino, sul suo conto presso Banca Adriatica di Credito (IBAN IT04 Q010 3011 1050 0000 1234 500).

Le spese di istruttoria ammontano a 1.200 euro, la perizia dell'immobile a 350 euro.

Un cordiale saluto,
Elena De Luca
Consulente Mutui - Credito Lariano S.p.A., filiale di Brescia
Corso Zanardelli 38, 25121 Brescia
Tel. 030 377 1940 | elena.deluca@creditolariano.it
""",
    gold="""
PER Conti
PER Mariani
DATE mercoledì 26 novembre 2025
PER Alessandro Bruno
LOC Via Verdi 9
LOC Brescia
PER Davide Conti
CODICE_FISCALE CNTDVD81A11B157P
PER Federica Mariani
CODICE_FISCALE MRNFRC97A59G337C
MONEY € 25.000,00
DATE 18/09/2025
MONEY € 180.000,00
IBAN IT86Y0844052780000000031009
PER Stefano Marino
ORG Banca Adriatica di Credito
IBAN IT04 Q010 3011 1050 0000 1234 500
MONEY 1.200 euro
MONEY 350 euro
PER Elena De Luca
ORG Credito Lariano S.p.A.
LOC Corso Zanardelli 38
PHONE 030 377 1940
EMAIL elena.deluca@creditolariano.it
""",
    not_entities=("25121", "CU 2025"),
))

# 15 - PEC envelope: municipal tax notice (inner message multipart/alternative, utf-8)
add(Mail(
    msgid="<opec292.20251110120455.18832.611.1.58@postacert.comune.nembro.bg.it>",
    date="Mon, 10 Nov 2025 12:04:55 +0100",
    sender="tributi@pec.comune.nembro.bg.it",
    to="officinevalseriana@pec.it",
    subject="Avviso di accertamento TARI 2024 n. 2025/ACC/004417",
    fmt="pec",
    cte="quoted-printable",
    pec={"inner_msgid": "<ACC004417.20251110120431@comune.nembro.bg.it>",
         "inner_date": "Mon, 10 Nov 2025 12:04:31 +0100",
         "sender_name": "Comune di Nembro - Servizio Tributi", "provider": "postacert.comune.nembro.bg.it",
         "gestore": "Comune di Nembro", "inner_fmt": "alternative"},
    body="""\
Spett.le OFFICINE VALSERIANA S.R.L.
Via Lungo Serio 7
24027 Nembro (BG)
C.F./P.IVA 01566120133

Oggetto: Avviso di accertamento TARI anno 2024 n. 2025/ACC/004417

Con la presente si comunica che dalle verifiche effettuate risulta un omesso versamento della Tassa sui Rifiuti per l'immobile di Via Lungo Serio 7 relativo all'anno 2024, per un importo complessivo di € 2.318,00, comprensivo di sanzioni (30%) e interessi.

Il pagamento dovrà avvenire entro 60 giorni dalla notifica tramite modello F24 oppure con bonifico sul conto di tesoreria del Comune di Nembro:
IBAN IT95 J034 4011 101C C001 2345 678

Eventuale ricorso potrà essere presentato alla Corte di Giustizia Tributaria di primo grado di Bergamo entro lo stesso termine.

Il Responsabile del Servizio Tributi
Dott.ssa Roberta Pagani
Comune di Nembro - Piazza Libertà 1, 24027 Nembro (BG)
C.F. 80012340164 - Tel. 035 471 311
PEC: tributi@pec.comune.nembro.bg.it
""",
    gold="""
ORG OFFICINE VALSERIANA S.R.L.
LOC Via Lungo Serio 7
LOC Nembro
PARTITA_IVA 01566120133
MONEY € 2.318,00
ORG Comune di Nembro
IBAN IT95 J034 4011 101C C001 2345 678
ORG Corte di Giustizia Tributaria di primo grado di Bergamo
PER Roberta Pagani
LOC Piazza Libertà 1
PARTITA_IVA 80012340164
PHONE 035 471 311
EMAIL tributi@pec.comune.nembro.bg.it
""",
    not_entities=("2025/ACC/004417", "24027", "30%"),
    notes="C.F. 80012340164 is the numeric codice fiscale of a public body: PARTITA_IVA by the guidelines.",
))

# ============================================================================================
# TEST (everything after the first 15)
# ============================================================================================

# 16 - payment reminder with a list of invoices; one IBAN with swapped characters
add(Mail(
    msgid="<sollecito.100388.20251110@cartieradelserio.it>",
    date="Mon, 10 Nov 2025 10:42:18 +0100",
    sender="Ufficio Crediti Cartiera del Serio <crediti@cartieradelserio.it>",
    to="tipografiamoderna.napoli@libero.it",
    subject="Sollecito di pagamento - posizione 100388",
    cte="quoted-printable",
    body="""\
Spett.le Tipografia Moderna di Gennaro Esposito
Via Foria 201
80137 Napoli (NA)

Oggetto: sollecito di pagamento - posizione cliente n. 100388

Gentile Sig. Esposito,

dai nostri controlli amministrativi risultano ancora aperte le seguenti fatture:

Fatt. n. 2025/1102 del 15/07/2025 - scad. 14/09/2025 - € 2.745,60
Fatt. n. 2025/1290 del 12/08/2025 - scad. 11/10/2025 - € 1.098,00
Fatt. n. 2025/1417 del 03/09/2025 - scad. 02/11/2025 - € 3.660,00
Totale scaduto: € 7.503,60

La invitiamo a provvedere al saldo entro 10 giorni dal ricevimento della presente tramite bonifico a favore di Cartiera del Serio S.p.A.:
Cassa Rurale di Valbrembo - IBAN IT09W0569611000000007700X12

Nel caso il pagamento fosse già stato disposto, La preghiamo di inviarci copia della contabile. Ci risulta infatti un Suo bonifico del 29/10 di € 1.098,00 con IBAN beneficiario IT09W0569611000000007700X21, che non corrisponde al nostro conto ed è stato respinto dalla banca.

Cordiali saluti

Ufficio Crediti
Cartiera del Serio S.p.A. - Via Nazionale 40 - 24020 Gorle (BG)
Tel. 035 66 21 300 - Fax 035 66 21 399 - crediti@cartieradelserio.it
Cap. Soc. € 2.000.000 i.v. - P.IVA 04122830161 - REA BG-402117
""",
    gold="""
ORG Tipografia Moderna di Gennaro Esposito
LOC Via Foria 201
LOC Napoli
PER Esposito
DATE 15/07/2025
DATE 14/09/2025
MONEY € 2.745,60
DATE 12/08/2025
DATE 11/10/2025
MONEY € 1.098,00
DATE 03/09/2025
DATE 02/11/2025
MONEY € 3.660,00
MONEY € 7.503,60
ORG Cartiera del Serio S.p.A.
ORG Cassa Rurale di Valbrembo
IBAN IT09W0569611000000007700X12
DATE 29/10
IBAN! IT09W0569611000000007700X21
LOC Via Nazionale 40
LOC Gorle
PHONE 035 66 21 300
PHONE 035 66 21 399
EMAIL crediti@cartieradelserio.it
MONEY € 2.000.000
PARTITA_IVA 04122830161
""",
    not_entities=("100388", "2025/1102", "2025/1290", "2025/1417", "BG-402117", "80137", "24020"),
))

# 17 - e-shop order confirmation, HTML only, utf-8 base64, item table
add(Mail(
    msgid="<order-FB-2025-118842@mailer.ferramentabruno.it>",
    date="Wed, 05 Nov 2025 17:48:09 +0100",
    sender="Ferramenta Bruno <ordini@ferramentabruno.it>",
    to="paolo.lombardi@lombardiserramenti.it",
    subject="Conferma ordine #FB-2025-118842",
    fmt="html",
    cte="base64",
    body="""\
<!DOCTYPE html>
<html><body style="font-family:Arial">
<p>Ciao <strong>Paolo</strong>,</p>
<p>grazie per il tuo ordine <b>#FB-2025-118842</b> del 05/11/2025. Riepilogo:</p>
<table cellpadding="4">
<tr><th>Articolo</th><th>Qtà</th><th>Prezzo</th></tr>
<tr><td>Trapano avvitatore 18V</td><td>2</td><td>€ 189,00</td></tr>
<tr><td>Set punte HSS 25 pz</td><td>3</td><td>€ 24,90</td></tr>
<tr><td>Spedizione corriere espresso</td><td>1</td><td>€ 9,90</td></tr>
<tr><td colspan="2"><b>Totale (IVA 22% inclusa)</b></td><td><b>€ 487,60</b></td></tr>
</table>
<p><b>Indirizzo di spedizione</b><br>Paolo Lombardi<br>Lombardi Serramenti di Lombardi Paolo<br>Via Belvedere 14<br>23900 Lecco LC<br>Tel: 0341 36 54 21</p>
<p>Consegna prevista: <b>lunedì 10 novembre</b> con corriere TransAlpina Express.</p>
<p>Hai domande? Scrivi a <a href="mailto:ordini@ferramentabruno.it">ordini@ferramentabruno.it</a> o visita <a href="https://www.ferramentabruno.it/ordini">la tua area clienti</a>.</p>
<hr>
<p style="font-size:10px">Ferramenta Bruno S.r.l. — Viale dei Mille 120, 50131 Firenze — P.IVA 03772040485 — Capitale sociale € 50.000,00 i.v.</p>
</body></html>
""",
    gold="""
PER Paolo
DATE 05/11/2025
MONEY € 189,00
MONEY € 24,90
MONEY € 9,90
MONEY € 487,60
PER Paolo Lombardi
ORG Lombardi Serramenti di Lombardi Paolo
LOC Via Belvedere 14
LOC Lecco
PHONE 0341 36 54 21
DATE lunedì 10 novembre
ORG TransAlpina Express
EMAIL ordini@ferramentabruno.it
ORG Ferramenta Bruno S.r.l.
LOC Viale dei Mille 120
LOC Firenze
PARTITA_IVA 03772040485
MONEY € 50.000,00
""",
    not_entities=("FB-2025-118842", "23900", "50131", "22%", "18V"),
))

# 18 - PEC envelope: contract renewal; inner message has a PDF attachment
add(Mail(
    msgid="<opec210312.20251111093307.22871.77.1.53@pec.aruba.it>",
    date="Tue, 11 Nov 2025 09:33:07 +0100",
    sender="commerciale@pec.informaticapadana.it",
    to="studioferraracaruso@pec.it",
    subject="Rinnovo contratto di assistenza CA-2023-0451",
    fmt="pec",
    cte="quoted-printable",
    pec={"inner_msgid": "<rinnovo-CA-2023-0451.20251111093251@informaticapadana.it>",
         "inner_date": "Tue, 11 Nov 2025 09:32:51 +0100",
         "sender_name": "Informatica Padana - Area Commerciale", "provider": "pec.aruba.it",
         "gestore": "ArubaPEC S.p.A.", "inner_fmt": "pdf"},
    body="""\
Spett.le
Studio Associato Ferrara Caruso
Via Toledo 256
80134 Napoli
alla c.a. del Dott. Antonio Ferrara

Oggetto: rinnovo contratto di assistenza software n. CA-2023-0451

Gentile Dott. Ferrara,

il contratto di assistenza in oggetto scadrà il 31/12/2025. Alleghiamo la proposta di rinnovo triennale per il periodo 01/01/2026 - 31/12/2028, che prevede un canone annuo di € 4.800,00 + IVA (invariato rispetto al 2025) e 20 ore di formazione presso la Vostra sede.

Il pagamento potrà avvenire in rate trimestrali anticipate con addebito SEPA sul conto che ci avete già comunicato oppure con bonifico a:
Informatica Padana S.r.l. - Banca Popolare Orobica
IBAN IT47 M054 2862 7100 0000 0088 213

Vi chiediamo di restituire la proposta firmata digitalmente entro venerdì 12 dicembre 2025 all'indirizzo PEC commerciale@pec.informaticapadana.it.

Distinti saluti
Matteo Barbieri
Area Commerciale
Informatica Padana S.r.l. - Corso del Popolo 12, 35131 Padova
Tel. 049 872 1100 - Fax 049 872 1199
P.IVA IT03055670289
""",
    gold="""
ORG Studio Associato Ferrara Caruso
LOC Via Toledo 256
LOC Napoli
PER Antonio Ferrara
PER Ferrara
DATE 31/12/2025
DATE 01/01/2026
DATE 31/12/2028
MONEY € 4.800,00
ORG Informatica Padana S.r.l.
ORG Banca Popolare Orobica
IBAN IT47 M054 2862 7100 0000 0088 213
DATE venerdì 12 dicembre 2025
EMAIL commerciale@pec.informaticapadana.it
PER Matteo Barbieri
LOC Corso del Popolo 12
LOC Padova
PHONE 049 872 1100
PHONE 049 872 1199
PARTITA_IVA IT03055670289
""",
    not_entities=("CA-2023-0451", "80134", "35131"),
))

# 19 - holiday request, Gmail-style quoted reply; a wrong CF next to the right one
add(Mail(
    msgid="<CAJr8wZ1xqY5nM2bVc7dKp0Lt3uHs@mail.gmail.com>",
    date="Fri, 31 Oct 2025 08:21:37 +0100",
    sender="Davide Conti <d.conti@logisticaadriatica.it>",
    to="Valentina Rizzo <valentina.rizzo@logisticaadriatica.it>",
    subject="Re: Richiesta ferie Natale",
    body="""\
Ok Valentina, approvo le ferie dal 22/12/2025 al 02/01/2026. Ricordati di passare le consegne a Luca prima di partire.

Per il certificato di malattia di settembre: l'INPS ha chiesto il codice fiscale corretto, sul modulo c'era scritto RZZVNT91L41C351F. Ho corretto io con quello della tua tessera (RZZVNT91L41C351E).

Davide

Il giorno gio 30 ott 2025 alle ore 18:05 Valentina Rizzo <valentina.rizzo@logisticaadriatica.it> ha scritto:

> Ciao Davide,
> vorrei chiedere le ferie dal 22 dicembre al 2 gennaio compresi (8 giorni lavorativi, al netto di Natale e Santo Stefano).
> Se serve posso rientrare il 29/12 per la chiusura inventario ad Ancona.
> Grazie
> Valentina
> --
> Valentina Rizzo
> Logistica Adriatica S.p.A. | Ufficio Spedizioni
> Via Mattei 22, 60131 Ancona
> +39 071 280 4410 | +39 366 902 1177
""",
    gold="""
PER Valentina
DATE 22/12/2025
DATE 02/01/2026
PER Luca
ORG INPS
CODICE_FISCALE! RZZVNT91L41C351F
CODICE_FISCALE RZZVNT91L41C351E
PER Davide
DATE gio 30 ott 2025
PER Valentina Rizzo
EMAIL valentina.rizzo@logisticaadriatica.it
DATE 22 dicembre
DATE 2 gennaio
DATE 29/12
LOC Ancona
ORG Logistica Adriatica S.p.A.
LOC Via Mattei 22
PHONE +39 071 280 4410
PHONE +39 366 902 1177
""",
    not_entities=("60131",),
    notes="'Natale' and 'Santo Stefano' are holidays named without a date: not DATE.",
))

# 20 - English e-mail from a UK customer, multipart/alternative
add(Mail(
    msgid="<LO2P265MB5190A1B2C3D4E5F60718293A4B5C@LO2P265MB5190.GBRP265.PROD.OUTLOOK.COM>",
    date="Wed, 12 Nov 2025 11:27:45 +0000",
    sender="Oliver Bennett <o.bennett@harbourtextiles.co.uk>",
    to="Giulia Costa <g.costa@lanificio-orobico.it>",
    subject="PO 77120 - deposit paid",
    fmt="alternative",
    cte="quoted-printable",
    body="""\
Hi Giulia,

Thanks for your call on Tuesday. As agreed, we have paid the deposit for PO 77120 today:

Amount: USD 950.00 (wire from Harbour Textiles Ltd, account GB58 MIDL 4005 1572 1984 63)
Balance due on delivery: USD 2,850.00

Could you please confirm the shipping date from Genoa? Our forwarder in Felixstowe needs the container booked by Friday, 14 November 2025 at the latest. We are closed on Thu, 27 Nov 2025 for the staff event.

Also, please update our contact: invoices should now go to accounts.payable@harbourtextiles.co.uk, phone +44 20 7946 0321.

Kind regards,
Oliver Bennett
Purchasing Director
Harbour Textiles Ltd
14 Wharf Road, London N1 7GR, United Kingdom
Company No. 08812345 - VAT GB 812 3456 78
""",
    gold="""
PER Giulia
MONEY USD 950.00
ORG Harbour Textiles Ltd
IBAN GB58 MIDL 4005 1572 1984 63
MONEY USD 2,850.00
LOC Genoa
LOC Felixstowe
DATE Friday, 14 November 2025
DATE Thu, 27 Nov 2025
EMAIL accounts.payable@harbourtextiles.co.uk
PHONE +44 20 7946 0321
PER Oliver Bennett
LOC 14 Wharf Road
LOC London
LOC United Kingdom
""",
    not_entities=("77120", "08812345", "GB 812 3456 78", "N1 7GR"),
    notes="UK company number and VAT number are not PARTITA_IVA; 'on Tuesday' is a bare weekday.",
))

# 21 - logistics, two nested quoted replies ("Il giorno ... ha scritto:"), dates like 07/10
add(Mail(
    msgid="<a3c91f0e-7d2b-4e55-8f10-1b2c3d4e5f60@lanificio-orobico.it>",
    date="Thu, 06 Nov 2025 17:55:20 +0100",
    sender="Giulia Costa <g.costa@lanificio-orobico.it>",
    to="Martina Gallo <m.gallo@gallotrasporti.it>",
    subject="R: Re: Ritiro 6 bancali Mestre",
    body="""\
Buongiorno Sig. Gallo,

purtroppo il ritiro previsto per oggi non è avvenuto. Il vostro autista si è presentato alle 17:40, a magazzino già chiuso (orario ritiri 8:00-12:00 / 14:00-17:00).
Possiamo riprogrammare per venerdì 7 novembre? In alternativa lunedì 10/11 in mattinata.

Cordiali saluti
Giulia Costa
Magazzino Spedizioni - Lanificio Orobico S.p.A.
Tel. +39 035 774 233

Il giorno mer 5 nov 2025 alle ore 10:02 Martina Gallo <m.gallo@gallotrasporti.it> ha scritto:
> Gentile Sig.ra Costa,
> confermo il ritiro di 6 bancali per Mestre giovedì 6 novembre nel pomeriggio.
> Le ricordo che la tariffa concordata è di 420,00 euro a viaggio + IVA.
>
> Martina Gallo
> Gallo Trasporti & Logistica S.r.l.
> Via della Libertà 33, 30175 Marghera (VE)
> Tel. 041 531 9920 - Cell. +39 348 551 2030
> P.IVA 08326100271
>
> Il giorno mar 4 nov 2025 alle 16:30 Giulia Costa <g.costa@lanificio-orobico.it> ha scritto:
>> Buonasera,
>> avrei bisogno di un ritiro per la settimana corrente, 6 bancali (circa 2.400 kg) destinazione Mestre, come l'ultima volta (ordine del 07/10).
>> Grazie
>> Giulia Costa
""",
    gold="""
PER Gallo
DATE venerdì 7 novembre
DATE lunedì 10/11
PER Giulia Costa
ORG Lanificio Orobico S.p.A.
PHONE +39 035 774 233
DATE mer 5 nov 2025
PER Martina Gallo
EMAIL m.gallo@gallotrasporti.it
PER Costa
LOC Mestre
DATE giovedì 6 novembre
MONEY 420,00 euro
ORG Gallo Trasporti & Logistica S.r.l.
LOC Via della Libertà 33
LOC Marghera
PHONE 041 531 9920
PHONE +39 348 551 2030
PARTITA_IVA 08326100271
DATE mar 4 nov 2025
EMAIL g.costa@lanificio-orobico.it
DATE 07/10
""",
    not_entities=("30175", "2.400 kg"),
))

# 22 - accountant's tax deadlines, plain iso-8859-1 quoted-printable (no euro sign)
add(Mail(
    msgid="<000a01dc52f1$6b1e2c40$415a84c0$@studiopesenti.it>",
    date="Mon, 10 Nov 2025 16:05:12 +0100",
    sender="Walter Pesenti <info@studiopesenti.it>",
    to="Fabio Marchetti <f.marchetti@officinevalseriana.it>",
    subject="Scadenze fiscali novembre-dicembre",
    charset="iso-8859-1",
    cte="quoted-printable",
    body="""\
Gentile Sig. Marchetti,

Le ricordo le prossime scadenze fiscali per Officine Valseriana S.r.l. e per Lei personalmente:

- 17/11/2025: versamento IVA mensile di ottobre, EUR 6.412,00 (F24 già predisposto)
- 17/11/2025: ritenute d'acconto dipendenti e contributi INPS, EUR 9.870,35
- 1 dicembre 2025: secondo acconto IRPEF a Suo nome (C.F. MRCFBA73E21A794H), 2.145 euro
- 16 dicembre 2025: saldo IMU seconde case Comune di Albino, EUR 812,00

Per il secondo acconto di Sua moglie, Sig.ra Irene Villa (C.F. VLLRNI96P54E507S), l'importo è di 690 euro.

Gli F24 verranno addebitati sul conto aziendale IT57E0306953420100000061728 salvo Sua diversa indicazione entro giovedì 13 novembre.

Lo Studio resterà chiuso dal 24/12 al 06/01.

Cordiali saluti
Dott. Walter Pesenti
Studio Pesenti Commercialisti Associati
Via XX Settembre 41, 24122 Bergamo
Tel. 035 24 88 10 - Fax 035 24 88 19
info@studiopesenti.it
""",
    gold="""
PER Marchetti
ORG Officine Valseriana S.r.l.
DATE 17/11/2025
MONEY EUR 6.412,00
ORG INPS
MONEY EUR 9.870,35
DATE 1 dicembre 2025
CODICE_FISCALE MRCFBA73E21A794H
MONEY 2.145 euro
DATE 16 dicembre 2025
ORG Comune di Albino
MONEY EUR 812,00
PER Irene Villa
CODICE_FISCALE VLLRNI96P54E507S
MONEY 690 euro
IBAN IT57E0306953420100000061728
DATE giovedì 13 novembre
DATE 24/12
DATE 06/01
PER Walter Pesenti
ORG Studio Pesenti Commercialisti Associati
LOC Via XX Settembre 41
LOC Bergamo
PHONE 035 24 88 10
PHONE 035 24 88 19
EMAIL info@studiopesenti.it
""",
    not_entities=("24122",),
    notes="'Via XX Settembre 41' is a street (LOC), not a date.",
))

# 23 - web agency quote, multipart/alternative, "+ IVA", URL, percentages
add(Mail(
    msgid="<20251112101933.GA8812@pixelorobico.it>",
    date="Wed, 12 Nov 2025 10:19:33 +0100",
    sender="Sonia Rota <sonia.rota@pixelorobico.it>",
    to="Ing. Cattaneo <direzione@cartieradelserio.it>",
    subject="Proposta nuovo sito web",
    fmt="alternative",
    cte="quoted-printable",
    body="""\
Buongiorno Ing. Cattaneo,

come da accordi telefonici di ieri, Le riepilogo la nostra proposta per il nuovo sito web di Cartiera del Serio S.p.A.:

1) Analisi e progettazione grafica: € 3.500,00 + IVA
2) Sviluppo sito multilingua (IT/EN/DE): € 8.200,00 + IVA
3) Manutenzione annuale: € 1.200,00 + IVA/anno
Sconto 10% sul totale se l'ordine viene confermato entro il 28/11/2025.

Tempi di consegna: 12 settimane, con messa online prevista per lunedì 2 marzo 2026.
Una demo del CMS è disponibile su https://demo.pixelorobico.it/cartiera (utente: demo, password: demo2025).

Per la firma del contratto possiamo vederci presso la vostra sede di Gorle oppure nel nostro ufficio in Via Camozzi 3, Bergamo.

Un saluto,
Sonia Rota
Account Manager - Pixel Orobico Web Agency S.r.l.s.
Mob. 392 114 5589
sonia.rota@pixelorobico.it
P.IVA 02877430179
""",
    gold="""
PER Cattaneo
ORG Cartiera del Serio S.p.A.
MONEY € 3.500,00
MONEY € 8.200,00
MONEY € 1.200,00
DATE 28/11/2025
DATE lunedì 2 marzo 2026
LOC Gorle
LOC Via Camozzi 3
LOC Bergamo
PER Sonia Rota
ORG Pixel Orobico Web Agency S.r.l.s.
PHONE 392 114 5589
EMAIL sonia.rota@pixelorobico.it
PARTITA_IVA 02877430179
""",
    not_entities=("https://demo.pixelorobico.it/cartiera", "10%"),
))

# 24 - bank: foreign transfers (FR, CH, DE IBANs; CHF), plain utf-8 base64
add(Mail(
    msgid="<CL.ESTERO.20251107.1730.88120@creditolariano.it>",
    date="Fri, 07 Nov 2025 17:30:02 +0100",
    sender="Credito Lariano - Ufficio Estero <estero.bergamo@creditolariano.it>",
    to="tesoreria@lanificio-orobico.it",
    subject="Movimenti esteri del 06/11/2025",
    cte="base64",
    body="""\
Gentile Cliente LANIFICIO OROBICO S.P.A.,

di seguito il riepilogo dei movimenti esteri del 06/11/2025 sul conto IT42 V020 0811 1040 0000 3345 127:

ACCREDITO - Ordinante: Filature du Rhône SARL, Lyon (FR)
IBAN ordinante: FR31 3000 3018 7000 0201 4578 A41
Importo: EUR 18.240,00 - Valuta 06/11/2025
Causale: INV 2025-0931 / 0932

ACCREDITO - Ordinante: Textilwerk Zürich AG
IBAN ordinante: CH3100230230912345601
Importo: CHF 5.300,00 controvalore EUR 5.688,42 (cambio 0,9317)
Commissioni: EUR 12,50

ADDEBITO - Beneficiario: Nordmetal GmbH, Rosenheim
IBAN beneficiario: DE85700202700015783421
Importo: EUR 8.490,00
Data esecuzione: 07/11/2025

Per informazioni contatti il Suo gestore, Dott. Enrico Bonfanti, al numero 035 399 2214 oppure scriva a estero.bergamo@creditolariano.it.

Credito Lariano S.p.A. - Sede legale Piazza Cavour 2, 22100 Como - P.IVA 02905170136
""",
    gold="""
ORG LANIFICIO OROBICO S.P.A.
DATE 06/11/2025
IBAN IT42 V020 0811 1040 0000 3345 127
ORG Filature du Rhône SARL
LOC Lyon
IBAN FR31 3000 3018 7000 0201 4578 A41
MONEY EUR 18.240,00
ORG Textilwerk Zürich AG
IBAN CH3100230230912345601
MONEY CHF 5.300,00
MONEY EUR 5.688,42
MONEY EUR 12,50
ORG Nordmetal GmbH
LOC Rosenheim
IBAN DE85700202700015783421
MONEY EUR 8.490,00
DATE 07/11/2025
PER Enrico Bonfanti
PHONE 035 399 2214
EMAIL estero.bergamo@creditolariano.it
ORG Credito Lariano S.p.A.
LOC Piazza Cavour 2
LOC Como
PARTITA_IVA 02905170136
""",
    not_entities=("INV 2025-0931", "0,9317", "22100"),
    notes="'(FR)' after Lyon is a country code in a postal line, treated like a province code.",
))

# 25 - lawyer to client: payment order; debtor's P.IVA with a wrong check digit
add(Mail(
    msgid="<7c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f@studioghilardi.it>",
    date="Thu, 06 Nov 2025 19:12:48 +0100",
    sender="Giacomo Ghilardi <g.ghilardi@studioghilardi.it>",
    to="Franco Gervasoni <franco@gervasoniarredamenti.it>",
    subject="Pratica Mobilificio Brianzolo - decreto ingiuntivo",
    cte="quoted-printable",
    body="""\
Caro Franco,

ti aggiorno sulla pratica contro MOBILIFICIO BRIANZOLO SRL (P.IVA 06811950235 come indicata nelle loro fatture; attenzione, il check digit non torna e la visura camerale riporta 06811950234).

Il Tribunale di Monza ha emesso il decreto ingiuntivo n. 3391/2025 in data 29 ottobre 2025, provvisoriamente esecutivo, per la somma di € 14.760,00 oltre interessi e spese legali liquidate in € 1.540,00.
Il decreto è stato notificato via PEC il 04/11/2025 all'indirizzo mobiliciobrianzolo@pec.it; la controparte ha 40 giorni per fare opposizione, quindi il termine scade domenica 14 dicembre 2025 (slitta a lunedì 15 dicembre).

Nel frattempo ho chiesto all'Avv. Sergio Previtali, che assiste il loro legale rappresentante Sig. Claudio Nava (C.F. NVACLD70B11F704W), se sono disposti a un piano di rientro in 6 rate da € 2.460,00.

Ti chiamo domani mattina.

Giacomo
--
Avv. Giacomo Ghilardi
Studio Legale Ghilardi
Via Sant'Alessandro 12, 24122 Bergamo
Tel. 035 21 45 67 | Cell. 333 700 2145
PEC giacomo.ghilardi@pec.ordineavvocatibergamo.it
""",
    gold="""
PER Franco
ORG MOBILIFICIO BRIANZOLO SRL
PARTITA_IVA! 06811950235
PARTITA_IVA 06811950234
ORG Tribunale di Monza
DATE 29 ottobre 2025
MONEY € 14.760,00
MONEY € 1.540,00
DATE 04/11/2025
EMAIL mobiliciobrianzolo@pec.it
DATE domenica 14 dicembre 2025
DATE lunedì 15 dicembre
PER Sergio Previtali
PER Claudio Nava
CODICE_FISCALE NVACLD70B11F704W
MONEY € 2.460,00
PER Giacomo
PER Giacomo Ghilardi
ORG Studio Legale Ghilardi
LOC Via Sant'Alessandro 12
LOC Bergamo
PHONE 035 21 45 67
PHONE 333 700 2145
EMAIL giacomo.ghilardi@pec.ordineavvocatibergamo.it
""",
    not_entities=("3391/2025", "24122"),
))

# 26 - ALL-CAPS customer complaint; UTF-8 bytes labelled iso-8859-1
add(Mail(
    msgid="<1762512345.88712.webmail@tiscali.it>",
    date="Fri, 07 Nov 2025 11:45:45 +0100",
    sender="GIUSEPPE SANTORO <giuseppe.santoro58@tiscali.it>",
    to="info@elettrodomesticilevante.it",
    subject="TERZO RECLAMO LAVATRICE!!!",
    charset="utf-8-as-iso-8859-1",
    cte="8bit",
    body="""\
BUONGIORNO,
SONO GIUSEPPE SANTORO, VI SCRIVO PER LA TERZA VOLTA PER LA LAVATRICE ACQUISTATA IL 12/09/2025 NEL VOSTRO NEGOZIO DI VIA ROMA 45 A MONOPOLI (SCONTRINO DA 649,00 EURO).
IL TECNICO DELLA ASSISTENZA TECNICA SUD SRL DOVEVA VENIRE MARTEDÌ 28 OTTOBRE E NON SI È PRESENTATO NESSUNO!!!
HO CHIAMATO IL VOSTRO NUMERO 080 552 1430 DECINE DI VOLTE, NESSUNO RISPONDE.
SE ENTRO IL 15/11 NON MI SOSTITUITE LA LAVATRICE MI RIVOLGO ALL'AVVOCATO E ALL'ADICONSUM.
IL MIO CELLULARE È 339-8812044, CODICE FISCALE SNTGPP58T31A662X PER LA PRATICA DI RESO.
GIUSEPPE SANTORO
VIA DE GIOSA 18
70121 BARI
""",
    gold="""
PER GIUSEPPE SANTORO
DATE 12/09/2025
LOC VIA ROMA 45
LOC MONOPOLI
MONEY 649,00 EURO
ORG ASSISTENZA TECNICA SUD SRL
DATE MARTEDÌ 28 OTTOBRE
PHONE 080 552 1430
DATE 15/11
ORG ADICONSUM
PHONE 339-8812044
CODICE_FISCALE SNTGPP58T31A662X
LOC VIA DE GIOSA 18
LOC BARI
""",
    not_entities=("70121",),
    notes="The part declares iso-8859-1 but the bytes are UTF-8 (the parser detects it and records a defect).",
))

# 27 - PEC envelope: condominium meeting notice (inner message utf-8 base64)
add(Mail(
    msgid="<opec210312.20251112180041.30114.12.1.61@pec.aruba.it>",
    date="Wed, 12 Nov 2025 18:00:41 +0100",
    sender="anna.mazzoleni@pec.it",
    to="ilaria.vitale@pec.it",
    subject="Convocazione assemblea straordinaria condominio Via Broseta 64",
    fmt="pec",
    cte="base64",
    pec={"inner_msgid": "<conv-broseta64-20251112@studiomazzoleni.it>",
         "inner_date": "Wed, 12 Nov 2025 18:00:22 +0100",
         "sender_name": "Studio Mazzoleni", "provider": "pec.aruba.it", "gestore": "ArubaPEC S.p.A."},
    body="""\
Ai Signori Condòmini
del Condominio di Via Broseta 64, Bergamo

Oggetto: convocazione assemblea straordinaria

L'assemblea straordinaria è convocata in prima convocazione per il giorno 27/11/2025 alle ore 7:00 e, occorrendo, in seconda convocazione per venerdì 28 novembre 2025 alle ore 20:45 presso la sala civica di Via Broseta 60.

Ordine del giorno:
1. Approvazione del preventivo della ditta Ferri Impianti S.r.l. per la sostituzione della centrale termica: € 68.400,00 + IVA 10%;
2. Nomina del consigliere Sig. Marco Zanchi in sostituzione della Sig.ra Ilaria Vitale;
3. Varie ed eventuali.

Per la sig.ra Vitale (C.F. VTLLRI82S51L219G) e per la sig.ra Chiara Brambilla (C.F. BRMCHR77H56F704H), nuove proprietarie dell'interno 7, si allega il riparto della quota straordinaria: 3.420 euro ciascuna, da versare sul c/c condominiale IT25W0889952900000000112408.

L'amministratore
Rag. Anna Mazzoleni
Studio Mazzoleni Amministrazioni Condominiali
Via Zambonate 9, 24122 Bergamo
Tel. 035 23 19 07
C.F. MZZNNA66P70A794K - P.IVA 03688240161
PEC: anna.mazzoleni@pec.it
""",
    gold="""
LOC Via Broseta 64
LOC Bergamo
DATE 27/11/2025
DATE venerdì 28 novembre 2025
LOC Via Broseta 60
ORG Ferri Impianti S.r.l.
MONEY € 68.400,00
PER Marco Zanchi
PER Ilaria Vitale
PER Vitale
CODICE_FISCALE VTLLRI82S51L219G
PER Chiara Brambilla
CODICE_FISCALE BRMCHR77H56F704H
MONEY 3.420 euro
IBAN IT25W0889952900000000112408
PER Anna Mazzoleni
ORG Studio Mazzoleni Amministrazioni Condominiali
LOC Via Zambonate 9
PHONE 035 23 19 07
CODICE_FISCALE MZZNNA66P70A794K
PARTITA_IVA 03688240161
EMAIL anna.mazzoleni@pec.it
""",
    not_entities=("24122", "10%"),
    notes="'Condominio di Via Broseta 64': the address is the LOC; 'sala civica' is generic.",
))

# 28 - trade-fair newsletter, HTML only, utf-8 quoted-printable, &nbsp; and URLs
add(Mail(
    msgid="<newsletter.2025-11.8812.matteo.barbieri@mail.aio-bergamo.it>",
    date="Thu, 13 Nov 2025 08:00:00 +0100",
    sender="Associazione Industriali Orobici <eventi@aio-bergamo.it>",
    to="m.barbieri@informaticapadana.it",
    subject="Invito ExpoMeccanica 2026 – cena di gala dei soci",
    fmt="html",
    cte="quoted-printable",
    body="""\
<html><head><meta charset="utf-8"><title>Invito</title></head><body>
<table width="600" align="center"><tr><td>
<h1>Invito a ExpoMeccanica&nbsp;2026</h1>
<p>Gentile Ing. Matteo&nbsp;Barbieri,</p>
<p>l'Associazione Industriali Orobici è lieta di invitarLa alla fiera <b>ExpoMeccanica 2026</b>, che si terrà da <b>mercoledì 4 marzo</b> a <b>sabato 7 marzo 2026</b> presso <b>Fiera Milano</b>, Rho.</p>
<p>Il nostro stand (Padiglione 13, Stand B21) ospiterà il convegno "Industria 5.0 e PMI" con la partecipazione della Prof.ssa Giulia Costa del Politecnico di Milano e del Dott. Hans Müller di VDMA.</p>
<p>Quota di partecipazione alla cena di gala: &euro;&nbsp;85,00 a persona (soci) / &euro;&nbsp;120,00 (non soci).</p>
<p>Registrazione: <a href="https://www.aio-bergamo.it/expomeccanica2026">www.aio-bergamo.it/expomeccanica2026</a> entro il 31/01/2026.<br>
Info: eventi@aio-bergamo.it &middot; Tel.&nbsp;035&nbsp;275&nbsp;111</p>
<p style="font-size:9px">Associazione Industriali Orobici &mdash; Via Camozzi 70, 24121 Bergamo &mdash; C.F. 80034560161. Ricevi questa e-mail perché sei iscritto alla newsletter. <a href="https://www.aio-bergamo.it/unsubscribe?u=8812">Cancellati</a></p>
</td></tr></table></body></html>
""",
    gold="""
PER Matteo Barbieri
ORG Associazione Industriali Orobici
DATE mercoledì 4 marzo
DATE sabato 7 marzo 2026
LOC Fiera Milano
LOC Rho
PER Giulia Costa
ORG Politecnico di Milano
PER Hans Müller
ORG VDMA
MONEY € 85,00
MONEY € 120,00
DATE 31/01/2026
EMAIL eventi@aio-bergamo.it
PHONE 035 275 111
LOC Via Camozzi 70
LOC Bergamo
PARTITA_IVA 80034560161
""",
    not_entities=("www.aio-bergamo.it/expomeccanica2026", "24121", "Padiglione 13", "B21"),
    notes="'Fiera Milano' is the venue here (LOC); 'ExpoMeccanica 2026' is an event, not an entity. "
          "HTML &nbsp; comes out of the converter as a plain space.",
))

# 29 - employee's new IBAN (check digits wrong), irregular grouping, 0039 prefix, iPhone footer
add(Mail(
    msgid="<E7A1B2C3-D4E5-4F60-8A9B-0C1D2E3F4A5B@icloud.com>",
    date="Sat, 08 Nov 2025 21:14:03 +0100",
    sender="Stefano Marino <stefano.marino83@icloud.com>",
    to="personale@logisticaadriatica.it",
    subject="cambio iban",
    cte="7bit",
    body="""\
Buongiorno ufficio personale,

vi comunico il mio nuovo iban per l'accredito dello stipendio a partire dalla busta paga di novembre:

IT54 D 03069 11166 100000012345

il vecchio conto (IT16X0503411102000000087760) lo chiudo il 30/11.

Intestatario: Stefano Marino
CF: MRNSFN83E17L219E
matricola 00417 - reparto Logistica

Per qualsiasi cosa il mio numero e' 0039 347 118 2093

Grazie mille
Stefano

Inviato da iPhone
""",
    gold="""
IBAN! IT54 D 03069 11166 100000012345
IBAN IT16X0503411102000000087760
DATE 30/11
PER Stefano Marino
CODICE_FISCALE MRNSFN83E17L219E
PHONE 0039 347 118 2093
PER Stefano
""",
    not_entities=("00417",),
    notes="The new IBAN is grouped CIN/ABI/CAB/account and its check digits are wrong (typo).",
))

# 30 - supplier master-data form: many look-alike codes (REA, SDI, ATECO, INAIL, INPS)
add(Mail(
    msgid="<20251104152201.3e4f5a6b@carminatipulizie.it>",
    date="Tue, 04 Nov 2025 15:22:01 +0100",
    sender="Daniela Carminati <amministrazione@carminatipulizie.it>",
    to="acquisti@lanificio-orobico.it",
    subject="Dati anagrafici per apertura fornitore",
    cte="quoted-printable",
    body="""\
Buongiorno,

come richiesto dal vostro Ufficio Acquisti vi trasmetto i dati per l'apertura dell'anagrafica fornitore:

Ragione sociale: Pulizie Carminati di Carminati Daniela
Forma giuridica: ditta individuale
Sede legale: Via San Bernardino 130, 24126 Bergamo (BG)
Sede operativa: Via Provinciale 5, 24040 Lallio (BG)
P.IVA: 04551020196
Codice fiscale: CRMDNL79H42A794F
REA: BG-455021
Codice destinatario SDI: KRRH6B9
PEC: carminatidaniela@pec.it
E-mail: amministrazione@carminatipulizie.it
Tel.: 035 19 90 221 - Fax: 035 19 90 222
Cell. referente: +39 333 845 1290 (Daniela)
Banca d'appoggio: Banca Popolare Orobica, ag. 14 Bergamo
IBAN: IT46U0103053340000000990017
Codice ATECO: 81.21.00
Posizione INAIL: 19887233/45
Matricola INPS: 1213447788
DURC valido fino al 12/02/2026.

Cordiali saluti
Daniela Carminati
""",
    gold="""
ORG Pulizie Carminati di Carminati Daniela
LOC Via San Bernardino 130
LOC Bergamo
LOC Via Provinciale 5
LOC Lallio
PARTITA_IVA! 04551020196
CODICE_FISCALE CRMDNL79H42A794F
EMAIL carminatidaniela@pec.it
EMAIL amministrazione@carminatipulizie.it
PHONE 035 19 90 221
PHONE 035 19 90 222
PHONE +39 333 845 1290
PER Daniela
ORG Banca Popolare Orobica
IBAN IT46U0103053340000000990017
ORG INAIL
ORG INPS
DATE 12/02/2026
PER Daniela Carminati
""",
    not_entities=("BG-455021", "KRRH6B9", "81.21.00", "19887233/45", "1213447788", "24126", "24040"),
    notes="The P.IVA has two digits swapped (check digit fails).",
))

# 31 - short cover note; the forwarded message is attached as message/rfc822 (not body text)
add(Mail(
    msgid="<CAB9xk2Wq7Rz3mP0nLs5tVd8yHc1e@mail.gmail.com>",
    date="Mon, 10 Nov 2025 14:02:29 +0100",
    sender="Fabio Marchetti <f.marchetti@officinevalseriana.it>",
    to="Walter Pesenti <info@studiopesenti.it>",
    subject="I: Order confirmation Nordmetal",
    fmt="fwd_attached",
    body="""\
Ciao Walter,
ti inoltro in allegato la mail di Nordmetal con la loro conferma d'ordine. Il bonifico di EUR 8.490,00 è partito il 07/11/2025 dal conto del Credito Lariano.
Mi fai sapere se per la fattura in reverse charge serve altro?
Grazie, Fabio Marchetti
Officine Valseriana S.r.l. - tel. 035 520 4411
""",
    attached=Mail(
        msgid="<20251107.OC-88213.4471@nordmetal-gmbh.de>",
        date="Fri, 07 Nov 2025 16:40:10 +0100",
        sender="Jonas Weber <j.weber@nordmetal-gmbh.de>",
        to="Fabio Marchetti <f.marchetti@officinevalseriana.it>",
        subject="Order confirmation OC-88213",
        body="""\
Dear Mr. Marchetti,

we confirm receipt of your payment of EUR 8,490.00 and your order OC-88213.
Dispatch from Rosenheim is scheduled for Monday, 24 November 2025.

Best regards,
Jonas Weber
Nordmetal GmbH
""",
        gold="",
        cte="7bit",
    ),
    gold="""
PER Walter
ORG Nordmetal
MONEY EUR 8.490,00
DATE 07/11/2025
ORG Credito Lariano
PER Fabio Marchetti
ORG Officine Valseriana S.r.l.
PHONE 035 520 4411
""",
    notes="The forwarded message is a message/rfc822 attachment: the parser lists it as an attachment and "
          "keeps it out of the body text, so its entities are not gold.",
))

# 32 - insurance claim: car models and plates are not entities; counterpart CF invalid
add(Mail(
    msgid="<9b8c7d6e5f4a.sinistro.20251103@lombardiserramenti.it>",
    date="Mon, 03 Nov 2025 18:26:50 +0100",
    sender="Paolo Lombardi <paolo.lombardi@lombardiserramenti.it>",
    to="sinistri@lariomutua.it",
    subject="Denuncia sinistro del 01/11/2025 - polizza 2025/RCA/0081123",
    cte="base64",
    body="""\
Spett.le Assicurazioni Lario Mutua,

con la presente denuncio il sinistro avvenuto sabato 1 novembre 2025 alle 19:15 a Lecco, in Corso Martiri della Liberazione 72.

Veicolo assicurato: Fiat Panda targata GH 482 TZ, polizza n. 2025/RCA/0081123, contraente e conducente Paolo Lombardi (C.F. LMBPLA62S20E507X), residente in Via Belvedere 14, Lecco.
Controparte: Marta Zanchi, conducente della Renault Clio targata FX 317 KP, assicurata con Compagnia Adriatica Assicurazioni; sul modulo CAI ha indicato il codice fiscale ZNCMRT88C61A794Q, che però il vostro sistema segnala come errato.

Il preventivo di riparazione della Carrozzeria Nava S.n.c. (Valmadrera) ammonta a € 2.870,00 IVA compresa; la carrozzeria è convenzionata e può essere pagata direttamente sull'IBAN IT13 U056 9652 5700 0000 0014 402.
Testimone: Sig. Franco Gervasoni, tel. 338 224 9017.

Allego foto, modulo CAI firmato da entrambi e verbale della Polizia Locale di Lecco.

Distinti saluti
Paolo Lombardi
Tel. 0341 36 54 21 - Cell. 335 808 1142
""",
    gold="""
ORG Assicurazioni Lario Mutua
DATE sabato 1 novembre 2025
LOC Lecco
LOC Corso Martiri della Liberazione 72
PER Paolo Lombardi
CODICE_FISCALE LMBPLA62S20E507X
LOC Via Belvedere 14
PER Marta Zanchi
ORG Compagnia Adriatica Assicurazioni
CODICE_FISCALE! ZNCMRT88C61A794Q
ORG Carrozzeria Nava S.n.c.
LOC Valmadrera
MONEY € 2.870,00
IBAN IT13 U056 9652 5700 0000 0014 402
PER Franco Gervasoni
PHONE 338 224 9017
ORG Polizia Locale di Lecco
PHONE 0341 36 54 21
PHONE 335 808 1142
""",
    not_entities=("GH 482 TZ", "FX 317 KP", "2025/RCA/0081123", "Fiat Panda", "Renault Clio"),
    notes="Car models are products (not ORG); plates and the policy number are not entities.",
))

# 33 - lease draft, plain iso-8859-1 base64; tenant's CF wrong (last letter)
add(Mail(
    msgid="<20251113094510.7781@immobiliareferrandi.it>",
    date="Thu, 13 Nov 2025 09:45:10 +0100",
    sender="Lucia Ferrandi <lucia@immobiliareferrandi.it>",
    to="Giulia Costa <giulia.costa95@gmail.com>",
    cc="emanuele.serra@tiscali.it",
    subject="Bozza contratto di locazione Via Garibaldi 23",
    charset="iso-8859-1",
    cte="base64",
    body="""\
Gentile Sig.ra Costa,

le invio la bozza del contratto di locazione 4+4 per l'appartamento di Via Garibaldi 23, Genova (int. 5, piano 3°), da registrare presso l'Agenzia delle Entrate entro 30 giorni dalla firma.

Parti:
Locatore: Emanuele Serra, nato a Cagliari il 07/07/1978, C.F. SRRMNL78L07B354S
Conduttrice: Giulia Costa, nata a Genova il 08/03/1995, C.F. CSTGLI95C48D969F

Canone mensile: 850,00 euro, da versare entro il giorno 5 di ogni mese sul conto del locatore IBAN IT13B0200810004000102938475
Deposito cauzionale: tre mensilità, pari a 2.550,00 euro
Decorrenza: 01/12/2025

La prego di verificare il suo codice fiscale: quello che mi ha mandato non passa il controllo del portale, forse l'ultima lettera è una E.

Firma prevista presso la nostra agenzia mercoledì 19 novembre alle 17:30.

Cordiali saluti
Lucia Ferrandi
Immobiliare Ferrandi & Co. - Via XX Settembre 140/R, 16121 Genova
Tel. 010 553 2290 - 010 553 2291 (fax)
P.IVA 02660180106 - www.immobiliareferrandi.it
""",
    gold="""
PER Costa
LOC Via Garibaldi 23
LOC Genova
ORG Agenzia delle Entrate
PER Emanuele Serra
LOC Cagliari
DATE 07/07/1978
CODICE_FISCALE SRRMNL78L07B354S
PER Giulia Costa
DATE 08/03/1995
CODICE_FISCALE! CSTGLI95C48D969F
MONEY 850,00 euro
IBAN IT13B0200810004000102938475
MONEY 2.550,00 euro
DATE 01/12/2025
DATE mercoledì 19 novembre
PER Lucia Ferrandi
ORG Immobiliare Ferrandi & Co.
LOC Via XX Settembre 140/R
PHONE 010 553 2290
PHONE 010 553 2291
PARTITA_IVA 02660180106
""",
    not_entities=("16121", "www.immobiliareferrandi.it", "4+4"),
))

# 34 - customs broker: EORI, container number, ship, USD amount, port
add(Mail(
    msgid="<SL-2025-4471.20251104154412@spedizionilabronica.it>",
    date="Tue, 04 Nov 2025 15:44:12 +0100",
    sender="Alberto Nesti <a.nesti@spedizionilabronica.it>",
    to="Matteo Barbieri <m.barbieri@informaticapadana.it>",
    subject="Sdoganamento container MSCU 482913-7",
    fmt="alternative",
    cte="quoted-printable",
    body="""\
Buongiorno Sig. Barbieri,

il container MSCU 482913-7 con la vostra merce (fattura Shenzhen Brightway Electronics Co., Ltd. n. SB-2025-1187 per USD 23,400.00) è arrivato al porto di Livorno sulla nave MSC Aurora il 03/11/2025.

Per lo sdoganamento l'Agenzia delle Dogane e dei Monopoli ha disposto il controllo documentale: ci serve la conferma del vostro codice EORI IT03055670289 e la dichiarazione di origine preferenziale.

Diritti doganali stimati: € 960,00; IVA all'importazione: € 5.357,00; nostre competenze: 180 euro + IVA.
Vi preghiamo di effettuare il pagamento entro lunedì 10 novembre 2025 sul conto IT20 Y084 4022 9000 0000 0067 123 intestato a Spedizioni Labronica S.r.l.

La consegna a Padova potrà avvenire giovedì 13/11 con il nostro partner Autotrasporti Gallo.

Saluti
Alberto Nesti
Spedizioni Labronica S.r.l. - Casa di spedizioni doganali
Scali d'Azeglio 38, 57123 Livorno
Tel. +39 0586 88 41 20 - Fax +39 0586 88 41 29
P.IVA 01277580013
""",
    gold="""
PER Barbieri
ORG Shenzhen Brightway Electronics Co., Ltd.
MONEY USD 23,400.00
LOC Livorno
DATE 03/11/2025
ORG Agenzia delle Dogane e dei Monopoli
MONEY € 960,00
MONEY € 5.357,00
MONEY 180 euro
DATE lunedì 10 novembre 2025
IBAN IT20 Y084 4022 9000 0000 0067 123
ORG Spedizioni Labronica S.r.l.
LOC Padova
DATE giovedì 13/11
ORG Autotrasporti Gallo
PER Alberto Nesti
LOC Scali d'Azeglio 38
PHONE +39 0586 88 41 20
PHONE +39 0586 88 41 29
PARTITA_IVA 01277580013
""",
    not_entities=("MSCU 482913-7", "SB-2025-1187", "IT03055670289", "MSC Aurora", "57123"),
    notes="'codice EORI IT03055670289' is an EORI number (IT + the company's P.IVA) and the guidelines exclude "
          "EORI: not PARTITA_IVA here. 'MSC Aurora' is a ship. 'porto di Livorno' -> Livorno.",
))

# 35 - short reply from a phone, 0039 prefix, 02-... format, ungrouped mobile
add(Mail(
    msgid="<CAN4pQ7vXz2Lk8Rt1mWs6yBd0uGe@mail.gmail.com>",
    date="Fri, 07 Nov 2025 08:40:16 +0100",
    sender="Hans Keller <hans.keller@kellerautomation.ch>",
    to="Riccardo Bellini <riccardo.bellini@informaticapadana.it>",
    subject="Re: Riunione 17 novembre",
    fmt="alternative",
    cte="quoted-printable",
    body="""\
Ok, ci vediamo lì. Se faccio tardi ti chiamo al fisso 02-4851 2207 oppure scrivimi su WhatsApp al 0039 335 718 2290.

Hans

Il giorno ven 7 nov 2025 alle ore 08:12 Riccardo Bellini <riccardo.bellini@informaticapadana.it> ha scritto:

> Ciao Hans, confermo la riunione di lunedì 17 novembre a Milano, in Via Tortona 31 presso il nostro showroom, ore 10:30.
> Il parcheggio più vicino è in Via Savona 12.
> Mio cellulare: 3401187765
> Riccardo
""",
    gold="""
PHONE 02-4851 2207
PHONE 0039 335 718 2290
PER Hans
DATE ven 7 nov 2025
PER Riccardo Bellini
EMAIL riccardo.bellini@informaticapadana.it
DATE lunedì 17 novembre
LOC Milano
LOC Via Tortona 31
LOC Via Savona 12
PHONE 3401187765
PER Riccardo
""",
))

# 36 - utility bill, HTML only, utf-8 quoted-printable; masked IBAN and POD code
add(Mail(
    msgid="<bolletta.2025E00931872@comunicazioni.energiaorobica.it>",
    date="Sat, 08 Nov 2025 06:12:00 +0100",
    sender="Energia Orobica <bollette@comunicazioni.energiaorobica.it>",
    to="fabio.marchetti73@gmail.com",
    subject="La tua bolletta n. 2025/E/00931872 è disponibile",
    fmt="html",
    cte="quoted-printable",
    body="""\
<html><body>
<div style="max-width:640px">
<p>Gentile <b>MARCHETTI FABIO</b>,</p>
<p>è disponibile la bolletta n. 2025/E/00931872 relativa alla fornitura di energia elettrica per il periodo 01/09/2025&nbsp;-&nbsp;31/10/2025.</p>
<table>
<tr><td>Importo da pagare</td><td><b>128,47&nbsp;&euro;</b></td></tr>
<tr><td>Scadenza</td><td><b>25/11/2025</b></td></tr>
<tr><td>Codice POD</td><td>IT001E12345678</td></tr>
<tr><td>Indirizzo fornitura</td><td>Via Lungo Serio 21, 24027 Nembro BG</td></tr>
<tr><td>Modalità di pagamento</td><td>Addebito SEPA su IBAN IT** **** **** **** **** ***4 567</td></tr>
</table>
<p>Consumo del periodo: 412 kWh. Rispetto allo stesso periodo del 2024 hai consumato il 7% in meno.</p>
<p>Per pagare con bonifico: IBAN <b>IT38V0542811102000000301944</b> intestato a Energia Orobica S.p.A., causale "Bolletta 2025/E/00931872".</p>
<p>Servizio Clienti: 800&nbsp;900&nbsp;127 (gratuito da rete fissa) oppure 035&nbsp;399&nbsp;8000 da cellulare &ndash; clienti@energiaorobica.it</p>
<p style="color:#888;font-size:10px">Energia Orobica S.p.A. &ndash; Società soggetta a direzione e coordinamento di Orobica Holding S.p.A. &ndash; Via Suardi 26, 24124 Bergamo &ndash; P.IVA 03912760166</p>
</div></body></html>
""",
    gold="""
PER MARCHETTI FABIO
DATE 01/09/2025
DATE 31/10/2025
MONEY 128,47 €
DATE 25/11/2025
LOC Via Lungo Serio 21
LOC Nembro
IBAN IT38V0542811102000000301944
ORG Energia Orobica S.p.A.
PHONE 800 900 127
PHONE 035 399 8000
EMAIL clienti@energiaorobica.it
ORG Orobica Holding S.p.A.
LOC Via Suardi 26
LOC Bergamo
PARTITA_IVA 03912760166
""",
    not_entities=("2025/E/00931872", "IT001E12345678", "IT** **** **** **** **** ***4 567", "24027", "24124", "7%"),
    notes="A masked IBAN is not an IBAN; the POD supply code is not an identifier of this schema.",
))

# 37 - HR: medical check-up calendar, plain utf-8 8bit
add(Mail(
    msgid="<20251110112233.HR.1190@lanificio-orobico.it>",
    date="Mon, 10 Nov 2025 11:22:33 +0100",
    sender="Ufficio Personale <personale@lanificio-orobico.it>",
    to="tutti@lanificio-orobico.it",
    subject="Calendario visite mediche periodiche",
    body="""\
Buongiorno a tutti,

vi comunico il calendario delle visite mediche periodiche con il medico competente, Dott. Ettore Brivio, presso l'ambulatorio del Centro Medico Lavoro Sicuro, Via Carducci 20, Dalmine:

- martedì 18 novembre: reparto Produzione (turno A), dalle 8:30 alle 12:00
- mercoledì 19/11: reparto Magazzino e Spedizioni
- 25/11/2025: uffici (Amministrazione, Acquisti, Commerciale)

Chi non può presentarsi deve avvisare entro venerdì 14 novembre Silvia Moretti (int. 218, s.moretti@lanificio-orobico.it).
Per i neoassunti serve la copia del codice fiscale: mancano ancora quelle di Luca Giordano (GRDLCU87B14L781R) e Beatrice Galli (GLLBRC94H46F205V).

Il costo della visita extra per chi la salta senza preavviso è di 65 euro, trattenuto in busta paga.

Grazie,
Ufficio Personale
Lanificio Orobico S.p.A.
""",
    gold="""
PER Ettore Brivio
ORG Centro Medico Lavoro Sicuro
LOC Via Carducci 20
LOC Dalmine
DATE martedì 18 novembre
DATE mercoledì 19/11
DATE 25/11/2025
DATE venerdì 14 novembre
PER Silvia Moretti
EMAIL s.moretti@lanificio-orobico.it
PER Luca Giordano
CODICE_FISCALE GRDLCU87B14L781R
PER Beatrice Galli
CODICE_FISCALE GLLBRC94H46F205V
MONEY 65 euro
ORG Lanificio Orobico S.p.A.
""",
    notes="Departments (Produzione, Magazzino, Amministrazione...) are internal offices, not ORG.",
))

# 38 - research contract: numeric CF and P.IVA of a consortium, researcher's CF
add(Mail(
    msgid="<CRML.2025.0451.20251111@crml-consorzio.it>",
    date="Tue, 11 Nov 2025 13:37:21 +0100",
    sender="Marta Zanchi <amministrazione@crml-consorzio.it>",
    to="Fabio Marchetti <f.marchetti@officinevalseriana.it>",
    subject="Convenzione di ricerca - prima tranche",
    fmt="alternative",
    cte="quoted-printable",
    body="""\
Gentile Ing. Marchetti,

in riferimento alla convenzione di ricerca tra il Politecnico di Milano, il nostro Consorzio e Officine Valseriana S.r.l. (P.IVA 01566120133), Le confermo che la prima tranche del contributo, pari a € 15.000,00 (esente IVA ex art. 10), è da versare entro il 31 gennaio 2026.

Il progetto sarà seguito dal Prof. Ettore Brivio come responsabile scientifico e dalla Dott.ssa Giorgia Mapelli (C.F. MPLGRG01D58A794V), assegnista di ricerca, che sarà presso il vostro stabilimento di Nembro due giorni a settimana a partire da lunedì 12 gennaio 2026.

Coordinate per il pagamento:
Consorzio Ricerca Meccanica Lombarda
C.F. 95018760975 - P.IVA 06098730150
IBAN IT57 M031 1122 9100 0000 0045 562

Cordiali saluti
Marta Zanchi
Segreteria amministrativa
Consorzio Ricerca Meccanica Lombarda
Via Durando 10, 20158 Milano
Tel. 02 3663 1180 - amministrazione@crml-consorzio.it
""",
    gold="""
PER Marchetti
ORG Politecnico di Milano
ORG Officine Valseriana S.r.l.
PARTITA_IVA 01566120133
MONEY € 15.000,00
DATE 31 gennaio 2026
PER Ettore Brivio
PER Giorgia Mapelli
CODICE_FISCALE MPLGRG01D58A794V
LOC Nembro
DATE lunedì 12 gennaio 2026
ORG Consorzio Ricerca Meccanica Lombarda
PARTITA_IVA 95018760975
PARTITA_IVA 06098730150
IBAN IT57 M031 1122 9100 0000 0045 562
PER Marta Zanchi
LOC Via Durando 10
LOC Milano
PHONE 02 3663 1180
EMAIL amministrazione@crml-consorzio.it
""",
    not_entities=("20158",),
    notes="The consortium's numeric C.F. 95018760975 is PARTITA_IVA by the guidelines.",
))

# 39 - English reminder below an English reply ("-----Original Message-----"), French IBAN
add(Mail(
    msgid="<DB9PR08MB6712F0E1D2C3B4A59687@DB9PR08MB6712.eurprd08.prod.outlook.com>",
    date="Fri, 07 Nov 2025 10:05:44 +0100",
    sender="Fabio Marchetti <f.marchetti@officinevalseriana.it>",
    to="Claire Dubois <c.dubois@filaturedurhone.fr>",
    cc="comptabilite@filaturedurhone.fr",
    subject="RE: Overdue invoice FR-2025-00871",
    cte="quoted-printable",
    body="""\
Dear Claire,

apologies for the delay. The payment of EUR 4,312.80 for invoice FR-2025-00871 was released today from our account at Banca Popolare Orobica; value date Mon, 10 Nov 2025. You will find the remittance advice attached.

Please note our new address for correspondence: Via Lungo Serio 7, 24027 Nembro (BG), Italy.

Best regards,
Fabio Marchetti
Officine Valseriana S.r.l.
Tel. +39 035 520 4411 - Fax +39 035 520 4499

-----Original Message-----
From: Claire Dubois <c.dubois@filaturedurhone.fr>
Sent: Thursday, November 6, 2025 3:41 PM
To: Fabio Marchetti <f.marchetti@officinevalseriana.it>
Cc: comptabilite@filaturedurhone.fr
Subject: Overdue invoice FR-2025-00871

Dear Mr Marchetti,

Our records show that invoice FR-2025-00871 dated 15/09/2025, amounting to EUR 4,312.80, is now 22 days overdue. Kindly arrange payment to our account with Banque du Rhône (Lyon), IBAN FR31 3000 3018 7000 0201 4578 A41, BIC BRHOFRPPXXX.

If payment has already been made, please disregard this reminder.

Kind regards,
Claire Dubois
Credit Controller
Filature du Rhône SARL
12 quai Perrache, 69002 Lyon, France
Tel. +33 4 78 92 41 10
""",
    gold="""
PER Claire
MONEY EUR 4,312.80
ORG Banca Popolare Orobica
DATE Mon, 10 Nov 2025
LOC Via Lungo Serio 7
LOC Nembro
LOC Italy
PER Fabio Marchetti
ORG Officine Valseriana S.r.l.
PHONE +39 035 520 4411
PHONE +39 035 520 4499
PER Claire Dubois
EMAIL c.dubois@filaturedurhone.fr
DATE Thursday, November 6, 2025
EMAIL f.marchetti@officinevalseriana.it
EMAIL comptabilite@filaturedurhone.fr
PER Marchetti
DATE 15/09/2025
ORG Banque du Rhône
LOC Lyon
IBAN FR31 3000 3018 7000 0201 4578 A41
ORG Filature du Rhône SARL
LOC 12 quai Perrache
LOC France
PHONE +33 4 78 92 41 10
""",
    not_entities=("FR-2025-00871", "BRHOFRPPXXX", "24027", "69002"),
))

# 40 - business travel: airports, hotel, e-ticket PDF attached
add(Mail(
    msgid="<VO-2025-11-8841.1762860000@viaggiorobici.it>",
    date="Tue, 11 Nov 2025 12:40:00 +0100",
    sender="Paola Cortinovis <business@viaggiorobici.it>",
    to="Laura Bianchi <l.bianchi@lanificio-orobico.it>",
    subject="Trasferta Francoforte 24-27 novembre - biglietti",
    fmt="pdf",
    cte="quoted-printable",
    body="""\
Gentile Dott.ssa Bianchi,

ecco il riepilogo della trasferta per la fiera di Francoforte:

Volo di andata: lunedì 24 novembre 2025, Bergamo Orio al Serio (BGY) 07:05 → Francoforte (FRA) 08:35, codice prenotazione K7TQ2M
Volo di ritorno: 27/11/2025, Francoforte 19:40 → Milano Malpensa (MXP) 21:00
Tariffa: € 312,40 tasse incluse, bagaglio in stiva 2x23 kg

Hotel: Hotel Mainufer Frankfurt, Kaiserstraße 14, 3 notti, EUR 189,00 a notte, pagamento in hotel.
Al rientro a Malpensa è previsto il transfer di NCC Lombardi (autista Sig. Kevin Gamba, 347 990 1284).

In allegato i biglietti elettronici. Per modifiche o emergenze durante il viaggio contatti la nostra agenzia al numero +39 035 423 0909 (attivo 24h) o scriva a business@viaggiorobici.it.

Buon viaggio,
Paola Cortinovis
Viaggi Orobici S.r.l. - Agenzia Business Travel
Viale Papa Giovanni XXIII 106, 24121 Bergamo
P.IVA 05443780373
""",
    gold="""
PER Bianchi
LOC Francoforte
DATE lunedì 24 novembre 2025
LOC Bergamo Orio al Serio
DATE 27/11/2025
LOC Milano Malpensa
MONEY € 312,40
ORG Hotel Mainufer Frankfurt
LOC Kaiserstraße 14
MONEY EUR 189,00
LOC Malpensa
ORG NCC Lombardi
PER Kevin Gamba
PHONE 347 990 1284
PHONE +39 035 423 0909
EMAIL business@viaggiorobici.it
PER Paola Cortinovis
ORG Viaggi Orobici S.r.l.
LOC Viale Papa Giovanni XXIII 106
LOC Bergamo
PARTITA_IVA 05443780373
""",
    not_entities=("K7TQ2M", "BGY", "FRA", "MXP", "24121", "2x23 kg"),
    notes="Airports are LOC as written ('Bergamo Orio al Serio', 'Milano Malpensa'); IATA codes are not annotated.",
))

# 41 - refund bounced: an IBAN with wrong check digits, in the reply and in the quote
add(Mail(
    msgid="<CS-34102.20251104.0910@alimentarisantoro.it>",
    date="Tue, 04 Nov 2025 09:10:27 +0100",
    sender="Alimentari Santoro - Servizio Clienti <assistenza@alimentarisantoro.it>",
    to="Valentina Rizzo <vale.rizzo91@libero.it>",
    subject="Re: Rimborso ordine WEB-2025-34102",
    body="""\
Buongiorno Sig.ra Rizzo,

il bonifico di rimborso di € 245,00 ci è tornato indietro: l'IBAN che ci ha comunicato (IT46 Q030 6909 6061 0000 0300 071) risulta inesistente. Probabilmente c'è un errore di battitura nelle cifre di controllo.
Può verificare e rispondere a questa e-mail con l'IBAN corretto?

Grazie
Servizio Clienti Alimentari Santoro
assistenza@alimentarisantoro.it - 080 552 1400

Il giorno dom 2 nov 2025 alle 21:17 Valentina Rizzo <vale.rizzo91@libero.it> ha scritto:
> Buonasera, come da vostra richiesta vi mando l'IBAN per il rimborso dell'ordine WEB-2025-34102:
> IT46 Q030 6909 6061 0000 0300 071
> intestato a Valentina Rizzo, C.F. RZZVNT91L41C351E
> Cordiali saluti
""",
    gold="""
PER Rizzo
MONEY € 245,00
IBAN! IT46 Q030 6909 6061 0000 0300 071
ORG Alimentari Santoro
EMAIL assistenza@alimentarisantoro.it
PHONE 080 552 1400
DATE dom 2 nov 2025
PER Valentina Rizzo
EMAIL vale.rizzo91@libero.it
CODICE_FISCALE RZZVNT91L41C351E
""",
    not_entities=("WEB-2025-34102",),
))

# 42 - donation receipt, HTML only, iso-8859-1 quoted-printable (&euro; entities)
add(Mail(
    msgid="<ricevuta.2025.0871@maniaperte-odv.it>",
    date="Sat, 01 Nov 2025 10:00:00 +0100",
    sender="Associazione Mani Aperte <info@maniaperte-odv.it>",
    to="roberta.pagani@fastwebnet.it",
    subject="Grazie per la tua donazione",
    fmt="html",
    charset="iso-8859-1",
    cte="quoted-printable",
    body="""\
<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"></head><body>
<p>Cara Roberta,</p>
<p>grazie di cuore per la tua donazione di <b>&euro; 150,00</b> del 28/10/2025 a favore del progetto "Doposcuola Aperto".</p>
<p>Ti ricordiamo che le erogazioni liberali agli ETS sono detraibili al 30% (art. 83 D.Lgs. 117/2017). Questa e-mail vale come ricevuta:</p>
<p>Donatore: Roberta Pagani<br>
Codice fiscale: PGNRRT71T52F205I<br>
Importo: 150,00 euro<br>
Metodo: bonifico dal conto IT29W0503422901000000731150<br>
Data accredito: 30/10/2025</p>
<p>Beneficiario: Associazione Mani Aperte ODV ETS - Via Gleno 2, 24125 Bergamo - C.F. 95034180166</p>
<p>Per la dichiarazione precompilata comunicheremo la donazione all'Agenzia delle Entrate entro il 16 marzo 2026.</p>
<p>Un abbraccio,<br>Sonia, per lo staff di Mani Aperte<br>Tel. 035 21 09 88 &ndash; info@maniaperte-odv.it</p>
</body></html>
""",
    gold="""
PER Roberta
MONEY € 150,00
DATE 28/10/2025
PER Roberta Pagani
CODICE_FISCALE PGNRRT71T52F205I
MONEY 150,00 euro
IBAN IT29W0503422901000000731150
DATE 30/10/2025
ORG Associazione Mani Aperte ODV ETS
LOC Via Gleno 2
LOC Bergamo
PARTITA_IVA 95034180166
ORG Agenzia delle Entrate
DATE 16 marzo 2026
PER Sonia
ORG Mani Aperte
PHONE 035 21 09 88
EMAIL info@maniaperte-odv.it
""",
    not_entities=("24125", "30%", "117/2017"),
    notes="The association's numeric C.F. is PARTITA_IVA by the guidelines; 'ETS' alone is a legal category.",
))

# 43 - public tender invitation: CIG/CUP codes, RUP, treasury IBAN
add(Mail(
    msgid="<gara.2025.LP.0188@comune.lecco.it>",
    date="Wed, 12 Nov 2025 12:30:00 +0100",
    sender="Comune di Lecco - Lavori Pubblici <lavoripubblici@comune.lecco.it>",
    to="preventivi@edillario.it",
    subject="Invito a procedura negoziata - manutenzione scuola primaria Via Ghislanzoni",
    cte="quoted-printable",
    body="""\
Spett.le operatore economico,

il Comune di Lecco – Settore Lavori Pubblici invita codesta impresa a presentare offerta per l'affidamento dei lavori di manutenzione straordinaria della scuola primaria di Via Ghislanzoni 50 (CIG B4A1C2D3E4 – CUP E81B25000120004).

Importo a base d'asta: € 186.500,00, di cui € 6.200,00 per oneri della sicurezza non soggetti a ribasso.
Termine per la presentazione delle offerte: ore 12:00 del 01/12/2025, esclusivamente tramite la piattaforma Sintel di ARIA S.p.A.
Il sopralluogo obbligatorio si terrà martedì 18 novembre 2025 alle 10:00; referente: Geom. Mauro Valsecchi, tel. 0341 481 250, cell. 320 551 7730.

La garanzia provvisoria (2% dell'importo, pari a € 3.730,00) può essere costituita anche mediante bonifico sul conto di tesoreria IBAN IT14N0100511100000000218841.

Il RUP
Ing. Paolo Invernizzi
Comune di Lecco - Piazza Diaz 1, 23900 Lecco
C.F. 80004120970 - lavoripubblici@comune.lecco.it
""",
    gold="""
ORG Comune di Lecco
LOC Via Ghislanzoni 50
MONEY € 186.500,00
MONEY € 6.200,00
DATE 01/12/2025
ORG ARIA S.p.A.
DATE martedì 18 novembre 2025
PER Mauro Valsecchi
PHONE 0341 481 250
PHONE 320 551 7730
MONEY € 3.730,00
IBAN IT14N0100511100000000218841
PER Paolo Invernizzi
LOC Piazza Diaz 1
LOC Lecco
PARTITA_IVA 80004120970
EMAIL lavoripubblici@comune.lecco.it
""",
    not_entities=("B4A1C2D3E4", "E81B25000120004", "23900", "2%"),
    notes="'Sintel' is a software platform (not ORG); 'Settore Lavori Pubblici' is an internal office.",
))

# 44 - multipart/alternative whose plain part is blank: the HTML (with an Outlook header block) is the body
add(Mail(
    msgid="<PR3P195MB0712AB34CD56EF78@PR3P195MB0712.EURP195.PROD.OUTLOOK.COM>",
    date="Thu, 13 Nov 2025 07:58:30 +0100",
    sender="Walter Crippa <w.crippa@studiocrippa.eu>",
    to="Ilaria Vitale <i.vitale@edillario.it>",
    subject="R: Sopralluogo Treviglio",
    fmt="alt_empty_plain",
    cte="base64",
    body="""\
<html><body>
<div>Ciao Ilaria,<br>ti confermo il sopralluogo in cantiere a Treviglio per <b>giovedì 20/11</b> alle 9. Porta il DURC e la visura di Edil Lario S.n.c.<br><br>Walter</div>
<div>Walter Crippa<br>Direttore Lavori<br>Cell. +39 349 662 0193</div>
<hr>
<div><b>Da:</b> Ilaria Vitale &lt;i.vitale@edillario.it&gt;<br><b>Inviato:</b> mercoledì 12 novembre 2025 18:22<br><b>A:</b> Walter Crippa &lt;w.crippa@studiocrippa.eu&gt;<br><b>Oggetto:</b> Sopralluogo Treviglio</div>
<div>Buonasera Geom. Crippa, quando possiamo fare il sopralluogo? Io sono libera da lunedì 17 in poi.<br>Ilaria Vitale - Edil Lario S.n.c. - 0341 58 31 22</div>
</body></html>
""",
    gold="""
PER Ilaria
LOC Treviglio
DATE giovedì 20/11
ORG Edil Lario S.n.c.
PER Walter
PER Walter Crippa
PHONE +39 349 662 0193
PER Ilaria Vitale
EMAIL i.vitale@edillario.it
DATE mercoledì 12 novembre 2025
EMAIL w.crippa@studiocrippa.eu
PER Crippa
DATE lunedì 17
PHONE 0341 58 31 22
""",
    notes="'lunedì 17' is an explicit day reference with its weekday: DATE.",
))

# 45 - PEC delivery receipt, short form (no postacert.eml): the notice is the body
add(Mail(
    msgid="<opec210312.20251111093309.22871.80.1.53@pec.aruba.it>",
    date="Tue, 11 Nov 2025 09:33:09 +0100",
    sender="posta-certificata@pec.aruba.it",
    to="commerciale@pec.informaticapadana.it",
    subject="CONSEGNA: Rinnovo contratto di assistenza CA-2023-0451",
    fmt="receipt",
    charset="iso-8859-1",
    cte="quoted-printable",
    pec={"ricevuta": "avvenuta-consegna", "ref": "<rinnovo-CA-2023-0451.20251111093251@informaticapadana.it>",
         "gestore": "ArubaPEC S.p.A.", "provider": "pec.aruba.it", "tipo": "sintetica"},
    body="""\
Ricevuta di avvenuta consegna

Il giorno 11/11/2025 alle ore 09:33:09 (+0100) il messaggio
"Rinnovo contratto di assistenza CA-2023-0451" proveniente da "commerciale@pec.informaticapadana.it"
ed indirizzato a "studioferraracaruso@pec.it"
è stato consegnato nella casella di destinazione.
Identificativo messaggio: opec210312.20251111093307.22871.77.1.53@pec.aruba.it

Ricevuta di consegna sintetica: il messaggio originale non è allegato.
""",
    gold="""
DATE 11/11/2025
EMAIL commerciale@pec.informaticapadana.it
EMAIL studioferraracaruso@pec.it
""",
    not_entities=("opec210312.20251111093307.22871.77.1.53@pec.aruba.it", "CA-2023-0451"),
    notes="The PEC message identifier after 'Identificativo messaggio:' looks like an address but is not one.",
))


# ---------------------------------------------------------------------------------------------
# MIME building


class Boundaries:
    """Fixed, unique MIME boundaries per message (the generator would otherwise pick random ones)."""

    def __init__(self, n: int) -> None:
        self.n, self.i = n, 0

    def __call__(self) -> str:
        self.i += 1
        return f"----=_Part_{self.n:02d}_{self.i}_gold.{1762000000 + 97 * self.n + self.i}"


def _encode_text(text: str, charset: str) -> tuple[bytes, str]:
    """Body bytes and the charset label to declare."""
    if charset == "windows-1252-as-iso-8859-1":
        return text.encode("cp1252"), "iso-8859-1"
    if charset == "utf-8-as-iso-8859-1":
        return text.encode("utf-8"), "iso-8859-1"
    return text.encode(charset), charset


def _fill_text(part: MIMEPart, text: str, subtype: str, charset: str, cte: str) -> None:
    data, label = _encode_text(text, charset)
    part["Content-Type"] = f'text/{subtype}; charset="{label}"'
    part["Content-Transfer-Encoding"] = cte
    if cte == "quoted-printable":
        payload = quopri.encodestring(data).decode("ascii")
    elif cte == "base64":
        payload = base64.encodebytes(data).decode("ascii")
    elif cte == "7bit":
        payload = data.decode("ascii")
    else:
        payload = data.decode("ascii", "surrogateescape")
    part.set_payload(payload)


def text_part(text: str, subtype: str = "plain", charset: str = "utf-8", cte: str = "8bit") -> MIMEPart:
    part = MIMEPart(policy=POLICY)
    _fill_text(part, text, subtype, charset, cte)
    return part


def binary_part(data: bytes, ctype: str, filename: str, disposition: str = "attachment") -> MIMEPart:
    part = MIMEPart(policy=POLICY)
    part["Content-Type"] = f'{ctype}; name="{filename}"'
    part["Content-Transfer-Encoding"] = "base64"
    part["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    part.set_payload(base64.encodebytes(data).decode("ascii"))
    return part


def message_part(inner: EmailMessage, filename: str, disposition: str = "attachment") -> MIMEPart:
    part = MIMEPart(policy=POLICY)
    part["Content-Type"] = f'message/rfc822; name="{filename}"'
    part["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    part.set_payload([inner])
    return part


def multipart(target: MIMEPart, subtype: str, parts: list[MIMEPart], boundary: str, extra: str = "",
              preamble: str | None = None) -> MIMEPart:
    target["Content-Type"] = f'multipart/{subtype};{extra} boundary="{boundary}"'
    target.set_payload(parts)
    if preamble is not None:
        target.preamble = preamble
    return target


def html_of(text: str) -> str:
    """A simple HTML rendering of a plain body (the HTML alternative of multipart/alternative)."""
    paras = []
    for para in text.strip("\n").split("\n\n"):
        lines = [html.escape(line) for line in para.split("\n")]
        paras.append("<p>" + "<br>\n".join(lines) + "</p>")
    return ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head>\n'
            '<body style="font-family:Calibri,Arial,sans-serif">\n' + "\n".join(paras) + "\n</body></html>\n")


def fake_pdf(title: str) -> bytes:
    """A tiny, valid-looking PDF (fixed bytes for a given title)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({title}) Tj ET".encode("latin-1")
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
         b"/Resources << /Font << /F1 5 0 R >> >> >>"),
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


FAKE_P7S = bytes(range(48, 123)) * 6
"""Stands in for the S/MIME signature of PEC envelopes and receipts (fixed bytes)."""


def _address(value: str) -> str:
    return getaddresses([value])[0][1]


def _headers(msg: EmailMessage, mail: Mail, *, subject: str | None = None, sender: str | None = None) -> None:
    msg["Date"] = mail.date
    msg["From"] = sender or mail.sender
    msg["To"] = mail.to
    if mail.cc:
        msg["Cc"] = mail.cc
    msg["Subject"] = subject or mail.subject
    msg["Message-ID"] = mail.msgid
    for name, value in mail.extra_headers:
        msg[name] = value
    msg["MIME-Version"] = "1.0"


def _content(target: MIMEPart, mail: Mail, fmt: str, b: Boundaries) -> None:
    """Fill ``target`` with the body of ``mail`` in format ``fmt`` (no PEC)."""
    if fmt == "plain":
        _fill_text(target, mail.body, "plain", mail.charset, mail.cte)
    elif fmt == "html":
        _fill_text(target, mail.body, "html", mail.charset, mail.cte)
    elif fmt == "alternative":
        multipart(target, "alternative", [
            text_part(mail.body, "plain", mail.charset, mail.cte),
            text_part(html_of(mail.body), "html", mail.charset, mail.cte),
        ], b())
    elif fmt == "alt_empty_plain":
        multipart(target, "alternative", [
            text_part("\n", "plain", mail.charset, "7bit"),
            text_part(mail.body, "html", mail.charset, mail.cte),
        ], b())
    elif fmt == "pdf":
        name = re.sub(r"[^A-Za-z0-9]+", "_", mail.subject).strip("_")[:40] + ".pdf"
        multipart(target, "mixed", [
            text_part(mail.body, "plain", mail.charset, mail.cte),
            binary_part(fake_pdf(mail.subject.encode("ascii", "replace").decode()), "application/pdf", name),
        ], b())
    elif fmt == "fwd_attached":
        assert mail.attached is not None
        multipart(target, "mixed", [
            text_part(mail.body, "plain", mail.charset, mail.cte),
            message_part(build_message(mail.attached, 0), "Order confirmation.eml"),
        ], b())
    else:
        raise ValueError(f"{mail.msgid}: unknown format {fmt!r}")


def _daticert(mail: Mail, tipo: str, ident: str, sender: str, ricevuta: str | None = None) -> bytes:
    pec = mail.pec or {}
    when = parsedate_to_datetime(mail.date)
    zone = when.strftime("%z")
    attr = f' tipo="{tipo}" errore="nessuno"'
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f"<postacert{attr}>",
        "  <intestazione>",
        f"    <mittente>{html.escape(sender)}</mittente>",
        f'    <destinatari tipo="certificato">{html.escape(_address(mail.to))}</destinatari>',
        f"    <risposte>{html.escape(sender)}</risposte>",
        f"    <oggetto>{html.escape(mail.subject)}</oggetto>",
        "  </intestazione>",
        "  <dati>",
        f"    <gestore-emittente>{html.escape(pec.get('gestore', 'PEC'))}</gestore-emittente>",
        f'    <data zona="{zone}">',
        f"      <giorno>{when:%d/%m/%Y}</giorno>",
        f"      <ora>{when:%H:%M:%S}</ora>",
        "    </data>",
        f"    <identificativo>{html.escape(ident)}</identificativo>",
        f"    <msgid>{html.escape(pec.get('inner_msgid') or pec.get('ref', ''))}</msgid>",
    ]
    if ricevuta:
        lines.append(f'    <ricevuta tipo="{ricevuta}" />')
        lines.append(f"    <consegna>{html.escape(_address(mail.to))}</consegna>")
    lines += ["  </dati>", "</postacert>", ""]
    return "\n".join(lines).encode("utf-8")


def _pec_envelope(mail: Mail, b: Boundaries) -> EmailMessage:
    """A PEC transport envelope (``posta-certificata``) carrying ``mail.body`` as postacert.eml."""
    pec = mail.pec or {}
    sender = _address(mail.sender)
    ident = mail.msgid.strip("<>")
    when = parsedate_to_datetime(mail.date)
    inner = Mail(msgid=pec["inner_msgid"], date=pec["inner_date"],
                 sender=f'{pec["sender_name"]} <{sender}>', to=mail.to, cc=mail.cc, subject=mail.subject,
                 body=mail.body, gold="", charset=mail.charset, cte=mail.cte)
    inner_msg = build_message(inner, 0, fmt=pec.get("inner_fmt", "plain"), boundaries=b)
    notice = (
        "Messaggio di posta certificata\n\n"
        f"Il giorno {when:%d/%m/%Y} alle ore {when:%H:%M:%S} ({when:%z}) il messaggio\n"
        f'"{mail.subject}" è stato inviato da "{sender}"\n'
        "indirizzato a:\n"
        f"{_address(mail.to)}\n"
        "Il messaggio originale è incluso in allegato.\n"
        f"Identificativo messaggio: {ident}\n"
    )
    outer = EmailMessage(policy=POLICY)
    _headers(outer, mail, subject=f"POSTA CERTIFICATA: {mail.subject}",
             sender=f'"Per conto di: {sender}" <posta-certificata@{pec["provider"]}>')
    outer["Reply-To"] = sender
    outer["X-Trasporto"] = "posta-certificata"
    outer["X-Riferimento-Message-ID"] = pec["inner_msgid"]
    outer["X-TipoRicevuta"] = "completa"
    mixed = multipart(MIMEPart(policy=POLICY), "mixed", [
        multipart(MIMEPart(policy=POLICY), "alternative", [
            text_part(notice, "plain", "iso-8859-1", "quoted-printable"),
            text_part(html_of(notice), "html", "iso-8859-1", "quoted-printable"),
        ], b()),
        binary_part(_daticert(mail, "posta-certificata", ident, sender), "application/xml", "daticert.xml", "inline"),
        message_part(inner_msg, "postacert.eml", "inline"),
    ], b())
    return multipart(outer, "signed", [mixed, binary_part(FAKE_P7S, "application/pkcs7-signature", "smime.p7s")],
                     b(), extra=' protocol="application/pkcs7-signature"; micalg="sha-256";',
                     preamble="This is an S/MIME signed message")


def _pec_receipt(mail: Mail, b: Boundaries) -> EmailMessage:
    """A PEC receipt (accettazione / avvenuta consegna sintetica): the notice is the only text."""
    pec = mail.pec or {}
    ident = mail.msgid.strip("<>")
    outer = EmailMessage(policy=POLICY)
    _headers(outer, mail)
    outer["X-Ricevuta"] = pec["ricevuta"]
    outer["X-Riferimento-Message-ID"] = pec["ref"]
    if "tipo" in pec:
        outer["X-TipoRicevuta"] = pec["tipo"]
    tipo = pec["ricevuta"]
    mixed = multipart(MIMEPart(policy=POLICY), "mixed", [
        multipart(MIMEPart(policy=POLICY), "alternative", [
            text_part(mail.body, "plain", mail.charset, mail.cte),
            text_part(html_of(mail.body), "html", mail.charset, mail.cte),
        ], b()),
        binary_part(_daticert(mail, tipo, ident, _address(mail.sender), pec.get("tipo")), "application/xml",
                    "daticert.xml", "inline"),
    ], b())
    return multipart(outer, "signed", [mixed, binary_part(FAKE_P7S, "application/pkcs7-signature", "smime.p7s")],
                     b(), extra=' protocol="application/pkcs7-signature"; micalg="sha-256";',
                     preamble="This is an S/MIME signed message")


def build_message(mail: Mail, n: int, *, fmt: str | None = None, boundaries: Boundaries | None = None) -> EmailMessage:
    b = boundaries or Boundaries(n)
    fmt = fmt or mail.fmt
    if fmt == "pec":
        return _pec_envelope(mail, b)
    if fmt == "receipt":
        return _pec_receipt(mail, b)
    msg = EmailMessage(policy=POLICY)
    _headers(msg, mail)
    _content(msg, mail, fmt, b)
    return msg


_FROM_LINE = re.compile(rb"^(>*From )", re.MULTILINE)


def render_mbox() -> bytes:
    out = io.BytesIO()
    for n, mail in enumerate(MAILS, 1):
        buf = io.BytesIO()
        BytesGenerator(buf, mangle_from_=False, policy=POLICY).flatten(build_message(mail, n))
        data = buf.getvalue()
        if not data.endswith(b"\n"):
            data += b"\n"
        when = parsedate_to_datetime(mail.date).astimezone(UTC)
        envelope = f"From {_address(mail.sender)} {when:%a %b} {when.day:2d} {when:%H:%M:%S %Y}\n"
        out.write(envelope.encode("ascii"))
        out.write(_FROM_LINE.sub(rb">\1", data))  # mboxrd quoting; extractor.sources.files undoes one level
        out.write(b"\n")
    return out.getvalue()


def split_of(index: int) -> str:
    return "dev" if index < DEV_COUNT else "test"


def render_gold() -> bytes:
    lines = []
    for i, mail in enumerate(MAILS):
        entities: list[dict[str, Any]] = []
        for text, label, valid in mail.pairs:
            entity: dict[str, Any] = {"text": text, "label": label}
            if not valid:
                entity["valid"] = False
            entities.append(entity)
        record: dict[str, Any] = {"message_id": mail.msgid, "split": split_of(i), "entities": entities}
        notes = [mail.notes] if mail.notes else []
        if mail.not_entities:
            notes.append("Not annotated: " + "; ".join(mail.not_entities) + ".")
        if notes:
            record["notes"] = " ".join(notes)
        lines.append(json.dumps(record, ensure_ascii=False))
    return ("\n".join(lines) + "\n").encode("utf-8")


# ---------------------------------------------------------------------------------------------
# verification against the project's parser


_MONTHS = ("gennaio|febbraio|marzo|aprile|maggio|giugno|luglio|agosto|settembre|ottobre|novembre|dicembre|"
           "gen|feb|mar|apr|mag|giu|lug|ago|set|ott|nov|dic|January|February|March|April|May|June|July|"
           "August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec")
LINT = {
    "EMAIL": re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    "CODICE_FISCALE": re.compile(r"\b[A-Z]{6}\d{2}[A-Z]\d{2}[A-Z]\d{3}[A-Z]\b", re.IGNORECASE),
    "IBAN": re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b"),
    "PARTITA_IVA": re.compile(r"(?<![\d/])(?:IT)?\d{11}(?![\d/])"),
    "MONEY": re.compile(r"(?:€|EUR|USD|CHF|GBP)\s?\d[\d.,]*\d|\d[\d.,]*\s?(?:€|euro\b|eur\b|EUR\b)", re.IGNORECASE),
    "DATE": re.compile(rf"\b\d{{1,2}}/\d{{1,2}}(?:/\d{{2,4}})?\b|\b\d{{1,2}} (?:{_MONTHS})\b|\b(?:{_MONTHS}) \d{{1,2}}\b",
                       re.IGNORECASE),
}


def _covered(candidate: str, texts: list[str]) -> bool:
    c = candidate.strip()
    return any(c in t or (len(t) >= 4 and t in c) for t in texts)


def lint(text: str, mail: Mail) -> list[str]:
    """Look-alikes of pattern labels that are neither in the gold nor in ``not_entities``."""
    import phonenumbers

    known = [t for t, _, _ in mail.pairs] + list(mail.not_entities)
    problems = []
    for label, rx in LINT.items():
        for m in rx.finditer(text):
            if not _covered(m.group(0), known):
                problems.append(f"{label}? {m.group(0)!r}")
    for m in phonenumbers.PhoneNumberMatcher(text, "IT"):
        if not _covered(m.raw_string, known):
            problems.append(f"PHONE? {m.raw_string!r}")
    return problems


def verify(mbox: Path) -> list[str]:
    """Parse ``mbox`` with the project's mail path and check every message's gold against it."""
    sys.path.insert(0, str(REPO))
    from extractor import validators
    from extractor.mail import parse_message
    from extractor.records import ErrorRecord
    from extractor.sources.files import iter_path

    errors: list[str] = []
    parsed = []
    for raw in iter_path(mbox):
        if isinstance(raw, ErrorRecord):
            errors.append(f"source error: {raw}")
            continue
        parsed.append(parse_message(raw, keep_quotes=True))
    if len(parsed) != len(MAILS):
        errors.append(f"{len(parsed)} messages parsed from {mbox}, {len(MAILS)} written")
    ids = [m.msgid for m in MAILS]
    if len(set(ids)) != len(ids):
        errors.append("duplicate Message-IDs: " + ", ".join(k for k, v in Counter(ids).items() if v > 1))
    project_check = {"IBAN": validators.valid_iban, "CODICE_FISCALE": validators.valid_codice_fiscale,
                     "PARTITA_IVA": validators.valid_partita_iva}
    for mail, msg in zip(MAILS, parsed):
        where = mail.msgid
        if msg.message_id != mail.msgid:
            errors.append(f"{where}: parser read Message-ID {msg.message_id!r}")
            continue
        for text, label, valid in mail.pairs:
            if "\n" in text:
                errors.append(f"{where}: gold {text!r} crosses a line break")
            if text not in msg.text:
                errors.append(f"{where}: gold {label} {text!r} not in the parsed text")
            if label in ID_LABELS:
                std = stdnum_valid(label, text)
                if std != valid:
                    errors.append(f"{where}: {label} {text!r} marked valid={valid}, python-stdnum says {std}")
                if project_check[label](text) != std:
                    print(f"note: {label} {text!r}: extractor.validators disagrees with python-stdnum ({std})")
            if label == "CODICE_FISCALE" and len(re.sub(r"\s", "", text)) != 16:
                errors.append(f"{where}: CODICE_FISCALE {text!r} is not a 16-character personal code")
            if label == "PARTITA_IVA" and not re.fullmatch(r"(?:IT)?\d{11}", text):
                errors.append(f"{where}: PARTITA_IVA {text!r} is not 11 digits (with optional IT)")
        for problem in lint(msg.text, mail):
            errors.append(f"{where}: not annotated and not in not_entities: {problem}")
    return errors


def counts() -> str:
    """Pairs per label per split, as a Markdown table."""
    table: dict[str, Counter[str]] = {"dev": Counter(), "test": Counter()}
    invalid: Counter[str] = Counter()
    messages = Counter(split_of(i) for i in range(len(MAILS)))
    for i, mail in enumerate(MAILS):
        for _, label, valid in mail.pairs:
            table[split_of(i)][label] += 1
            if not valid:
                invalid[label] += 1
    rows = ["| label | dev | test | total | invalid |", "|---|---:|---:|---:|---:|"]
    for label in LABELS:
        d, t = table["dev"][label], table["test"][label]
        rows.append(f"| {label} | {d} | {t} | {d + t} | {invalid[label] or ''} |")
    d, t = sum(table["dev"].values()), sum(table["test"].values())
    rows.append(f"| **all pairs** | {d} | {t} | {d + t} | {sum(invalid.values())} |")
    rows.append(f"| messages | {messages['dev']} | {messages['test']} | {len(MAILS)} | |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="verify the files on disk instead of writing them")
    ap.add_argument("--make", nargs=2, metavar=("KIND", "PREFIX"),
                    help="print an identifier with its check digits: cf FIRST15 | piva FIRST10 | iban CCBBAN")
    args = ap.parse_args(argv)
    if args.make:
        kind, prefix = args.make
        print({"cf": make_cf, "piva": make_piva}.get(kind, lambda p: make_iban(p[:2], p[2:]))(prefix))
        return 0
    mbox, gold = render_mbox(), render_gold()
    if args.check:
        stale = [p.name for p, data in ((MBOX, mbox), (GOLD, gold)) if not p.exists() or p.read_bytes() != data]
        if stale:
            print(f"out of date: {', '.join(stale)} (rerun {Path(__file__).name})", file=sys.stderr)
            return 1
    else:
        MBOX.write_bytes(mbox)
        GOLD.write_bytes(gold)
    errors = verify(MBOX)
    for e in errors:
        print("ERROR", e, file=sys.stderr)
    print(counts())
    if errors:
        print(f"{len(errors)} problems", file=sys.stderr)
        return 1
    print(f"{MBOX.name}: {len(MAILS)} messages, {len(mbox)} bytes; {GOLD.name}: verified against extractor.mail")
    return 0


if __name__ == "__main__":
    sys.exit(main())
