"""Our own Italian e-mail gold set (``examples/gold``): loader and set-of-pairs scoring.

A mail gold folder holds one or more mailboxes (``*.mbox``) and ``gold.jsonl``, one JSON
object a line::

    {"message_id": "<...>", "split": "dev" | "test",
     "entities": [{"text": "Giorgio Ferri", "label": "PER"}, {"text": "...", "label": "IBAN", "valid": false}],
     "notes": "optional"}

:func:`load_mail_gold` reads the mailboxes through the tool's own path
(:func:`extractor.sources.files.iter_path` then :func:`extractor.mail.parse_message`), so
``MailGoldExample.text`` is exactly the text the extractor sees, and joins the gold by
Message-ID. Mailbox messages without a gold line are skipped.

Scoring follows /work/shared/ANNOTATION.md: per message, the set of (normalised text, label)
pairs against the gold set; micro P/R/F1 over all messages and per label
(:func:`score_pairs`). Offsets play no part: a pair is right when its text, normalised by
:func:`normalize`, and its label equal a gold pair of the same message.
"""

from __future__ import annotations

import json
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from training.data import DataFormatError
from training.metrics import PRF

__all__ = [
    "GOLD_FILE",
    "SPLITS",
    "MailGoldExample",
    "entity_pairs",
    "load_mail_gold",
    "normalize",
    "render_markdown",
    "score_pairs",
]

GOLD_FILE = "gold.jsonl"
SPLITS = ("dev", "test")

Pair = tuple[str, str]


@dataclass(frozen=True)
class MailGoldExample:
    """One gold message: its body text as the extractor sees it and its (text, label) pairs.

    ``pairs`` are the gold pairs as written (not normalised); ``invalid`` is the subset whose
    identifier fails its check (``"valid": false`` in gold.jsonl).
    """

    message_id: str
    split: str
    text: str
    pairs: frozenset[Pair]
    invalid: frozenset[Pair]


# ---------------------------------------------------------------------------------------------
# loading


@dataclass(frozen=True)
class _GoldLine:
    lineno: int
    message_id: str
    split: str
    pairs: frozenset[Pair]
    invalid: frozenset[Pair]


def _read_gold(path: Path) -> list[_GoldLine]:
    if not path.is_file():
        raise DataFormatError(f"{path}: no such file (a mail gold folder needs {GOLD_FILE} next to its mailboxes)")
    out: list[_GoldLine] = []
    seen: dict[str, int] = {}
    with path.open(encoding="utf-8-sig") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataFormatError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from None
            if not isinstance(record, dict):
                raise DataFormatError(f"{where}: expected a JSON object")
            message_id = record.get("message_id")
            if not isinstance(message_id, str) or not message_id.strip():
                raise DataFormatError(f"{where}: 'message_id' must be a non-empty string")
            message_id = message_id.strip()
            if message_id in seen:
                raise DataFormatError(f"{where}: message_id {message_id!r} already on line {seen[message_id]}")
            seen[message_id] = lineno
            split = record.get("split")
            if split not in SPLITS:
                raise DataFormatError(f"{where}: 'split' must be one of {', '.join(SPLITS)}, got {split!r}")
            entities = record.get("entities")
            if not isinstance(entities, list):
                raise DataFormatError(f"{where}: 'entities' must be a list")
            pairs: set[Pair] = set()
            invalid: set[Pair] = set()
            for i, entity in enumerate(entities):
                if not isinstance(entity, dict):
                    raise DataFormatError(f"{where}: entity {i} is not an object")
                text, label, valid = entity.get("text"), entity.get("label"), entity.get("valid", True)
                if not isinstance(text, str) or not text.strip():
                    raise DataFormatError(f"{where}: entity {i} needs a non-empty 'text' string")
                if not isinstance(label, str) or not label:
                    raise DataFormatError(f"{where}: entity {i} ({text!r}) needs a 'label' string")
                if not isinstance(valid, bool):
                    raise DataFormatError(f"{where}: entity {i} ({text!r}): 'valid' must be true or false")
                pairs.add((text, label))
                if not valid:
                    invalid.add((text, label))
            out.append(_GoldLine(lineno, message_id, split, frozenset(pairs), frozenset(invalid)))
    return out


def _mailboxes(folder: Path) -> list[Path]:
    boxes = sorted(p for p in folder.glob("*.mbox") if p.is_file())
    if not boxes:
        raise DataFormatError(f"{folder}: no mailbox (*.mbox) in the mail gold folder")
    return boxes


def _read_messages(boxes: list[Path], keep_quotes: bool) -> dict[str, tuple[str, Path]]:
    """Message-ID -> (body text, mailbox), in mailbox order."""
    from extractor.errors import ExtractError
    from extractor.mail import parse_message
    from extractor.records import ErrorRecord
    from extractor.sources.files import iter_path

    texts: dict[str, tuple[str, Path]] = {}
    for box in boxes:
        try:
            for raw in iter_path(box):
                if isinstance(raw, ErrorRecord):
                    raise DataFormatError(f"{box}: message at {raw.key} unreadable: {raw.reason}")
                try:
                    message = parse_message(raw, keep_quotes=keep_quotes)
                except ExtractError as exc:
                    raise DataFormatError(f"{box}: message at {raw.key} cannot be parsed: {exc}") from None
                message_id = (message.message_id or "").strip()
                if not message_id:
                    continue  # cannot carry gold: nothing to join on
                if message_id in texts:
                    raise DataFormatError(f"{box}: Message-ID {message_id!r} occurs twice ({raw.key})")
                texts[message_id] = (message.text, box)
        except ExtractError as exc:
            raise DataFormatError(f"{box}: {exc}") from None
    return texts


def load_mail_gold(folder: Path, split: str | None = None, *, keep_quotes: bool = True) -> list[MailGoldExample]:
    """The gold messages of ``folder`` (all, or one split), in mailbox order.

    ``folder`` holds ``gold.jsonl`` and the ``*.mbox`` files (a path to ``gold.jsonl`` itself is
    accepted too). Texts come from the extractor's own source and MIME path with
    ``keep_quotes`` (default True, as the gold counts entities in quoted history). With
    ``keep_quotes=True`` every gold text must occur in its message text, else
    :class:`~training.data.DataFormatError` (the gold or the parser changed); with
    ``keep_quotes=False`` the pairs whose text was cut with the quotes are dropped.

    Raises DataFormatError for a missing file, malformed JSON, a bad record, or a gold line whose
    message_id is not in the mailboxes; ValueError for an unknown ``split``.
    """
    if split is not None and split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)} or None, got {split!r}")
    folder = Path(folder)
    if folder.is_file() and folder.suffix == ".jsonl":
        gold_path, folder = folder, folder.parent
    else:
        gold_path = folder / GOLD_FILE
    if not folder.is_dir():
        raise DataFormatError(f"{folder}: no such directory")
    gold = _read_gold(gold_path)
    boxes = _mailboxes(folder)
    texts = _read_messages(boxes, keep_quotes)
    order = {message_id: i for i, message_id in enumerate(texts)}
    found: list[tuple[int, MailGoldExample]] = []
    for line in gold:
        if line.message_id not in texts:
            names = ", ".join(b.name for b in boxes)
            raise DataFormatError(f"{gold_path}:{line.lineno}: message_id {line.message_id!r} is not in {names}")
        text, box = texts[line.message_id]
        pairs, invalid = line.pairs, line.invalid
        missing = {p for p in pairs if p[0] not in text}
        if missing and keep_quotes:
            shown = ", ".join(f"{t!r} ({label})" for t, label in sorted(missing))
            raise DataFormatError(f"{gold_path}:{line.lineno}: not in the text of {line.message_id} in {box.name}: "
                                  f"{shown}")
        if missing:
            pairs, invalid = pairs - missing, invalid - missing
        if split is None or line.split == split:
            found.append((order[line.message_id],
                          MailGoldExample(line.message_id, line.split, text, pairs, invalid)))
    return [example for _, example in sorted(found, key=lambda item: item[0])]


# ---------------------------------------------------------------------------------------------
# scoring

_EDGE_SYMBOLS = frozenset("<>=|~^`")
"""Symbols stripped at the ends besides Unicode punctuation (P*). Currency signs, ``+`` and
``$`` are kept: ``€ 2.480,00`` and ``+39 02 ...`` keep their sign."""


def _edge(c: str) -> bool:
    return c.isspace() or c in _EDGE_SYMBOLS or unicodedata.category(c).startswith("P")


def normalize(text: str) -> str:
    """Unicode NFC, casefold, whitespace runs to one space, punctuation and spaces off both ends.

    Punctuation is any Unicode punctuation character (category P*: ``. , ; : ! ? ' " ( ) [ ]
    - _ / * @ # % & « »`` ...) plus ``< > = | ~ ^ ` ``; symbols such as ``€``, ``$`` and ``+``
    stay. Inner punctuation is kept (``S.p.A``, ``m.rossi@x.it``).
    """
    text = " ".join(unicodedata.normalize("NFC", text).casefold().split())
    start, end = 0, len(text)
    while start < end and _edge(text[start]):
        start += 1
    while end > start and _edge(text[end - 1]):
        end -= 1
    return text[start:end]


def entity_pairs(entities: Iterable[Any]) -> set[Pair]:
    """(text, label) pairs from entities: objects with ``text``/``label``, dicts, or tuples."""
    out: set[Pair] = set()
    for e in entities:
        if isinstance(e, tuple):
            text, label = e[0], e[1]
        elif isinstance(e, dict):
            text, label = e["text"], e["label"]
        else:
            text, label = e.text, e.label
        out.add((text, label))
    return out


def _normalised(pairs: Iterable[Pair], keep: frozenset[str] | None) -> set[Pair]:
    out = set()
    for text, label in pairs:
        if keep is not None and label not in keep:
            continue
        norm = normalize(text)
        if norm:
            out.add((norm, label))
    return out


def score_pairs(
    gold: Sequence[Iterable[Pair]],
    pred: Sequence[Iterable[Pair]],
    labels: Iterable[str] | None = None,
) -> dict[str, Any]:
    """Micro and per-label P/R/F1 of predicted (text, label) pairs against gold, message by message.

    ``gold[i]`` and ``pred[i]`` are the pairs of the i-th message. Texts are compared after
    :func:`normalize`, so each message contributes a set: duplicates (and spellings that
    normalise alike) count once; pairs that normalise to nothing are ignored. ``labels``
    restricts scoring to those labels (others, gold or predicted, are ignored) and fixes the
    order of ``per_label``, which lists every one of them, zero counts included; None scores
    every label seen, sorted.

    Returns ``{"labels": [...], "n_messages": n, "micro": {...}, "per_label": {label: {...}}}``
    where each score is :meth:`training.metrics.PRF.to_dict` (precision, recall, f1, tp, fp, fn,
    support, predicted, defined). Conventions are PRF's: a ratio with a zero denominator is 0.0.
    """
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold messages but {len(pred)} predictions")
    keep = None if labels is None else frozenset(labels)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    seen: set[str] = set()
    for g_pairs, p_pairs in zip(gold, pred, strict=True):
        g, p = _normalised(g_pairs, keep), _normalised(p_pairs, keep)
        for _, label in g & p:
            counts[label][0] += 1
        for _, label in p - g:
            counts[label][1] += 1
        for _, label in g - p:
            counts[label][2] += 1
        seen.update(label for _, label in g | p)
    ordered = list(dict.fromkeys(labels)) if labels is not None else sorted(seen)
    per_label = {label: PRF(*counts.get(label, (0, 0, 0))) for label in ordered}
    micro = sum(per_label.values(), PRF())
    return {
        "labels": ordered,
        "n_messages": len(gold),
        "micro": micro.to_dict(),
        "per_label": {label: prf.to_dict() for label, prf in per_label.items()},
    }


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def _row(name: str, d: dict[str, Any]) -> str:
    ratios = [_pct(d["precision"]), _pct(d["recall"]), _pct(d["f1"])] if d["defined"] else ["n/a"] * 3
    return f"| {name} | {' | '.join(ratios)} | {d['tp']} | {d['fp']} | {d['fn']} | {d['support']} |"


def render_markdown(result: dict[str, Any], title: str | None = None) -> str:
    """A Markdown table of a :func:`score_pairs` result: one row per label, then the micro total."""
    lines = [f"## {title}", ""] if title else []
    lines += [f"{result['n_messages']} messages; pairs of (normalised text, label) per message.", "",
              "| label | P | R | F1 | TP | FP | FN | support |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    lines += [_row(label, d) for label, d in result["per_label"].items()]
    lines.append(_row("**micro**", result["micro"]))
    return "\n".join(lines) + "\n"
