"""The e-mail gold set in examples/gold and its loader/scorer (training.mail_gold)."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import sys
from pathlib import Path

import pytest

from training.data import DataFormatError
from training.mail_gold import (
    MailGoldExample,
    entity_pairs,
    load_mail_gold,
    normalize,
    render_markdown,
    score_pairs,
)

REPO = Path(__file__).resolve().parents[1]
GOLD_DIR = REPO / "examples" / "gold"
LABELS = ("PER", "ORG", "LOC", "DATE", "MONEY", "EMAIL", "PHONE", "IBAN", "CODICE_FISCALE", "PARTITA_IVA")


# ---------------------------------------------------------------------------------------------
# normalize

NORMALIZE_CASES = [
    ("spaces collapsed and trimmed", "  Mario   Rossi ", "mario rossi"),
    ("brackets and comma off the ends", "(Mario Rossi),", "mario rossi"),
    ("angle brackets around an address", "<m.rossi@example.it>", "m.rossi@example.it"),
    ("inner dots kept, final dot stripped", "Tessiture Riva S.p.A.", "tessiture riva s.p.a"),
    ("euro sign kept, final dot stripped", "€ 2.480,00.", "€ 2.480,00"),
    ("plus prefix kept", "+39 02 1234 5678", "+39 02 1234 5678"),
    ("dollar sign kept", "$950", "$950"),
    ("no-break space is whitespace", "Ferri\u00a0Impianti", "ferri impianti"),
    ("line break and tab collapse", "\t IT60 X054\n2811 \n", "it60 x054 2811"),
    ("NFC composes a combining accent", "Citta\u0300", "città"),
    ("casefold, not lower", "KAISERSTRAẞE", "kaiserstrasse"),
    ("guillemets", "«Comune di Bergamo»", "comune di bergamo"),
    ("dash and colon at the ends", "- Tel.: ", "tel"),
    ("punctuation only becomes empty", " ... ", ""),
    ("inner punctuation untouched", "Sig.ra", "sig.ra"),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in NORMALIZE_CASES], ids=[c[0] for c in NORMALIZE_CASES])
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


# ---------------------------------------------------------------------------------------------
# score_pairs

A, B, C, D, E = ("Mario Rossi", "PER"), ("Ferri Impianti S.r.l.", "ORG"), ("Bergamo", "LOC"), ("Lecco", "LOC"), \
    ("03/11/2025", "DATE")

SCORE_CASES = [
    # name, gold, pred, labels, expected micro (tp, fp, fn), expected per-label {label: (tp, fp, fn)}
    ("perfect", [{A}], [{A}], None, (1, 0, 0), {"PER": (1, 0, 0)}),
    ("normalised texts match",
     [{A, ("€ 2.480,00", "MONEY")}], [{("mario  rossi.", "PER"), ("€ 2.480,00 ", "MONEY")}], None,
     (2, 0, 0), {"MONEY": (1, 0, 0), "PER": (1, 0, 0)}),
    ("wrong label is one fp and one fn", [{C}], [{("Bergamo", "ORG")}], None,
     (0, 1, 1), {"LOC": (0, 0, 1), "ORG": (0, 1, 0)}),
    ("no partial credit for a shorter span", [{("Viale Papa Giovanni XXIII 48", "LOC")}],
     [{("Viale Papa Giovanni XXIII", "LOC")}], None, (0, 1, 1), {"LOC": (0, 1, 1)}),
    ("two messages", [{A, B, C}, {E}], [{A, B, D}, set()], None,
     (2, 1, 2), {"DATE": (0, 0, 1), "LOC": (0, 1, 1), "ORG": (1, 0, 0), "PER": (1, 0, 0)}),
    ("duplicates that normalise alike count once", [{("Ferri", "PER")}], [[("Ferri", "PER"), ("FERRI", "PER")]],
     None, (1, 0, 0), {"PER": (1, 0, 0)}),
    ("the same pair in two messages counts twice", [{C}, {C}], [{C}, set()], None, (1, 0, 1), {"LOC": (1, 0, 1)}),
    ("labels filter both sides", [{A, E}], [{A, ("04/11/2025", "DATE")}], ["PER"], (1, 0, 0), {"PER": (1, 0, 0)}),
    ("labels listed but unseen have zero rows", [{A}], [{A}], ["PER", "IBAN"], (1, 0, 0),
     {"PER": (1, 0, 0), "IBAN": (0, 0, 0)}),
    ("a prediction that normalises to nothing is ignored", [{A}], [{A, ("...", "PER")}], None, (1, 0, 0),
     {"PER": (1, 0, 0)}),
    ("empty against empty", [set()], [set()], None, (0, 0, 0), {}),
]


@pytest.mark.parametrize(("gold", "pred", "labels", "micro", "per_label"), [c[1:] for c in SCORE_CASES],
                         ids=[c[0] for c in SCORE_CASES])
def test_score_pairs_counts(gold, pred, labels, micro, per_label) -> None:
    result = score_pairs(gold, pred, labels)
    m = result["micro"]
    assert (m["tp"], m["fp"], m["fn"]) == micro
    assert {k: (v["tp"], v["fp"], v["fn"]) for k, v in result["per_label"].items()} == per_label
    assert list(result["per_label"]) == result["labels"]
    assert result["n_messages"] == len(gold)


def test_score_pairs_ratios_hand_computed() -> None:
    result = score_pairs([{A, B, C}, {E}], [{A, B, D}, set()])
    m = result["micro"]
    assert m["precision"] == pytest.approx(2 / 3)
    assert m["recall"] == pytest.approx(0.5)
    assert m["f1"] == pytest.approx(4 / 7)
    loc = result["per_label"]["LOC"]
    assert (loc["precision"], loc["recall"], loc["f1"]) == (0.0, 0.0, 0.0)
    assert result["per_label"]["ORG"]["f1"] == 1.0
    assert result["labels"] == ["DATE", "LOC", "ORG", "PER"]


def test_score_pairs_empty_is_undefined_and_order_follows_labels() -> None:
    assert score_pairs([set()], [set()])["micro"]["defined"] is False
    result = score_pairs([{A}], [{A}], ["PER", "IBAN", "PER"])
    assert result["labels"] == ["PER", "IBAN"]
    assert result["per_label"]["IBAN"]["defined"] is False


def test_score_pairs_length_mismatch() -> None:
    with pytest.raises(ValueError, match="2 gold messages but 1 predictions"):
        score_pairs([{A}, {B}], [{A}])


def test_entity_pairs_accepts_objects_dicts_tuples() -> None:
    class Ent:
        text, label = "Bergamo", "LOC"

    assert entity_pairs([Ent(), {"text": "Mario Rossi", "label": "PER", "start": 0}, ("Lecco", "LOC")]) == {C, A, D}


def test_render_markdown() -> None:
    table = render_markdown(score_pairs([{A, C}], [{A, D}], ["PER", "LOC", "IBAN"]), title="mail gold dev")
    assert table == (
        "## mail gold dev\n\n"
        "1 messages; pairs of (normalised text, label) per message.\n\n"
        "| label | P | R | F1 | TP | FP | FN | support |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|\n"
        "| PER | 100.0 | 100.0 | 100.0 | 1 | 0 | 0 | 1 |\n"
        "| LOC | 0.0 | 0.0 | 0.0 | 0 | 1 | 1 | 1 |\n"
        "| IBAN | n/a | n/a | n/a | 0 | 0 | 0 | 0 |\n"
        "| **micro** | 50.0 | 50.0 | 50.0 | 1 | 1 | 1 | 2 |\n"
    )


# ---------------------------------------------------------------------------------------------
# the gold set itself


@pytest.fixture(scope="module")
def gold_all() -> list[MailGoldExample]:
    return load_mail_gold(GOLD_DIR)


def test_gold_set_size_and_labels(gold_all: list[MailGoldExample]) -> None:
    assert len(gold_all) >= 40
    assert sum(len(e.pairs) for e in gold_all) >= 500
    labels = {label for e in gold_all for _, label in e.pairs}
    assert labels == set(LABELS)
    per_label = {label: sum(1 for e in gold_all for _, lab in e.pairs if lab == label) for label in LABELS}
    for label in ("EMAIL", "PHONE", "IBAN", "CODICE_FISCALE", "PARTITA_IVA", "MONEY", "DATE"):
        assert per_label[label] >= 25, (label, per_label[label])
    assert len({e.message_id for e in gold_all}) == len(gold_all)


def test_gold_splits(gold_all: list[MailGoldExample]) -> None:
    dev, test = load_mail_gold(GOLD_DIR, "dev"), load_mail_gold(GOLD_DIR, "test")
    assert len(dev) == 15
    assert [e.message_id for e in gold_all[:15]] == [e.message_id for e in dev]
    assert [e.message_id for e in gold_all[15:]] == [e.message_id for e in test]
    assert {e.split for e in dev} == {"dev"} and {e.split for e in test} == {"test"}
    for split in (dev, test):
        assert {label for e in split for _, label in e.pairs} == set(LABELS)


def test_gold_texts_are_in_message_text(gold_all: list[MailGoldExample]) -> None:
    for e in gold_all:
        assert e.text.strip()
        for text, label in e.pairs:
            assert text in e.text, (e.message_id, text, label)
            assert "\n" not in text
        assert e.invalid <= e.pairs
        assert {label for _, label in e.invalid} <= {"IBAN", "CODICE_FISCALE", "PARTITA_IVA"}
    assert sum(len(e.invalid) for e in gold_all) >= 6


def test_gold_scores_perfectly_against_itself(gold_all: list[MailGoldExample]) -> None:
    pairs = [e.pairs for e in gold_all]
    result = score_pairs(pairs, pairs, LABELS)
    assert result["micro"]["f1"] == 1.0
    assert result["micro"]["fp"] == result["micro"]["fn"] == 0
    assert "| **micro** | 100.0 | 100.0 | 100.0 |" in render_markdown(result)


def test_without_quotes_drops_only_quoted_pairs(gold_all: list[MailGoldExample]) -> None:
    cut = load_mail_gold(GOLD_DIR, keep_quotes=False)
    assert [e.message_id for e in cut] == [e.message_id for e in gold_all]
    for short, full in zip(cut, gold_all, strict=True):
        assert short.pairs <= full.pairs
        assert all(text in short.text for text, _ in short.pairs)
    assert sum(len(e.pairs) for e in cut) < sum(len(e.pairs) for e in gold_all)


def test_build_script_reproduces_the_files(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = importlib.util.spec_from_file_location("build_gold", GOLD_DIR / "build_gold.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "build_gold", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    assert module.render_mbox() == (GOLD_DIR / "italian_business.mbox").read_bytes()
    assert module.render_gold() == (GOLD_DIR / "gold.jsonl").read_bytes()


# ---------------------------------------------------------------------------------------------
# loader errors


@pytest.fixture
def gold_copy(tmp_path: Path) -> Path:
    shutil.copy(GOLD_DIR / "italian_business.mbox", tmp_path / "italian_business.mbox")
    shutil.copy(GOLD_DIR / "gold.jsonl", tmp_path / "gold.jsonl")
    return tmp_path


def _first_line(folder: Path) -> dict:
    return json.loads((folder / "gold.jsonl").read_text(encoding="utf-8").splitlines()[0])


def test_gold_jsonl_path_is_accepted(gold_copy: Path) -> None:
    assert len(load_mail_gold(gold_copy / "gold.jsonl", "dev")) == 15


LOADER_ERRORS = [
    ("missing_gold", "gold.jsonl: no such file"),
    ("missing_mbox", "no mailbox"),
    ("bad_json", "gold.jsonl:2: not valid JSON"),
    ("unknown_id", "gold.jsonl:1: message_id '<nobody@example.invalid>' is not in italian_business.mbox"),
    ("bad_split", "gold.jsonl:1: 'split' must be one of dev, test"),
    ("text_not_in_body", "not in the text of"),
    ("duplicate_id", "already on line 1"),
    ("entity_without_label", "needs a 'label' string"),
]


@pytest.mark.parametrize(("mutate", "message"), LOADER_ERRORS, ids=[m for m, _ in LOADER_ERRORS])
def test_loader_errors(gold_copy: Path, mutate: str, message: str) -> None:
    gold = gold_copy / "gold.jsonl"
    lines = gold.read_text(encoding="utf-8").splitlines()
    first = _first_line(gold_copy)
    if mutate == "missing_gold":
        gold.unlink()
    elif mutate == "missing_mbox":
        (gold_copy / "italian_business.mbox").unlink()
    elif mutate == "bad_json":
        lines[1] = lines[1][:-5]
    elif mutate == "unknown_id":
        lines[0] = json.dumps({**first, "message_id": "<nobody@example.invalid>"})
    elif mutate == "bad_split":
        lines[0] = json.dumps({**first, "split": "train"})
    elif mutate == "text_not_in_body":
        lines[0] = json.dumps({**first, "entities": [{"text": "Zorro", "label": "PER"}]})
    elif mutate == "duplicate_id":
        lines[1] = lines[0]
    elif mutate == "entity_without_label":
        lines[0] = json.dumps({**first, "entities": [{"text": "Bergamo"}]})
    if gold.exists():
        gold.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=re.escape(message)):
        load_mail_gold(gold_copy)


def test_unknown_split_argument() -> None:
    with pytest.raises(ValueError, match="split must be one of"):
        load_mail_gold(GOLD_DIR, "train")
