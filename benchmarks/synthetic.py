"""Deterministic Italian business e-mail: the messages every benchmark times.

:func:`italian_emails` draws varied short messages from a seed (the same seed gives the same
messages); :func:`email_texts` gives their bodies and :func:`write_mbox` writes them as an mbox.
No side effects at import, so tests can use it too.
"""

from __future__ import annotations

import datetime as _dt
import email.utils
import random
from dataclasses import dataclass
from pathlib import Path

from extractor.validators import cf_check_char, iban_remainder, piva_check_digit

FIRST = ["Mario", "Giulia", "Luca", "Francesca", "Paolo", "Chiara", "Andrea", "Elena", "Marco", "Sara",
         "Alessandro", "Valentina", "Giovanni", "Federica", "Stefano", "Laura", "Matteo", "Silvia", "Davide",
         "Martina", "Roberto", "Alessia", "Simone", "Anna", "Lorenzo", "Beatrice"]
LAST = ["Rossi", "Bianchi", "Esposito", "Romano", "Colombo", "Ricci", "Marino", "Greco", "Bruno", "Gallo",
        "Conti", "De Luca", "Mancini", "Costa", "Giordano", "Rizzo", "Lombardi", "Moretti", "Barbieri",
        "Fontana", "Santoro", "Mariani", "Rinaldi", "Caruso", "Ferrara", "Galli"]
COMPANIES = ["Edilnord S.r.l.", "Tecnoservizi S.p.A.", "Ferramenta Galli S.n.c.", "Logistica Adriatica S.r.l.",
             "Studio Legale Conti & Associati", "Agenzia Viaggi Sole Mio", "Officine Meccaniche Brambilla S.p.A.",
             "Cooperativa Agricola Valpadana", "Informatica Tirrenica S.r.l.", "Tipografia Moderna S.a.s.",
             "Caseificio Santa Lucia", "Trasporti Rapidi Lombardi S.r.l."]
BODIES = ["Banca Sella", "Intesa Sanpaolo", "UniCredit", "Poste Italiane", "Agenzia delle Entrate",
          "Comune di Torino", "Università di Bologna", "Regione Lombardia", "INPS", "Camera di Commercio di Bari",
          "Banco BPM", "Monte dei Paschi di Siena"]
CITIES = [("Milano", "20121", "MI"), ("Roma", "00184", "RM"), ("Napoli", "80133", "NA"), ("Torino", "10121", "TO"),
          ("Firenze", "50123", "FI"), ("Bologna", "40121", "BO"), ("Bari", "70121", "BA"), ("Palermo", "90133", "PA"),
          ("Genova", "16121", "GE"), ("Verona", "37121", "VR"), ("Padova", "35122", "PD"), ("Trieste", "34121", "TS")]
STREETS = ["via Roma", "corso Vittorio Emanuele", "piazza Garibaldi", "via Dante", "viale Europa", "via Mazzini",
           "via Cavour", "largo Augusto", "via dei Mille", "corso Italia"]
MONTHS = ["gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre",
          "ottobre", "novembre", "dicembre"]
WEEKDAYS = ["lunedì", "martedì", "mercoledì", "giovedì", "venerdì"]
TITLES = ["dott.", "dott.ssa", "avv.", "ing.", "geom.", "rag.", "sig.", "sig.ra"]
ROLES = ["Ufficio Amministrazione", "Responsabile Acquisti", "Ufficio Commerciale", "Direzione Tecnica",
         "Segreteria Generale", "Ufficio del Personale", "Customer Care"]
ABI = {"Banca Sella": "03268", "Intesa Sanpaolo": "03069", "UniCredit": "02008", "Banco BPM": "05034",
       "Monte dei Paschi di Siena": "01030", "Poste Italiane": "07601"}
_CF_MONTHS = "ABCDEHLMPRST"


def _slug(s: str) -> str:
    keep = "".join(c for c in s.lower() if c.isalnum() or c == " ")
    return keep.split()[0] if keep.split() else "info"


def _amount(rng: random.Random) -> str:
    euros = rng.choice([rng.randint(80, 990), rng.randint(1000, 9990), rng.randint(10000, 99000)])
    cents = rng.choice([0, 0, 50, rng.randint(1, 99)])
    whole = f"{euros:,}".replace(",", ".")
    styles = [f"{whole},{cents:02d} €", f"€ {whole},{cents:02d}", f"EUR {whole},{cents:02d}", f"{whole} euro"]
    return rng.choice(styles)


def _date(rng: random.Random) -> str:
    d, m, y = rng.randint(1, 28), rng.randint(1, 12), rng.choice([2023, 2024, 2025])
    styles = [f"{d} {MONTHS[m - 1]} {y}", f"{d:02d}/{m:02d}/{y}", f"{rng.choice(WEEKDAYS)} {d} {MONTHS[m - 1]}",
              f"{d}.{m:02d}.{y}"]
    return rng.choice(styles)


def _phone(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return f"+39 0{rng.randint(2, 99)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"
    return f"3{rng.randint(20, 99)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"


def _piva(rng: random.Random) -> str:
    first10 = f"{rng.randint(0, 9999999):07d}{rng.randint(1, 100):03d}"
    return first10 + piva_check_digit(first10)


def _iban(rng: random.Random, bank: str) -> str:
    abi = ABI.get(bank, f"{rng.randint(1000, 9999):05d}")
    bban = (rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") + abi + f"{rng.randint(1000, 99999):05d}"
            + f"{rng.randint(0, 10**12 - 1):012d}")
    check = 98 - iban_remainder("IT00" + bban)
    return f"IT{check:02d}{bban}"


def _codice_fiscale(rng: random.Random, first: str, last: str) -> str:
    def cons(s: str) -> str:
        letters = [c for c in s.upper() if c.isalpha()]
        c = [x for x in letters if x not in "AEIOU"] + [x for x in letters if x in "AEIOU"] + ["X"] * 3
        return "".join(c[:3])

    day = rng.randint(1, 28) + (40 if first.endswith("a") else 0)
    first15 = (cons(last) + cons(first) + f"{rng.randint(50, 99):02d}" + rng.choice(_CF_MONTHS) + f"{day:02d}"
               + rng.choice("ABCDEFGHLM") + f"{rng.randint(100, 999)}")
    return first15 + cf_check_char(first15)


@dataclass(frozen=True)
class Email:
    """One generated message: headers and a short plain-text body."""

    sender_name: str
    sender_addr: str
    to_name: str
    to_addr: str
    subject: str
    body: str
    date: str
    message_id: str


def _person(rng: random.Random) -> tuple[str, str]:
    return rng.choice(FIRST), rng.choice(LAST)


def italian_emails(n: int, seed: int = 0) -> list[Email]:
    """``n`` varied short Italian business emails, the same for the same ``seed``.

    Names, companies, public bodies, places, dates, amounts, phone numbers, e-mail addresses,
    and valid IBAN, partita IVA and codice fiscale values, in about a dozen message shapes.
    """
    rng = random.Random(seed)
    out = []
    for i in range(n):
        (f1, l1), (f2, l2), (f3, l3) = _person(rng), _person(rng), _person(rng)
        org, org2, body = rng.sample(COMPANIES, 2) + [rng.choice(BODIES)]
        bank = rng.choice(list(ABI))
        city, cap, prov = rng.choice(CITIES)
        city2 = rng.choice(CITIES)[0]
        street = f"{rng.choice(STREETS)} {rng.randint(1, 120)}"
        dom = _slug(org) + ".it"
        sender_addr = f"{f1.lower()}.{l1.lower().replace(' ', '')}@{dom}"
        v = {
            "f1": f1, "l1": l1, "f2": f2, "l2": l2, "f3": f3, "l3": l3, "org": org, "org2": org2, "ente": body,
            "bank": bank, "city": city, "city2": city2, "cap": cap, "prov": prov, "street": street,
            "date": _date(rng), "date2": _date(rng), "amount": _amount(rng), "phone": _phone(rng),
            "mail": sender_addr, "mail2": f"{f3.lower()}.{l3.lower().replace(' ', '')}@{_slug(org2)}.it",
            "piva": _piva(rng), "iban": _iban(rng, bank), "cf": _codice_fiscale(rng, f2, l2),
            "title": rng.choice(TITLES), "n": rng.randint(10, 480),
            "ore": f"{rng.randint(8, 17)}:{rng.choice(['00', '15', '30', '45'])}", "role": rng.choice(ROLES),
        }
        subject_tpl, text_tpl = rng.choice(_SHAPES)
        if "{pad}" in text_tpl:
            v["pad"] = rng.randint(1, 12)
        subject, text = subject_tpl.format(**v), text_tpl.format(**v)
        greeting = rng.choice([f"Buongiorno {f2},", f"Gentile {v['title']} {l2},", f"Ciao {f2},",
                               f"Spett.le {org2},", f"Egregio {v['title']} {f2} {l2},", "Buonasera,"])
        closing = rng.choice(["Cordiali saluti,", "Distinti saluti,", "Un saluto,", "Grazie e buona giornata,",
                              "Resto a disposizione per ogni chiarimento.\nSaluti,"])
        signature = rng.choice([
            f"{f1} {l1}\n{v['role']}\n{org}\nTel. {v['phone']}",
            f"{f1} {l1} - {org}\n{street}, {cap} {city} ({prov})",
            f"{v['title'].capitalize()} {f1} {l1}\n{org} | {v['mail']}",
            f"{f1}",
        ])
        body_text = f"{greeting}\n\n{text}\n\n{closing}\n{signature}\n"
        when = _dt.datetime(2024, 1, 8, 9, 0, tzinfo=_dt.timezone(_dt.timedelta(hours=1))) + _dt.timedelta(hours=7 * i)
        to_addr = f"{f2.lower()}.{l2.lower().replace(' ', '')}@{_slug(org2)}.it"
        out.append(Email(f"{f1} {l1}", sender_addr, f"{f2} {l2}", to_addr, subject, body_text,
                         email.utils.format_datetime(when), f"<bench-{seed}-{i}@{dom}>"))
    return out


# The message shapes: (subject, body) templates over the fields ``italian_emails`` draws; ``{pad}``
# (a trade-fair pavilion) is drawn only for the shape that uses it.
_SHAPES: list[tuple[str, str]] = [
    # meeting
    ("Riunione del {date} a {city}",
     ("le confermo l'incontro di {date} alle ore {ore} presso la sede di {org} in {street} "
      "a {city}. Parteciperà anche {title} {f3} {l3} di {ente}.\n"
      "Per qualsiasi necessità può contattarmi al numero {phone}.")),
    # invoice
    ("Fattura n. {n}/2024",
     ("in allegato la fattura n. {n} del {date} per un importo di {amount}.\n"
      "Il pagamento va effettuato entro il {date2} sull'IBAN {iban} intestato a {org}, "
      "partita IVA {piva}, presso {bank}.")),
    # reminder
    ("Sollecito di pagamento",
     ("dai nostri controlli risulta ancora aperta la fattura n. {n} del {date} di {amount}.\n"
      "Vi preghiamo di provvedere al saldo tramite bonifico su {bank} (IBAN {iban}) "
      "entro il {date2}, indicando la partita IVA {piva} nella causale.")),
    # quote
    ("Richiesta di preventivo - {org}",
     ("vorremmo ricevere un preventivo per la fornitura di {n} pezzi da consegnare presso il nostro "
      "magazzino di {city2}, {street}, entro il {date}.\n"
      "Il budget indicativo è di {amount}. Il referente è {f3} {l3} ({mail2}).")),
    # shipping
    ("Spedizione ordine {n}",
     ("la informiamo che l'ordine n. {n} è stato affidato a {org2} il {date} e partirà "
      "da {city} verso {city2}. La consegna è prevista per {date2}.\n"
      "Spese di trasporto: {amount}. Per informazioni chiami il {phone}.")),
    # hiring
    ("Documenti per l'assunzione",
     ("per completare la pratica di assunzione di {f2} {l2} (codice fiscale {cf}) presso "
      "{org} ci servono copia del documento e l'IBAN per l'accredito dello stipendio.\n"
      "La presa di servizio è fissata per {date} nella sede di {city}. "
      "La retribuzione lorda annua concordata è di {amount}.")),
    # travel
    ("Trasferta a {city2}",
     ("ho prenotato il treno per {city2} di {date} e l'hotel in {street} per due notti, "
      "per una spesa complessiva di {amount}.\nA {city2} incontreremo {f3} {l3} "
      "di {org2} e i referenti di {ente}. Rientro previsto {date2}.")),
    # supplier
    ("Anagrafica fornitore",
     ("per l'inserimento nell'anagrafica fornitori vi trasmettiamo i nostri dati: ragione sociale {org}, "
      "sede legale in {street}, {cap} {city} ({prov}), partita IVA {piva}, "
      "IBAN {iban} ({bank}).\nReferente amministrativo: {f1} {l1}, tel. {phone}, "
      "email {mail}.")),
    # legal
    ("Comunicazione via PEC",
     ("per conto del nostro assistito {f2} {l2}, C.F. {cf}, residente a {city}, "
      "le comunichiamo la messa in mora per la somma di {amount} dovuta a seguito del contratto "
      "sottoscritto il {date} con {org2}.\nIn assenza di riscontro entro il {date2} "
      "ci rivolgeremo al Tribunale di {city}.")),
    # project
    ("Aggiornamento progetto {org2}",
     ("ieri ho sentito {f3} {l3}: {org2} chiede di anticipare il collaudo dell'impianto di "
      "{city2} al {date}.\nIl costo aggiuntivo stimato è di {amount}; {ente} deve "
      "ancora approvare la variante. Ne parliamo {date2} in call con {f1} {l1}?")),
    # tax
    ("Scadenza F24",
     ("le ricordo che il {date} scade il versamento di {amount} dovuto a {ente} "
      "per {org} (P.IVA {piva}).\nL'addebito avverrà sul conto {iban} presso {bank}, "
      "filiale di {city}.")),
    # event
    ("Invito: fiera di {city}",
     ("saremo presenti alla fiera di {city} dal {date} con uno stand di {org} "
      "(padiglione {pad}).\nSarebbe un piacere incontrarla insieme a {f3} {l3}; "
      "può fissare un appuntamento scrivendo a {mail} o chiamando il {phone}.")),
]


def email_texts(n: int, seed: int = 0) -> list[str]:
    """The bodies of :func:`italian_emails` (what the pipeline hands the model for plain mail)."""
    return [e.body for e in italian_emails(n, seed)]


def write_mbox(path: Path, emails: list[Email]) -> Path:
    """Write ``emails`` as a plain mbox (UTF-8, 8bit bodies)."""
    lines = []
    for e in emails:
        lines += [f"From {e.sender_addr} Mon Jan  8 09:00:00 2024", f"From: {e.sender_name} <{e.sender_addr}>",
                  f"To: {e.to_name} <{e.to_addr}>", f"Subject: {e.subject}", f"Date: {e.date}",
                  f"Message-ID: {e.message_id}", "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8",
                  "Content-Transfer-Encoding: 8bit", ""]
        lines += [(">" + ln if ln.startswith("From ") else ln) for ln in e.body.splitlines()] + [""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
