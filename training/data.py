"""Loaders for gold NER data; every loader yields :class:`~training.examples.Example`.

Formats (tokens are joined by :func:`training.bio.detokenize`, spans keep exact offsets):

* IOB column files (:func:`read_iob`): ``token<TAB>tag`` as in KIND, or CoNLL-2003 with the
  token first and the tag last (space or tab separated, ``-DOCSTART-`` lines skipped).
  A blank line ends a sentence.
* WikiNEuRal ``.conllu`` (:func:`read_conllu`): ``index<TAB>token<TAB>tag``; ``#`` comments skipped.
* MultiNERD JSON lines (:func:`read_multinerd`): ``{"tokens": [...], "ner_tags": [ints]}`` plus
  a tag map id -> tag (string tags need no map).
* Word/entity-group CSV (:func:`read_entity_csv`), see its docstring for the columns.
* Our own JSONL export (:func:`read_export`): ``{"text": ..., "entities": [{text, label, start, end}]}``.

:func:`load_dataset` resolves a spec (``kind:WN_test``, ``wikineural:test`` or a file path).
"""

from __future__ import annotations

import csv
import itertools
import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from extractor.errors import InputError
from training.bio import detokenize, tags_to_spans, token_spans_to_char_spans
from training.examples import Example, Span

LabelMap = Mapping[str, str | None]
DATA_ENV = "EXTRACT_ENTITIES_DATA"


class DataFormatError(InputError, ValueError):
    """A data file does not have the shape its loader expects (message names file and line)."""


def example_from_tokens(
    tokens: Sequence[str],
    tags: Sequence[str],
    id: str,
    domain: str | None = None,
    label_map: LabelMap | None = None,
) -> Example:
    """Build an Example from parallel tokens and IOB tags."""
    if len(tokens) != len(tags):
        raise ValueError(f"{id}: {len(tokens)} tokens but {len(tags)} tags")
    text, offsets = detokenize(tokens)
    spans = token_spans_to_char_spans(tags_to_spans(tags, label_map), offsets)
    return Example(text=text, spans=tuple(spans), id=id, domain=domain, token_offsets=tuple(offsets))


def _prefix(path: Path, id_prefix: str | None) -> str:
    return path.name if id_prefix is None else id_prefix


def _read_columns(
    path: Path, token_col: int, *, id_prefix: str | None, domain: str | None, label_map: LabelMap | None
) -> Iterator[Example]:
    """Shared reader for one-token-per-line files: token in ``token_col``, tag in the last column."""
    prefix = _prefix(path, id_prefix)
    tokens: list[str] = []
    tags: list[str] = []
    n = 0
    with path.open(encoding="utf-8-sig", newline=None) as fh:
        for lineno, raw in enumerate(itertools.chain(fh, [""]), 1):
            line = raw.rstrip("\r\n")
            if line.strip() == "":
                if tokens:
                    yield example_from_tokens(tokens, tags, f"{prefix}:{n}", domain, label_map)
                    n += 1
                    tokens, tags = [], []
                continue
            if token_col > 0 and line.startswith("#"):
                continue
            cols = line.split("\t") if "\t" in line else line.split(" ")
            if cols[0] == "-DOCSTART-":
                continue
            if len(cols) < token_col + 2:
                raise DataFormatError(f"{path}:{lineno}: expected a token and a tag, got {line!r}")
            token = cols[token_col]
            if token == "":
                continue
            tokens.append(token)
            tags.append(cols[-1])


def read_iob(
    path: str | Path,
    *,
    id_prefix: str | None = None,
    domain: str | None = None,
    label_map: LabelMap | None = None,
) -> Iterator[Example]:
    """KIND TSV (``token<TAB>tag``) or CoNLL-2003 (``token pos chunk tag``); ids ``<id_prefix>:<i>``."""
    return _read_columns(Path(path), 0, id_prefix=id_prefix, domain=domain, label_map=label_map)


def read_conllu(
    path: str | Path,
    *,
    id_prefix: str | None = None,
    domain: str | None = None,
    label_map: LabelMap | None = None,
) -> Iterator[Example]:
    """WikiNEuRal ``index<TAB>token<TAB>tag`` files."""
    return _read_columns(Path(path), 1, id_prefix=id_prefix, domain=domain, label_map=label_map)


def _iter_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8-sig") as fh:
        for lineno, line in enumerate(fh, 1):
            if line.strip():
                record = json.loads(line)
                if not isinstance(record, dict):
                    raise DataFormatError(f"{path}:{lineno}: expected a JSON object")
                yield lineno, record


def _is_id(x: Any) -> bool:
    return isinstance(x, int) or (isinstance(x, str) and x.isdigit())


def normalize_tag_map(tag_map: Mapping[Any, Any]) -> dict[int, str]:
    """Accept id -> tag or tag -> id (as in tner's ``label.json``), with ids as ints or digit strings."""
    items = list(tag_map.items())
    values_are_ids = all(_is_id(v) for _, v in items)
    if items and values_are_ids and not all(_is_id(k) for k, _ in items):
        items = [(v, k) for k, v in items]
    return {int(k): str(v) for k, v in items}


def read_multinerd(
    path: str | Path,
    tag_map: Mapping[Any, Any] | None = None,
    *,
    id_prefix: str | None = None,
    domain: str | None = None,
    label_map: LabelMap | None = None,
) -> Iterator[Example]:
    """MultiNERD-style JSON lines: ``tokens`` and ``ner_tags`` (ints resolved with ``tag_map``).

    ``tag_map`` maps id -> tag (``{0: "O", 1: "B-PER", ...}``); the inverse direction and
    string keys are accepted too. It may be omitted when ``ner_tags`` are already strings.
    """
    path = Path(path)
    prefix = _prefix(path, id_prefix)
    id_to_tag = normalize_tag_map(tag_map) if tag_map is not None else None
    for n, (lineno, record) in enumerate(_iter_jsonl(path)):
        tokens, raw_tags = record.get("tokens"), record.get("ner_tags", record.get("tags"))
        if not isinstance(tokens, list) or not isinstance(raw_tags, list):
            raise DataFormatError(f"{path}:{lineno}: need 'tokens' and 'ner_tags' lists")
        tags: list[str] = []
        for t in raw_tags:
            if isinstance(t, str) and not t.isdigit():
                tags.append(t)
            elif id_to_tag is None:
                raise DataFormatError(f"{path}:{lineno}: integer ner_tags need a tag map (id -> tag)")
            elif int(t) not in id_to_tag:
                raise DataFormatError(f"{path}:{lineno}: tag id {t} not in the tag map")
            else:
                tags.append(id_to_tag[int(t)])
        yield example_from_tokens(tokens, tags, f"{prefix}:{n}", domain, label_map)


CSV_WORD_COLUMNS = ("word", "words", "token", "tokens", "text")
CSV_TAG_COLUMNS = ("entity_group", "entity_groups", "group", "tag", "tags", "ner_tag", "ner_tags", "label", "ner")
CSV_SENTENCE_COLUMNS = ("sentence_id", "sentence #", "sentence", "sent_id", "sentence_idx", "id")


def _pick(header: Sequence[str], names: Sequence[str]) -> int | None:
    lowered = [h.strip().lower() for h in header]
    for name in names:
        if name in lowered:
            return lowered.index(name)
    return None


def read_entity_csv(
    path: str | Path,
    *,
    id_prefix: str | None = None,
    domain: str | None = None,
    label_map: LabelMap | None = None,
) -> Iterator[Example]:
    """One word per row with its entity group.

    Accepted columns (header names, case-insensitive; first match wins):
    word: ``word, words, token, tokens, text``; group: ``entity_group, entity_groups, group,
    tag, tags, ner_tag, ner_tags, label, ner``; optional sentence id: ``sentence_id,
    Sentence #, sentence, sent_id, sentence_idx, id``. Without a recognised header the first
    column is the word and the last the group. Delimiter ``,`` ``;`` or TAB (sniffed).

    Groups are IOB tags (``B-PER``) or bare groups (``PER``, consecutive equal groups form one
    entity); ``O`` or empty is outside. A sentence ends at an empty row or when the sentence
    id changes to another non-empty value (an empty id continues the current sentence, as in
    the Kaggle ``ner_dataset.csv``).
    """
    path = Path(path)
    prefix = _prefix(path, id_prefix)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        sample = fh.read(8192)
        fh.seek(0)
        try:
            dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        rows = list(csv.reader(fh, dialect))
    if not rows:
        return
    header = rows[0]
    word_col, tag_col = _pick(header, CSV_WORD_COLUMNS), _pick(header, CSV_TAG_COLUMNS)
    if word_col is None or tag_col is None:
        word_col, tag_col, sent_col, body = 0, -1, None, rows
    else:
        sent_col, body = _pick(header, CSV_SENTENCE_COLUMNS), rows[1:]
    tokens: list[str] = []
    tags: list[str] = []
    current: str | None = None
    n = 0
    for row in [*body, []]:
        blank = not any(cell.strip() for cell in row)
        sid = row[sent_col].strip() if sent_col is not None and sent_col < len(row) else ""
        if tokens and (blank or (sid and sid != current)):
            yield example_from_tokens(tokens, tags, f"{prefix}:{n}", domain, label_map)
            n += 1
            tokens, tags = [], []
        if blank:
            current = None
            continue
        if sid:
            current = sid
        word = row[word_col] if word_col < len(row) else ""
        if word == "":
            continue
        tag_at = tag_col if tag_col >= 0 else len(row) - 1
        tokens.append(word)
        tags.append(row[tag_at] if tag_at < len(row) and tag_at != word_col else "O")


def read_export(
    path: str | Path,
    *,
    id_prefix: str | None = None,
    domain: str | None = None,
    label_map: LabelMap | None = None,
) -> Iterator[Example]:
    """Our JSONL export: ``text`` plus ``entities`` with ``label``, ``start``, ``end``.

    Entities whose ``start`` or ``end`` is None (not grounded in the text) are skipped. A
    record's own ``domain`` field is used when ``domain`` is not given.
    """
    path = Path(path)
    prefix = _prefix(path, id_prefix)
    for n, (lineno, record) in enumerate(_iter_jsonl(path)):
        text = record.get("text")
        if not isinstance(text, str):
            raise DataFormatError(f"{path}:{lineno}: record has no 'text' string (export with the text included)")
        spans: list[Span] = []
        for ent in record.get("entities") or []:
            start, end = ent.get("start"), ent.get("end")
            if start is None or end is None:
                continue
            label = ent.get("label")
            if not isinstance(label, str):
                raise DataFormatError(f"{path}:{lineno}: entity without a 'label' string")
            if label_map is not None:
                label = label_map.get(label, label)
            if label is None:
                continue
            if not 0 <= start < end <= len(text):
                raise DataFormatError(f"{path}:{lineno}: entity offsets {start}:{end} outside the text")
            spans.append(Span(int(start), int(end), str(label)))
        yield Example(text=text, spans=tuple(spans), id=f"{prefix}:{n}", domain=domain or record.get("domain"))


def default_data_root() -> Path:
    """``$EXTRACT_ENTITIES_DATA`` if set, else ``../shared/data`` from the current directory."""
    env = os.environ.get(DATA_ENV)
    return Path(env) if env else Path.cwd() / ".." / "shared" / "data"


WIKINEURAL_SPLITS = {"val": "val", "dev": "val", "validation": "val", "test": "test", "train": "train"}


def _first_record(path: Path) -> dict[str, Any]:
    for _, record in _iter_jsonl(path):
        return record
    return {}


def _sidecar_tag_map(path: Path) -> dict[int, str] | None:
    for candidate in (path.with_suffix(".labels.json"), path.parent / "label.json"):
        if candidate.is_file():
            return normalize_tag_map(json.loads(candidate.read_text(encoding="utf-8")))
    return None


def _resolve(spec: str, root: Path | str | None) -> tuple[Path, str, str | None, bool]:
    """Map a spec to (file, format, domain, whether it is a named dataset under the data root)."""
    name, sep, rest = spec.partition(":")
    if sep and name in ("kind", "wikineural"):
        base = Path(root) if root is not None else default_data_root()
        if name == "kind":
            return base / "kind" / f"{rest}.tsv", "iob", rest.split("_")[0], True
        split = WIKINEURAL_SPLITS.get(rest, rest)
        return base / "wikineural_it" / f"{split}.conllu", "conllu", None, True
    path = Path(spec)
    fmt = {".tsv": "iob", ".conll": "iob", ".txt": "iob", ".iob": "iob", ".conllu": "conllu", ".jsonl": "jsonl",
           ".csv": "csv"}.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"cannot tell the format of {spec!r}: use kind:<name>, wikineural:<split> or a "
                         ".tsv/.conll/.txt/.conllu/.jsonl/.csv file")
    return path, fmt, None, False


def load_dataset(
    spec: str,
    data_root: Path | str | None = None,
    limit: int | None = None,
    *,
    label_map: LabelMap | None = None,
    tag_map: Mapping[Any, Any] | None = None,
) -> list[Example]:
    """Load the first ``limit`` examples (all when None) of a dataset spec.

    * ``kind:WN_test`` -> ``<data_root>/kind/WN_test.tsv`` with domain ``WN`` (``kind:FIC_dev``...);
    * ``wikineural:test`` -> ``<data_root>/wikineural_it/test.conllu`` (``val``, alias ``dev``);
    * a file path: ``.tsv/.conll/.txt`` IOB, ``.conllu``, ``.jsonl`` (our export when records
      have ``text``, MultiNERD when they have ``tokens``; a MultiNERD tag map comes from
      ``tag_map``, ``<file>.labels.json`` or ``label.json`` beside it), ``.csv``.

    ``data_root`` defaults to ``$EXTRACT_ENTITIES_DATA``, else ``../shared/data`` relative to the
    current directory. Example ids are ``<spec>:<index>``. Missing files raise FileNotFoundError.
    """
    if limit is not None and limit < 0:
        raise ValueError("limit must be >= 0")
    path, fmt, domain, named = _resolve(spec, data_root)
    if not path.is_file():
        hint = f"; pass data_root or set ${DATA_ENV} (default: ../shared/data from the current directory)"
        raise FileNotFoundError(f"dataset {spec!r}: {path} not found{hint if named else ''}")
    kwargs: dict[str, Any] = {"id_prefix": spec, "domain": domain, "label_map": label_map}
    examples: Iterable[Example]
    if fmt == "iob":
        examples = read_iob(path, **kwargs)
    elif fmt == "conllu":
        examples = read_conllu(path, **kwargs)
    elif fmt == "csv":
        examples = read_entity_csv(path, **kwargs)
    else:
        first = _first_record(path)
        if "tokens" in first:
            examples = read_multinerd(path, tag_map if tag_map is not None else _sidecar_tag_map(path), **kwargs)
        elif "text" in first or not first:
            examples = read_export(path, **kwargs)
        else:
            raise DataFormatError(f"{path}: JSONL records have neither 'text' (an export with the message text "
                                  "included) nor 'tokens' (MultiNERD)")
    return list(itertools.islice(examples, limit))
