"""A self-contained HTML report of an output JSONL: each message with its entities highlighted.

The page has inline CSS only (no scripts, no network; a Content-Security-Policy forbids
both), every string from the records is HTML-escaped, and each entity placed in the text
is ``<mark class="ent ent-LABEL" data-label=".." data-start=".." data-end="..">text</mark>``
around exactly ``text[start:end]``. Entities that cannot be placed (no text in the record,
offsets that do not match, overlaps, header entities) are listed under the message instead.
Error records (those with a ``reason``) get a section of their own.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterable
from html import escape
from pathlib import Path
from typing import Any

LABEL_COLOURS: dict[str, str] = {
    "PER": "#ffd6a5",
    "ORG": "#bde0fe",
    "LOC": "#caffbf",
    "DATE": "#fdffb6",
    "MONEY": "#d0f4de",
    "EMAIL": "#e4c1f9",
    "PHONE": "#ffc8dd",
    "IBAN": "#a0c4ff",
    "CODICE_FISCALE": "#ffadad",
    "PARTITA_IVA": "#9bf6ff",
    "MISC": "#dddddd",
}
"""Background colour per label; other labels get a colour derived from their name."""

_HEADER_FIELDS = (
    ("from", "From"),
    ("date", "Date"),
    ("folder", "Folder"),
    ("message_id", "Message-ID"),
    ("source", "Source"),
    ("key", "Key"),
    ("model", "Model"),
    ("adapter", "Adapter"),
    ("schema", "Schema"),
)
_ERROR_FIELDS = ("source", "key", "stage", "reason", "message_id", "folder", "uid")

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:70rem;
  padding:0 1rem;color:#222;background:#fafafa}
h1{font-size:1.4rem}h2{font-size:1.15rem;margin-top:2rem}
.legend{display:flex;flex-wrap:wrap;gap:.4rem;margin:1rem 0;padding:0;list-style:none}
.legend li{padding:.15rem .5rem;border-radius:.3rem;font-size:.85rem}
.msg{background:#fff;border:1px solid #ddd;border-radius:.4rem;padding:1rem;margin:1rem 0}
.msg h3{margin:0 0 .5rem;font-size:1.05rem}
.meta{display:grid;grid-template-columns:max-content 1fr;gap:.1rem .8rem;font-size:.8rem;color:#555;margin:0 0 .6rem}
.meta dt{font-weight:600}.meta dd{margin:0;word-break:break-all}
.text{white-space:pre-wrap;word-wrap:break-word;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85rem;
  line-height:1.5;border-top:1px solid #eee;padding-top:.6rem}
mark.ent{padding:0 .1rem;border-radius:.2rem;color:inherit}
mark.ent::after{content:attr(data-label);font-size:.6rem;font-family:system-ui,sans-serif;vertical-align:super;
  margin-left:.15rem;color:#333;opacity:.75}
mark.ent.invalid{outline:2px dashed #c00}
table{border-collapse:collapse;font-size:.8rem;margin-top:.6rem}
td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left;vertical-align:top}
.errors td{word-break:break-all}
.none{color:#888;font-style:italic}
"""


def _label_class(label: str) -> str:
    """A CSS-safe class suffix for a label."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", label) or "_"


def label_colour(label: str) -> str:
    """The label's colour: :data:`LABEL_COLOURS`, else a pastel derived from its name."""
    if label in LABEL_COLOURS:
        return LABEL_COLOURS[label]
    hue = int(hashlib.sha256(label.encode("utf-8")).hexdigest()[:4], 16) % 360
    return f"hsl({hue},80%,85%)"


def _is_error(record: dict[str, Any]) -> bool:
    return "reason" in record and "entities" not in record


def _entities(record: dict[str, Any]) -> list[dict[str, Any]]:
    ents = record.get("entities")
    return [e for e in ents if isinstance(e, dict)] if isinstance(ents, list) else []


def _placeable(text: str, ents: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Entities that can be marked in ``text`` (offsets matching their text, no overlap), and the rest."""
    placed: list[dict[str, Any]] = []
    rest: list[dict[str, Any]] = []
    candidates = []
    for e in ents:
        start, end = e.get("start"), e.get("end")
        ok = (
            e.get("field") is None
            and isinstance(start, int) and isinstance(end, int)
            and 0 <= start < end <= len(text)
            and text[start:end] == e.get("text")
        )  # fmt: skip
        (candidates if ok else rest).append(e)
    last_end = 0
    for e in sorted(candidates, key=lambda e: (e["start"], -e["end"])):
        if e["start"] >= last_end:
            placed.append(e)
            last_end = e["end"]
        else:
            rest.append(e)
    return placed, rest


def _mark(e: dict[str, Any], text: str) -> str:
    label = str(e.get("label", ""))
    invalid = " invalid" if e.get("valid") is False else ""
    title = f"{label} (invalid)" if invalid else label
    return (
        f'<mark class="ent ent-{_label_class(label)}{invalid}" data-label="{escape(label)}" '
        f'data-start="{e["start"]}" data-end="{e["end"]}" title="{escape(title)}">'
        f"{escape(text[e['start'] : e['end']])}</mark>"
    )


def _highlight(text: str, placed: list[dict[str, Any]]) -> str:
    out: list[str] = []
    pos = 0
    for e in placed:
        out.append(escape(text[pos : e["start"]]))
        out.append(_mark(e, text))
        pos = e["end"]
    out.append(escape(text[pos:]))
    return "".join(out)


def _entity_table(ents: list[dict[str, Any]], caption: str) -> str:
    if not ents:
        return ""
    rows = []
    for e in ents:
        label = str(e.get("label", ""))
        where = e.get("field") or (f"{e.get('start')}–{e.get('end')}" if e.get("start") is not None else "not found")
        flags = [k for k in ("grounded", "valid") if e.get(k) is False]
        rows.append(
            f'<tr><td><span class="ent ent-{_label_class(label)}">{escape(label)}</span></td>'
            f"<td>{escape(str(e.get('text', '')))}</td><td>{escape(str(where))}</td>"
            f"<td>{escape(', '.join('not ' + f for f in flags))}</td></tr>"
        )
    return (
        f"<table><caption>{escape(caption)}</caption><tr><th>label</th><th>text</th><th>where</th><th></th></tr>"
        + "".join(rows)
        + "</table>"
    )


def _message_html(record: dict[str, Any], index: int) -> str:
    subject = record.get("subject") or "(no subject)"
    meta = "".join(
        f"<dt>{escape(name)}</dt><dd>{escape(str(record[key]))}</dd>"
        for key, name in _HEADER_FIELDS
        if record.get(key) not in (None, "")
    )
    ents = _entities(record)
    text = record.get("text")
    if isinstance(text, str):
        placed, rest = _placeable(text, ents)
        body = f'<div class="text">{_highlight(text, placed)}</div>'
        body += _entity_table(rest, "Other entities (header fields, offsets that do not match the text, overlaps)")
    else:
        body = _entity_table(ents, "Entities (the record has no text)") or '<p class="none">no entities</p>'
    return (
        f'<section class="msg" id="m{index}"><h3>{escape(str(subject))}</h3>'
        f'<dl class="meta">{meta}</dl>{body}</section>'
    )


def _errors_html(errors: list[dict[str, Any]]) -> str:
    if not errors:
        return ""
    head = "".join(f"<th>{escape(f)}</th>" for f in _ERROR_FIELDS)
    rows = "".join(
        "<tr>" + "".join(f"<td>{escape(str(r.get(f, '')))}</td>" for f in _ERROR_FIELDS) + "</tr>" for r in errors
    )
    return f'<h2 id="errors">Errors ({len(errors)})</h2><table class="errors"><tr>{head}</tr>{rows}</table>'


def _legend(counts: Counter[str]) -> str:
    items = "".join(
        f'<li class="ent-{_label_class(label)}" data-label="{escape(label)}">{escape(label)}: {n}</li>'
        for label, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    return f'<ul class="legend">{items}</ul>' if items else '<p class="none">no entities</p>'


def _label_css(labels: Iterable[str]) -> str:
    return "".join(f".ent-{_label_class(label)}{{background:{label_colour(label)}}}" for label in sorted(set(labels)))


def render_html(records: Iterable[dict[str, Any]], title: str = "Extracted entities") -> str:
    """The HTML page for output records (messages) and error records (with a ``reason``)."""
    messages: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for record in records:
        (errors if _is_error(record) else messages).append(record)
    counts: Counter[str] = Counter(str(e.get("label", "")) for r in messages for e in _entities(r))
    sections = "".join(_message_html(r, i) for i, r in enumerate(messages))
    summary = f"{len(messages)} messages, {sum(counts.values())} entities, {len(errors)} errors"
    sections = sections or '<p class="none">no messages</p>'
    return (
        '<!DOCTYPE html>\n<html lang="it"><head><meta charset="utf-8">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_CSS}{_label_css(counts)}</style></head><body>"
        f"<h1>{escape(title)}</h1><p>{escape(summary)}</p>{_legend(counts)}"
        f"<h2>Messages ({len(messages)})</h2>{sections}"
        f"{_errors_html(errors)}</body></html>\n"
    )


def read_records(path: Path) -> list[dict[str, Any]]:
    """Records of a JSONL file; a line that is not a JSON object becomes an error record."""
    records: list[dict[str, Any]] = []
    with open(path, encoding="utf-8", errors="replace") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                record = {"source": str(path), "key": f"line {n}", "stage": "view", "reason": f"invalid JSON: {exc}"}
            if not isinstance(record, dict):
                record = {"source": str(path), "key": f"line {n}", "stage": "view", "reason": "not a JSON object"}
            records.append(record)
    return records


def errors_path_for(jsonl_path: Path) -> Path:
    """Where a run writes the error records of ``out.jsonl``: ``out.errors.jsonl`` beside it."""
    return jsonl_path.with_name(jsonl_path.stem + ".errors.jsonl")


def write_view(jsonl_path: Path, out_path: Path) -> int:
    """Render ``jsonl_path`` (plus its ``.errors.jsonl`` sibling, if any) to ``out_path``, mode 0600.

    The file is written to a temporary file in the same folder and renamed into place.
    Returns the number of messages rendered.
    """
    jsonl_path, out_path = Path(jsonl_path), Path(out_path)
    records = read_records(jsonl_path)
    errors_file = errors_path_for(jsonl_path)
    if errors_file != jsonl_path and errors_file.is_file():
        records += [r for r in read_records(errors_file) if _is_error(r)]
    page = render_html(records, title=f"Entities: {jsonl_path.name}")
    _write_private(out_path, page)
    return sum(1 for r in records if not _is_error(r))


def _write_private(path: Path, content: str) -> None:
    """Write ``content`` to ``path`` readable by the owner only (0600), atomically."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(content)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
