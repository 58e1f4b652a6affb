"""Shared helpers for the benchmarks: deterministic Italian emails, engines, timing, machine info.

Every benchmark measures both sides of its comparison in one process, on the same model and
the same messages, and prints the ratio on its last line. Nothing here is a timed test.

Run from the repository root, e.g.::

    VLLM_ENABLE_V1_MULTIPROCESSING=0 HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_pipeline.py --n 32
"""

from __future__ import annotations

import argparse
import datetime as _dt
import email.utils
import os
import platform
import random
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # scripts run as `python benchmarks/x.py`
    sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from extractor.validators import cf_check_char, iban_remainder, piva_check_digit

# -- deterministic Italian business email -------------------------------------------------

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
    bban = rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") + abi + f"{rng.randint(1000, 99999):05d}" + f"{rng.randint(0, 10**12 - 1):012d}"
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
        out.append(Email(f"{f1} {l1}", sender_addr, f"{f2} {l2}", f"{f2.lower()}.{l2.lower().replace(' ', '')}@{_slug(org2)}.it",
                         subject, body_text, email.utils.format_datetime(when), f"<bench-{seed}-{i}@{dom}>"))
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


# -- machine, timing, reporting -------------------------------------------------------------

def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def machine_info() -> dict[str, Any]:
    import torch

    return {
        "date": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": _cpu_model(),
        "load_1_5_15": load(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "(unset)"),
        "git": _git_rev(),
    }


def _git_rev() -> str:
    try:
        return subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], check=False, capture_output=True,
                              text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"


def header(title: str) -> None:
    cmd = " ".join(shlex.quote(a) for a in sys.argv)
    print(f"== {title}")
    print(f"   command: {cmd}")
    print("   " + "  ".join(f"{k}={v}" for k, v in machine_info().items()), flush=True)


def footer() -> None:
    import torch

    print(f"   load at end: {load()}  torch_threads at end: {torch.get_num_threads()}", flush=True)


@dataclass
class Measure:
    """Throughput of one side of a comparison."""

    label: str
    seconds: float = 0.0
    messages: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    unparsed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def add(self, seconds: float, messages: int, prompt_tokens: int, completion_tokens: int, unparsed: int = 0) -> None:
        self.seconds += seconds
        self.messages += messages
        self.prompt_tokens += prompt_tokens
        self.completion_tokens += completion_tokens
        self.unparsed += unparsed

    def add_texts(self, seconds: float, results: list[Any]) -> None:
        """Add one timed ``Extractor.extract_texts`` pass; unparsed = texts whose output could not be read."""
        self.add(seconds, len(results), sum(r.prompt_tokens for r in results), sum(r.completion_tokens for r in results),
                 sum(r.error is not None for r in results))

    @property
    def msgs_per_s(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0

    @property
    def tokens_per_s(self) -> float:
        return (self.prompt_tokens + self.completion_tokens) / self.seconds if self.seconds else 0.0

    @property
    def gen_tokens_per_s(self) -> float:
        return self.completion_tokens / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        extra = "".join(f" {k}={v}" for k, v in self.extra.items())
        return (f"   {self.label:<44} {self.messages:>4} msgs {self.seconds:8.2f} s  {self.msgs_per_s:7.3f} msg/s  "
                f"{self.tokens_per_s:7.1f} tok/s  {self.gen_tokens_per_s:6.1f} gen tok/s  "
                f"(prompt {self.prompt_tokens}, generated {self.completion_tokens}, unparsed {self.unparsed}){extra}")

    def show(self) -> Measure:
        print(self.line(), flush=True)
        return self


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """``with stopwatch() as t: ...`` then ``t[0]`` is the elapsed seconds."""
    box = [0.0]
    t0 = time.perf_counter()
    try:
        yield box
    finally:
        box[0] = time.perf_counter() - t0


def ratio_line(name: str, num: float, den: float, what: str) -> None:
    """The last line of every benchmark."""
    value = num / den if den else float("nan")
    print(f"RATIO {name}: {value:.3f}  ({what})", flush=True)


def parser(description: str, n: int = 16) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--n", type=int, default=n, help=f"messages per timed pass (default {n})")
    p.add_argument("--seed", type=int, default=0, help="message generator seed")
    p.add_argument("--max-tokens", type=int, default=512, help="completion bound (the pipeline's default is 512)")
    p.add_argument("--shots", type=int, default=2, help="few-shot examples in the prompt (the default is 2)")
    p.add_argument("--rounds", type=int, default=1,
                   help="timed rounds per side, alternating sides (A B, B A, ...) to spread load drift")
    return p


# -- model and engine ---------------------------------------------------------------------

def default_model_path() -> str:
    from extractor.models import resolve_model
    from extractor.settings import load_settings

    return resolve_model("default", load_settings()).path


def make_engine(model: str | None = None, **overrides: Any) -> tuple[Any, float]:
    """An :class:`extractor.engine.Engine` configured like ``runner.build_engine``; returns it and its start time."""
    from extractor.engine import Engine, EngineConfig
    from extractor.settings import load_settings

    settings = load_settings()
    cfg = {"model": model or default_model_path(), "max_model_len": 4096, "kv_cache_bytes": settings.kv_cache_bytes,
               "cache_dir": settings.cache_dir}
    cfg.update(overrides)
    with stopwatch() as t:
        engine = Engine(EngineConfig(**cfg))
    print(f"   engine start ({cfg.get('decoding_backend', 'outlines')}, prefix_caching={cfg.get('prefix_caching', True)}, "
          f"{len(cfg.get('adapters', ()))} adapters): {t[0]:.1f} s", flush=True)
    return engine, t[0]


def merged_model(adapter: Any) -> str:
    """``adapter`` merged into the default model as ``--merge`` serves it (built once, then cached); prints the time."""
    from extractor.merge import merge_adapter
    from extractor.settings import load_settings

    with stopwatch() as t:
        merged = merge_adapter(default_model_path(), adapter, load_settings().cache_dir)
    print(f"   merge (cached after the first run): {t[0]:.1f} s -> {merged}", flush=True)
    return str(merged)


def schema():
    from schemas import load_schema

    return load_schema("italian_email")


def served_extractor(engine: Any, args: argparse.Namespace):
    """The served path on ``engine``: the ``italian_email`` schema with ``--shots`` and ``--max-tokens``."""
    from extractor.pipeline import ExtractOptions, Extractor

    return Extractor(engine, ExtractOptions(schema=schema(), shots=args.shots, max_tokens=args.max_tokens),
                     model_name="default")


def prompt_builder(engine: Any, shots: int = 2):
    from extractor.prompts import PromptBuilder

    return PromptBuilder(schema(), shots, "chat", engine.tokenizer)


def gen_measure(label: str, gens: list[Any], seconds: float) -> Measure:
    """A :class:`Measure` from ``Engine.generate`` results; unparsed = not valid JSON of the schema."""
    import json

    bad = 0
    for g in gens:
        try:
            data = json.loads(g.text)
            if not isinstance(data, dict) or not isinstance(data.get("entities"), list):
                bad += 1
        except json.JSONDecodeError:
            bad += 1
    m = Measure(label)
    m.add(seconds, len(gens), sum(g.prompt_tokens for g in gens), sum(g.completion_tokens for g in gens), bad)
    return m


# -- where the time goes inside the engine --------------------------------------------------

class StepProfiler:
    """Wall time spent in each part of vLLM's in-process engine step, by wrapping its methods.

    Needs ``VLLM_ENABLE_V1_MULTIPROCESSING=0`` (the engine core runs in this process).
    Parts: ``schedule``, ``forward`` (one call per engine step)
    (model forward + logits), ``grammar_fill`` (scheduler building the token bitmask),
    ``sample`` (bitmask apply + sampling), ``mask_apply`` (the bitmask apply alone),
    ``update`` (scheduler bookkeeping, grammar accept included), ``grammar_accept``.
    """

    def __init__(self, engine: Any) -> None:
        self.totals: dict[str, float] = {}
        self.counts: dict[str, int] = {}
        self._undo: list[Callable[[], None]] = []
        core = engine.llm.llm_engine.engine_core.engine_core
        sched = core.scheduler
        self._wrap(sched, "schedule", "schedule")
        self._wrap(core.model_executor, "execute_model", "forward")
        self._wrap(sched, "get_grammar_bitmask", "grammar_fill")
        self._wrap(core.model_executor, "sample_tokens", "sample")
        self._wrap(sched, "update_from_output", "update")
        self._wrap(core.structured_output_manager, "accept_tokens", "grammar_accept")
        import vllm.v1.worker.gpu_model_runner as gmr

        self._wrap(gmr, "apply_grammar_bitmask", "mask_apply", module=True)

    def _wrap(self, obj: Any, name: str, part: str, module: bool = False) -> None:
        original = getattr(obj, name)
        totals, counts = self.totals, self.counts

        def wrapper(*a: Any, **kw: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return original(*a, **kw)
            finally:
                totals[part] = totals.get(part, 0.0) + time.perf_counter() - t0
                counts[part] = counts.get(part, 0) + 1

        setattr(obj, name, wrapper)
        if module:
            self._undo.append(lambda: setattr(obj, name, original))
        else:
            self._undo.append(lambda: obj.__dict__.pop(name, None))

    def reset(self) -> None:
        self.totals.clear()
        self.counts.clear()

    def close(self) -> None:
        for undo in reversed(self._undo):
            undo()
        self._undo.clear()

    def summary(self, wall: float | None = None) -> str:
        steps = self.counts.get("forward", 0)
        parts = []
        for part in ("schedule", "forward", "grammar_fill", "sample", "mask_apply", "update", "grammar_accept"):
            if part in self.totals:
                per = self.totals[part] / steps * 1000 if steps else 0.0
                parts.append(f"{part}={self.totals[part]:.2f}s ({per:.1f} ms/step)")
        head = f"{steps} steps"
        if wall is not None:
            inside = sum(self.totals.get(k, 0.0) for k in ("schedule", "forward", "grammar_fill", "sample", "update"))
            head += f", outside these parts {wall - inside:.2f}s"
        return head + ": " + "  ".join(parts)


# -- one engine per process ---------------------------------------------------------------

def parse_or_run_child(p: argparse.ArgumentParser, child: Callable[[argparse.Namespace], None]) -> argparse.Namespace | None:
    """Parse the arguments; in a child started by :func:`run_children` (``--one SIDE``) run
    ``child(args)`` and return None, else return the arguments for the parent."""
    p.add_argument("--one", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.one:
        child(args)
        return None
    return args


def run_children(script: str, sides: list[str], argv: list[str]) -> dict[str, dict[str, Any]]:
    """Run ``script --one SIDE`` per side (one engine per process), echo its report lines
    (those starting with three spaces), and collect the JSON it prints after ``RESULT ``.
    The full output of each child (vLLM's log included) goes to a file named on screen."""
    import json
    import tempfile

    results: dict[str, dict[str, Any]] = {}
    for side in sides:
        log = Path(tempfile.mkstemp(prefix=f"{Path(script).stem}-{side.replace(' ', '_')}-", suffix=".log")[1])
        print(f"-- {side} (full log: {log})", flush=True)
        with subprocess.Popen([sys.executable, script, *argv, "--one", side], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) as proc, open(log, "w") as out:
            assert proc.stdout is not None
            tail: list[str] = []
            for line in proc.stdout:
                out.write(line)
                tail = [*tail[-30:], line.rstrip()]
                if line.startswith("RESULT "):
                    results[side] = json.loads(line[len("RESULT "):])
                elif line.startswith("   "):
                    print(line.rstrip(), flush=True)
        if proc.returncode != 0:
            print(f"   {side} failed (exit {proc.returncode}); last lines:", *tail[-10:], sep="\n   ", flush=True)
    return results


def result_line(measures: dict[str, Measure], **extra: Any) -> None:
    """The child side of :func:`run_children`."""
    import json

    data = {k: {"seconds": m.seconds, "messages": m.messages, "prompt_tokens": m.prompt_tokens,
                "completion_tokens": m.completion_tokens, "unparsed": m.unparsed} for k, m in measures.items()}
    print("RESULT " + json.dumps({"measures": data, **extra}), flush=True)


def measure_from(label: str, d: dict[str, Any]) -> Measure:
    m = Measure(label)
    m.add(d["seconds"], d["messages"], d["prompt_tokens"], d["completion_tokens"], d["unparsed"])
    return m
