"""Loaders of gold NER data: offsets, tag quirks, formats, dataset specs, and the real KIND/WikiNEuRal files."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from data_paths import require_shared_file
from seqeval.metrics.sequence_labeling import get_entities

from training.bio import detokenize, spans_to_bio, tags_to_spans
from training.data import (
    example_from_tokens,
    load_dataset,
    read_conllu,
    read_entity_csv,
    read_export,
    read_iob,
    read_multinerd,
)
from training.examples import Example, Span

# --- detokenisation -------------------------------------------------------------------------

DETOK_CASES = [
    ("plain", ["Mario", "Rossi", "vive"], "Mario Rossi vive"),
    ("apostrophe", ["dell'", "Università", "di", "Roma"], "dell'Università di Roma"),
    ("curly apostrophe", ["l’", "uomo", "e", "un’", "altra"], "l’uomo e un’altra"),
    ("capital elision", ["L'", "Aquila"], "L'Aquila"),
    ("closing punctuation", ["Roma", ",", "Milano", ";", "Napoli", ":", "sì", "!", "no", "?", "fine", "."],
     "Roma, Milano; Napoli: sì! no? fine."),
    ("brackets", ["(", "ANSA", ")", "Milano", "[", "1", "]", "{", "x", "}"], "(ANSA) Milano [1] {x}"),
    ("guillemets", ["disse", "«", "Ciao", "»", "."], "disse «Ciao»."),
    ("ellipsis", ["Beh", "...", "forse", "…"], "Beh... forse…"),
    ("lone apostrophe keeps spaces", ["anni", "'", "80"], "anni ' 80"),
    ("truncation po'", ["un", "po'", "di", "più"], "un po' di più"),
    ("truncation de'", ["Lorenzo", "de'", "Medici"], "Lorenzo de' Medici"),
    ("empty", [], ""),
]


@pytest.mark.parametrize(("tokens", "expected"), [c[1:] for c in DETOK_CASES], ids=[c[0] for c in DETOK_CASES])
def test_detokenize(tokens: list[str], expected: str) -> None:
    text, offsets = detokenize(tokens)
    assert text == expected
    assert [text[a:b] for a, b in offsets] == tokens


# --- tag decoding ---------------------------------------------------------------------------

TAG_CASES = [
    ("iob2", ["B-PER", "I-PER", "O", "B-LOC"], None, [(0, 2, "PER"), (3, 4, "LOC")]),
    ("I without B at start", ["I-LOC"], None, [(0, 1, "LOC")]),
    ("I without B after O", ["O", "I-LOC", "I-LOC", "O"], None, [(1, 3, "LOC")]),
    ("I of another type", ["B-PER", "I-LOC"], None, [(0, 1, "PER"), (1, 2, "LOC")]),
    ("adjacent B", ["B-PER", "B-PER", "I-PER"], None, [(0, 1, "PER"), (1, 3, "PER")]),
    ("iob1", ["I-PER", "I-PER", "B-PER", "O", "I-ORG"], None, [(0, 2, "PER"), (2, 3, "PER"), (4, 5, "ORG")]),
    ("iobes", ["S-PER", "B-ORG", "E-ORG", "E-LOC", "I-LOC"], None, [(0, 1, "PER"), (1, 3, "ORG"), (3, 4, "LOC"),
                                                                     (4, 5, "LOC")]),
    ("bare io", ["PER", "PER", "O", "LOC"], None, [(0, 2, "PER"), (3, 4, "LOC")]),
    ("drop MISC", ["B-MISC", "I-MISC", "B-PER"], {"MISC": None}, [(2, 3, "PER")]),
    ("rename", ["B-PERSON", "O"], {"PERSON": "PER"}, [(0, 1, "PER")]),
    ("all O", ["O", "O"], None, []),
]


@pytest.mark.parametrize(("tags", "label_map", "expected"), [c[1:] for c in TAG_CASES], ids=[c[0] for c in TAG_CASES])
def test_tags_to_spans(tags: list[str], label_map: dict[str, str | None] | None, expected: list) -> None:
    assert tags_to_spans(tags, label_map) == expected


def test_example_from_tokens_offsets_are_exact() -> None:
    ex = example_from_tokens(
        ["Studia", "all'", "Università", "di", "Bologna", "(", "UniBo", ")", "."],
        ["O", "O", "B-ORG", "I-ORG", "I-ORG", "O", "B-ORG", "O", "O"],
        "x:0",
    )
    assert ex.text == "Studia all'Università di Bologna (UniBo)."
    assert [(ex.span_text(s), s.label) for s in ex.spans] == [("Università di Bologna", "ORG"), ("UniBo", "ORG")]
    assert spans_to_bio(ex.text, ex.spans, ex.token_offsets)[1][2:5] == ["B-ORG", "I-ORG", "I-ORG"]


def test_example_rejects_span_outside_text() -> None:
    with pytest.raises(ValueError):
        Example(text="abc", spans=(Span(1, 5, "PER"),), id="x")
    with pytest.raises(ValueError):
        Span(3, 3, "PER")


# --- loaders on inline fixtures -------------------------------------------------------------

KIND_TSV = (
    "Il\tO\npresidente\tO\ndell'\tO\nUniversità\tB-ORG\ndi\tI-ORG\nPadova\tI-ORG\n,\tO\n"
    "Mario\tB-PER\nRossi\tI-PER\n.\tO\n\nToronto\tI-LOC\n\n"
)
CONLL2003 = (
    "-DOCSTART- -X- -X- O\n\nEU NNP B-NP I-ORG\nrejects VBZ B-VP O\nGerman JJ B-NP I-MISC\ncall NN I-NP O\n"
    ". . O O\n\nPeter NNP B-NP I-PER\nBlackburn NNP I-NP I-PER\n"
)
CONLLU = "0\tSi\tO\n1\tstabilì\tO\n2\tad\tO\n3\tAmburgo\tB-LOC\n4\t(\tO\n5\tGermania\tB-LOC\n6\t)\tO\n\n0\tBach\tB-PER\n"


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def _summary(examples: list[Example]) -> list[tuple[str, list[tuple[str, str]]]]:
    return [(ex.text, [(ex.span_text(s), s.label) for s in ex.spans]) for ex in examples]


def test_read_iob_kind(tmp_path: Path) -> None:
    examples = list(read_iob(_write(tmp_path, "k.tsv", KIND_TSV), id_prefix="k", domain="WN"))
    assert _summary(examples) == [
        ("Il presidente dell'Università di Padova, Mario Rossi.",
         [("Università di Padova", "ORG"), ("Mario Rossi", "PER")]),
        ("Toronto", [("Toronto", "LOC")]),
    ]
    assert [ex.id for ex in examples] == ["k:0", "k:1"]
    assert {ex.domain for ex in examples} == {"WN"}


def test_read_iob_conll2003(tmp_path: Path) -> None:
    examples = list(read_iob(_write(tmp_path, "c.txt", CONLL2003), label_map={"MISC": None}))
    assert _summary(examples) == [
        ("EU rejects German call.", [("EU", "ORG")]),
        ("Peter Blackburn", [("Peter Blackburn", "PER")]),
    ]
    assert examples[0].id == "c.txt:0"


def test_read_iob_crlf_and_bom(tmp_path: Path) -> None:
    path = _write(tmp_path, "w.tsv", ("\ufeff" + KIND_TSV.replace("\n", "\r\n")).encode("utf-8"))
    assert _summary(list(read_iob(path))) == _summary(list(read_iob(_write(tmp_path, "u.tsv", KIND_TSV))))


def test_read_iob_rejects_line_without_tag(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="expected a token and a tag"):
        list(read_iob(_write(tmp_path, "bad.tsv", "Roma\tB-LOC\nMilano\n")))


def test_read_conllu(tmp_path: Path) -> None:
    path = _write(tmp_path, "t.conllu", "# comment\n" + CONLLU)
    assert _summary(list(read_conllu(path))) == [
        ("Si stabilì ad Amburgo (Germania)", [("Amburgo", "LOC"), ("Germania", "LOC")]),
        ("Bach", [("Bach", "PER")]),
    ]


MULTINERD_MAP = {0: "O", 1: "B-PER", 2: "I-PER", 3: "B-ORG", 4: "I-ORG", 5: "B-LOC", 6: "I-LOC"}
MULTINERD_CASES = [
    ("id to tag", [1, 2, 0, 5], MULTINERD_MAP),
    ("string keys", [1, 2, 0, 5], {str(k): v for k, v in MULTINERD_MAP.items()}),
    ("tag to id", [1, 2, 0, 5], {v: k for k, v in MULTINERD_MAP.items()}),
    ("string tags", ["B-PER", "I-PER", "O", "B-LOC"], None),
]


@pytest.mark.parametrize(("tags", "tag_map"), [c[1:] for c in MULTINERD_CASES], ids=[c[0] for c in MULTINERD_CASES])
def test_read_multinerd(tmp_path: Path, tags: list, tag_map: dict | None) -> None:
    record = {"tokens": ["Dante", "Alighieri", "nacque", "Firenze"], "ner_tags": tags, "lang": "it"}
    path = _write(tmp_path, "m.jsonl", json.dumps(record) + "\n\n")
    assert _summary(list(read_multinerd(path, tag_map))) == [
        ("Dante Alighieri nacque Firenze", [("Dante Alighieri", "PER"), ("Firenze", "LOC")])
    ]


def test_read_multinerd_int_tags_need_a_map(tmp_path: Path) -> None:
    path = _write(tmp_path, "m.jsonl", json.dumps({"tokens": ["a"], "ner_tags": [1]}) + "\n")
    with pytest.raises(ValueError, match="tag map"):
        list(read_multinerd(path))


CSV_CASES = [
    ("header, empty row separates", "word,entity_group\nMario,B-PER\nRossi,I-PER\nvive,O\n,\nRoma,B-LOC\n"),
    ("sentence id column, blank continues",
     "Sentence #,Word,POS,Tag\nSentence: 1,Mario,NNP,B-PER\n,Rossi,NNP,I-PER\n,vive,VB,O\nSentence: 2,Roma,NNP,B-LOC\n"),
    ("bare groups", "sentence_id;token;label\n1;Mario;PER\n1;Rossi;PER\n1;vive;O\n2;Roma;LOC\n"),
    ("no header, tabs", "Mario\tB-PER\nRossi\tI-PER\nvive\tO\n\nRoma\tB-LOC\n"),
    ("numeric sentence ids", "sentence_id,word,tag\n1,Mario,B-PER\n1,Rossi,I-PER\n1,vive,O\n2,Roma,B-LOC\n"),
]


@pytest.mark.parametrize("content", [c[1] for c in CSV_CASES], ids=[c[0] for c in CSV_CASES])
def test_read_entity_csv(tmp_path: Path, content: str) -> None:
    examples = _summary(list(read_entity_csv(_write(tmp_path, "e.csv", content))))
    assert examples == [("Mario Rossi vive", [("Mario Rossi", "PER")]), ("Roma", [("Roma", "LOC")])]


def test_read_entity_csv_punctuation_word(tmp_path: Path) -> None:
    content = 'word,entity_group\nRoma,B-LOC\n",",O\nMilano,B-LOC\n.,O\n'
    assert _summary(list(read_entity_csv(_write(tmp_path, "p.csv", content)))) == [
        ("Roma, Milano.", [("Roma", "LOC"), ("Milano", "LOC")])
    ]


def test_read_export(tmp_path: Path) -> None:
    records = [
        {"text": "Scrivi a Mario Rossi a Roma", "domain": "email", "entities": [
            {"text": "Mario Rossi", "label": "PER", "start": 9, "end": 20},
            {"text": "ACME", "label": "ORG", "start": None, "end": None},
            {"text": "Roma", "label": "LOC", "start": 23, "end": 27},
        ]},
        {"text": "niente", "entities": []},
    ]
    path = _write(tmp_path, "x.jsonl", "\n".join(json.dumps(r) for r in records) + "\n")
    examples = list(read_export(path, label_map={"LOC": None}))
    assert _summary(examples) == [("Scrivi a Mario Rossi a Roma", [("Mario Rossi", "PER")]), ("niente", [])]
    assert [ex.domain for ex in examples] == ["email", None]


def test_read_export_rejects_offsets_outside_text(tmp_path: Path) -> None:
    path = _write(tmp_path, "x.jsonl", json.dumps({"text": "ab", "entities": [{"label": "PER", "start": 0,
                                                                              "end": 9}]}))
    with pytest.raises(ValueError, match="outside"):
        list(read_export(path))


# --- dataset specs --------------------------------------------------------------------------


@pytest.fixture
def data_root(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    (root / "kind").mkdir(parents=True)
    (root / "wikineural_it").mkdir()
    (root / "kind" / "WN_test.tsv").write_text(KIND_TSV, encoding="utf-8")
    (root / "kind" / "FIC_test.tsv").write_text("Renzo\tB-PER\n\nLucia\tB-PER\n\n", encoding="utf-8")
    (root / "wikineural_it" / "test.conllu").write_text(CONLLU, encoding="utf-8")
    (root / "wikineural_it" / "val.conllu").write_text(CONLLU, encoding="utf-8")
    return root


SPEC_CASES = [
    ("kind WN", "kind:WN_test", 2, "WN", "kind:WN_test:0"),
    ("kind FIC", "kind:FIC_test", 2, "FIC", "kind:FIC_test:0"),
    ("wikineural test", "wikineural:test", 2, None, "wikineural:test:0"),
    ("wikineural dev alias", "wikineural:dev", 2, None, "wikineural:dev:0"),
]


@pytest.mark.parametrize(("spec", "n", "domain", "first_id"), [c[1:] for c in SPEC_CASES],
                         ids=[c[0] for c in SPEC_CASES])
def test_load_dataset_named(data_root: Path, spec: str, n: int, domain: str | None, first_id: str) -> None:
    examples = load_dataset(spec, data_root)
    assert len(examples) == n
    assert examples[0].id == first_id
    assert {ex.domain for ex in examples} == {domain}


def test_load_dataset_env_and_limit(data_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXTRACT_ENTITIES_DATA", str(data_root))
    assert [ex.id for ex in load_dataset("kind:WN_test", limit=1)] == ["kind:WN_test:0"]
    assert load_dataset("kind:WN_test", limit=0) == []
    assert load_dataset("kind:WN_test", limit=1) == load_dataset("kind:WN_test")[:1]


def test_load_dataset_default_root_is_relative_to_cwd(data_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EXTRACT_ENTITIES_DATA", raising=False)
    (data_root.parent / "shared").mkdir()
    data_root.rename(data_root.parent / "shared" / "data")
    workdir = data_root.parent / "main"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    assert len(load_dataset("kind:FIC_test")) == 2


MISSING_CASES = [
    ("missing kind split", "kind:WN_nope", "EXTRACT_ENTITIES_DATA"),
    ("missing file", "nope/absent.tsv", "absent.tsv"),
]


@pytest.mark.parametrize(("spec", "message"), [c[1:] for c in MISSING_CASES], ids=[c[0] for c in MISSING_CASES])
def test_load_dataset_missing(data_root: Path, spec: str, message: str) -> None:
    with pytest.raises(FileNotFoundError, match=message):
        load_dataset(spec, data_root)


def test_load_dataset_unknown_extension(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="format"):
        load_dataset(str(_write(tmp_path, "x.parquet", "")))


FILE_CASES = [
    ("tsv", "a.tsv", KIND_TSV, "Toronto"),
    ("conll", "a.conll", CONLL2003, "Peter Blackburn"),
    ("txt", "a.txt", CONLL2003, "Peter Blackburn"),
    ("conllu", "a.conllu", CONLLU, "Bach"),
    ("csv", "a.csv", "word,tag\nMario,B-PER\n\nToronto,B-LOC\n", "Toronto"),
    ("jsonl export", "a.jsonl", json.dumps({"text": "x"}) + "\n" + json.dumps({"text": "Toronto", "entities": [
        {"text": "Toronto", "label": "LOC", "start": 0, "end": 7}]}) + "\n", "Toronto"),
    ("jsonl multinerd", "a.jsonl", json.dumps({"tokens": ["x"], "ner_tags": ["O"]}) + "\n"
     + json.dumps({"tokens": ["Toronto"], "ner_tags": ["B-LOC"]}) + "\n", "Toronto"),
]


@pytest.mark.parametrize(("name", "content", "last_text"), [c[1:] for c in FILE_CASES], ids=[c[0] for c in FILE_CASES])
def test_load_dataset_by_extension(tmp_path: Path, name: str, content: str, last_text: str) -> None:
    path = _write(tmp_path, name, content)
    examples = load_dataset(str(path))
    assert examples[-1].text == last_text
    assert examples[0].id == f"{path}:0"


def test_load_dataset_multinerd_sidecar_tag_map(tmp_path: Path) -> None:
    path = _write(tmp_path, "it.jsonl", json.dumps({"tokens": ["Dante", "Alighieri"], "ner_tags": [1, 2]}) + "\n")
    with pytest.raises(ValueError, match="tag map"):
        load_dataset(str(path))
    _write(tmp_path, "label.json", json.dumps({"O": 0, "B-PER": 1, "I-PER": 2}))
    assert _summary(load_dataset(str(path))) == [("Dante Alighieri", [("Dante Alighieri", "PER")])]


# --- the real shared data -------------------------------------------------------------------

# (file, sentences, per-label entity counts) from ../shared/data/README.md
REAL_CASES = [
    pytest.param(("kind", "WN_test.tsv"), 2088, {"PER": 1382, "LOC": 868, "ORG": 1257}, id="WN_test"),
    pytest.param(("kind", "FIC_test.tsv"), 1517, {"PER": 410, "LOC": 37, "ORG": 1}, id="FIC_test"),
    pytest.param(("kind", "WN_dev.tsv"), 2594, {"PER": 1075, "LOC": 1245, "ORG": 1076}, id="WN_dev"),
    pytest.param(("kind", "FIC_dev.tsv"), 1051, {"PER": 412, "LOC": 417, "ORG": 202}, id="FIC_dev"),
    pytest.param(("kind", "WN_train.tsv"), 10912, {"PER": 5325, "LOC": 4800, "ORG": 4454},
                 marks=pytest.mark.slow, id="WN_train"),
    pytest.param(("kind", "FIC_train.tsv"), 11423, {"PER": 3177, "LOC": 587, "ORG": 137},
                 marks=pytest.mark.slow, id="FIC_train"),
    pytest.param(("wikineural_it", "test.conllu"), 11069,
                 {"PER": 8385, "LOC": 9788, "ORG": 2229, "MISC": 2396}, marks=pytest.mark.slow, id="wikineural_test"),
    pytest.param(("wikineural_it", "val.conllu"), 11050,
                 {"PER": 6222, "LOC": 11100, "ORG": 1493, "MISC": 2201}, marks=pytest.mark.slow, id="wikineural_val"),
]


def _raw_sentences(path: Path) -> list[tuple[list[str], list[str]]]:
    """Independent minimal reader: token is the next-to-last column, tag the last."""
    sentences: list[tuple[list[str], list[str]]] = []
    tokens: list[str] = []
    tags: list[str] = []
    for line in [*path.read_text(encoding="utf-8").split("\n"), ""]:
        if not line:
            if tokens:
                sentences.append((tokens, tags))
            tokens, tags = [], []
            continue
        cols = line.split("\t")
        tokens.append(cols[-2])
        tags.append(cols[-1])
    return sentences


@pytest.mark.parametrize(("parts", "n_sentences", "counts"), REAL_CASES)
def test_real_data(parts: tuple[str, str], n_sentences: int, counts: dict[str, int]) -> None:
    path = require_shared_file(*parts)
    examples = list(read_iob(path) if path.suffix == ".tsv" else read_conllu(path))
    raw = _raw_sentences(path)
    assert len(examples) == len(raw) == n_sentences
    assert Counter(s.label for ex in examples for s in ex.spans) == Counter(counts)
    for ex, (tokens, tags) in zip(examples, raw, strict=True):
        assert ex.tokens == tokens
        assert ex.token_offsets is not None
        expected = {(ex.token_offsets[s][0], ex.token_offsets[e][1], t) for t, s, e in get_entities(tags)}
        assert {(s.start, s.end, s.label) for s in ex.spans} == expected
        start_of = {a: i for i, (a, _) in enumerate(ex.token_offsets)}
        end_of = {b: i for i, (_, b) in enumerate(ex.token_offsets)}
        for span in ex.spans:
            first, last = start_of[span.start], end_of[span.end]
            assert ex.span_text(span) == detokenize(tokens[first : last + 1])[0]
            assert ex.span_text(span).replace(" ", "") == "".join(tokens[first : last + 1])


def test_real_kind_specs() -> None:
    """The README's entity totals through load_dataset: WN_test = 3507, FIC_test = 448."""
    root = require_shared_file("kind", "WN_test.tsv").parent.parent
    for spec, total, domain in (("kind:WN_test", 3507, "WN"), ("kind:FIC_test", 448, "FIC")):
        examples = load_dataset(spec, root)
        assert sum(len(ex.spans) for ex in examples) == total
        assert {ex.domain for ex in examples} == {domain}
        assert examples[5].id == f"{spec}:5"
        assert any(re.search(r"\b[Dd]ell['’]\w", ex.text) for ex in examples)
        assert not any(re.search(r"\b[Dd]ell['’] ", ex.text) for ex in examples)
