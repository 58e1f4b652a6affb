"""Message classes beside entities: class schemas, the one combined JSON schema, records through the
pipeline (scripted method, no vLLM), the CLI's messages, and the classification scores.
"""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import ClassVar, Literal

import pytest
from click.testing import CliRunner
from pydantic import BaseModel

from extractor.classify import task_json_schema, task_output_model, vote
from extractor.cli import main
from extractor.errors import ConfigError
from extractor.methods import build_method
from extractor.pipeline import ExtractOptions, Extractor
from extractor.prompts import PromptBuilder, instruction_text
from extractor.records import RawMessage
from extractor.serving import resolve_classes
from extractor.sinks import JsonlSink
from schemas import NO_ENTITIES, load_schema
from schemas.classes import (
    BUILTIN_CLASSES,
    SENTIMENT,
    SPAM,
    ClassExample,
    ClassSchema,
    ClassSchemaError,
    load_class_schema,
)
from training.classify_data import LabelledText, class_dataset, stratified
from training.classify_report import ERROR, ClassReport, class_leaderboard, score_classes
from training.data import DataFormatError
from training.leaderboard import build_leaderboard

REPO = Path(__file__).resolve().parents[1]
ITALIAN = load_schema("italian_email")


# -- user class schemas, importable as tests.test_classify:<name> ----------------------------
class Urgency(Enum):
    """how soon the message needs an answer"""

    LOW = "low"
    HIGH = "high"


class Intent(BaseModel):
    """what the sender wants"""

    intent: Literal["order", "complaint", "question"]
    label_descriptions: ClassVar[dict[str, str]] = {"order": "buys something"}


class TwoFields(BaseModel):
    a: Literal["x", "y"]
    b: Literal["x", "y"]


TONE = ClassSchema("tone", {"formal": "formal register", "informal": "casual register"})


@pytest.fixture(autouse=True)
def importable_tests(monkeypatch):
    monkeypatch.syspath_prepend(str(REPO))
    sys.modules.setdefault("tests.test_classify", sys.modules[__name__])


@pytest.mark.parametrize(("spec", "name", "labels"), [
    pytest.param("sentiment", "sentiment", ["positive", "negative", "neutral", "mixed"], id="builtin-sentiment"),
    pytest.param("polarity", "polarity", ["positive", "negative"], id="builtin-polarity"),
    pytest.param("spam", "spam", ["ham", "spam"], id="builtin-spam"),
    pytest.param("tests.test_classify:TONE", "tone", ["formal", "informal"], id="module-instance"),
    pytest.param("tests.test_classify:Urgency", "urgency", ["low", "high"], id="module-enum"),
    pytest.param("tests.test_classify:Intent", "intent", ["order", "complaint", "question"], id="module-pydantic"),
])
def test_class_schemas_resolve(spec, name, labels):
    schema = load_class_schema(spec)
    assert schema.name == name and list(schema.labels) == labels


def test_a_pydantic_class_schema_keeps_its_descriptions_and_question():
    schema = load_class_schema("tests.test_classify:Intent")
    assert schema.labels["order"] == "buys something" and schema.labels["question"] == "question"
    assert schema.question == "what the sender wants"


@pytest.mark.parametrize(("doc", "name", "labels"), [
    pytest.param({"labels": {"a": "first", "b": "second"}}, "mine", ["a", "b"], id="dict-labels-stem-name"),
    pytest.param({"name": "lang", "labels": ["it", "en"]}, "lang", ["it", "en"], id="list-labels-named"),
    pytest.param({"labels": ["it", "en"], "examples": [{"text": "ciao", "label": "it"}]}, "mine", ["it", "en"],
                 id="with-examples"),
])
def test_class_schema_json_files(tmp_path, doc, name, labels):
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(doc))
    schema = load_class_schema(str(path))
    assert schema.name == name and list(schema.labels) == labels
    assert [(ex.text, ex.label) for ex in schema.examples] == [(e["text"], e["label"]) for e in doc.get("examples", [])]


@pytest.mark.parametrize(("spec", "content", "message"), [
    pytest.param("sentimento", None, "unknown class schema 'sentimento': use one of", id="unknown-name"),
    pytest.param("{tmp}/missing.json", None, "does not exist", id="missing-file"),
    pytest.param("{tmp}/bad.json", "{not json", "is not valid JSON", id="bad-json"),
    pytest.param("{tmp}/nolabels.json", '{"name": "x"}', 'needs {"labels"', id="no-labels"),
    pytest.param("{tmp}/one.json", '{"labels": ["only"]}', "at least two", id="one-label"),
    pytest.param("{tmp}/ex.json", '{"labels": ["a", "b"], "examples": [{"text": "t", "label": "c"}]}',
                 "example labels not in the label set", id="example-label-unknown"),
    pytest.param("{tmp}/reserved.json", '{"name": "entities", "labels": ["a", "b"]}', "other than 'entities'",
                 id="reserved-name"),
    pytest.param("tests.test_classify:TwoFields", None, "exactly one field", id="pydantic-two-fields"),
    pytest.param("tests.test_classify:nothing", None, "cannot import", id="missing-attribute"),
])
def test_bad_class_schemas_say_why(tmp_path, spec, content, message):
    spec = spec.format(tmp=tmp_path)
    if content is not None:
        Path(spec).write_text(content)
    with pytest.raises(ClassSchemaError) as info:
        load_class_schema(spec)
    assert message in str(info.value) and isinstance(info.value, ConfigError)


@pytest.mark.parametrize(("schema", "classes", "message"), [
    pytest.param(NO_ENTITIES, (), "add --classify", id="nothing-asked"),
    pytest.param(ITALIAN, (SPAM, SPAM), "named twice", id="twice"),
])
def test_requests_that_ask_nothing_or_twice_are_refused(schema, classes, message):
    specs = tuple(c.name for c in classes)
    with pytest.raises(ConfigError, match=message):
        resolve_classes(schema, specs)


# -- the one combined JSON schema --------------------------------------------------------------
def test_entities_and_classes_are_one_json_schema_classes_first():
    doc = task_json_schema(ITALIAN, (SENTIMENT, SPAM))
    assert list(doc["properties"]) == ["sentiment", "spam", "entities"]
    assert doc["required"] == ["sentiment", "spam", "entities"] and doc["additionalProperties"] is False
    assert doc["properties"]["spam"] == {"type": "string", "enum": ["ham", "spam"]}
    assert doc["properties"]["entities"] == ITALIAN.json_schema()["properties"]["entities"]


@pytest.mark.parametrize(("schema", "classes", "properties"), [
    pytest.param(NO_ENTITIES, (SPAM,), ["spam"], id="classes-only"),
    pytest.param(ITALIAN, (), ["entities"], id="entities-only-unchanged"),
])
def test_json_schema_of_one_part(schema, classes, properties):
    doc = task_json_schema(schema, classes)
    assert list(doc["properties"]) == properties
    if not classes:
        assert doc == schema.json_schema()


@pytest.mark.parametrize(("schema", "answer", "ok"), [
    pytest.param(ITALIAN, {"spam": "ham", "entities": [{"text": "Roma", "label": "LOC"}]}, True, id="combined"),
    pytest.param(NO_ENTITIES, {"spam": "spam"}, True, id="classes-only"),
    pytest.param(NO_ENTITIES, {"spam": "maybe"}, False, id="label-outside-the-set"),
    pytest.param(NO_ENTITIES, {}, False, id="class-missing"),
    pytest.param(NO_ENTITIES, {"spam": "ham", "entities": [{"text": "Roma", "label": "LOC"}]}, False,
                 id="entities-where-none-asked"),
])
def test_the_output_model_checks_the_answer(schema, answer, ok):
    model = task_output_model(schema, (SPAM,))
    try:
        model.model_validate(answer)
    except ValueError:
        assert not ok
    else:
        assert ok


@pytest.mark.parametrize(("answers", "expected"), [
    pytest.param([{"spam": "ham"}], {"spam": "ham"}, id="one-chunk"),
    pytest.param([{"spam": "ham"}, {"spam": "spam"}, {"spam": "spam"}], {"spam": "spam"}, id="majority"),
    pytest.param([{"spam": "spam"}, {"spam": "ham"}], {"spam": "spam"}, id="tie-goes-to-the-first-chunk"),
    pytest.param([], None, id="no-answer"),
])
def test_chunk_vote(answers, expected):
    assert vote(answers, (SPAM,)) == expected


def test_prompt_asks_for_classes_and_shows_class_examples():
    spam = ClassSchema("spam", SPAM.labels, SPAM.question, (ClassExample("WIN $$$", "spam"), ClassExample("ciao", "ham")))
    text = instruction_text(NO_ENTITIES, (spam,))
    assert "Estrai" not in text and '"spam"' in text and "- ham:" in text and '{"spam": ...}' in text
    combined = instruction_text(ITALIAN, (spam,))
    assert "Estrai" in combined and '{"spam": ..., "entities"' in combined
    builder = PromptBuilder(NO_ENTITIES, shots=1, prompt_format="alpaca", classes=(spam,))
    assert builder.examples() == [("WIN $$$", '{"spam": "spam"}')]


# -- records through the pipeline (scripted method) --------------------------------------------
def raw(key: str, body: str) -> RawMessage:
    return RawMessage("box", key, f"Message-ID: <{key}@x.it>\nSubject: s\nFrom: a@b.it\n\n{body}\n".encode())


def run_fake(tmp_path, schema, classes, script, bodies, **options) -> list[dict]:
    opts = ExtractOptions(schema=schema, classes=classes, **options)
    extractor = Extractor(build_method("fake", options=opts, script=script), opts, model_name="scripted")
    out = tmp_path / "out.jsonl"
    extractor.run([raw(str(i), b) for i, b in enumerate(bodies)], JsonlSink(out), JsonlSink(tmp_path / "err.jsonl"))
    return [json.loads(line) for line in out.read_text().splitlines()]


def spammy(text: str) -> dict:
    return {"sentiment": "negative" if "male" in text else "positive", "spam": "spam" if "$$$" in text else "ham",
            "entities": [{"text": "Roma", "label": "LOC"}] if "Roma" in text else []}


def test_records_gain_classes_beside_entities(tmp_path):
    records = run_fake(tmp_path, ITALIAN, (SENTIMENT, SPAM), spammy, ["Va male a Roma", "WIN $$$ now"])
    assert [r["classes"] for r in records] == [{"sentiment": "negative", "spam": "ham"},
                                               {"sentiment": "positive", "spam": "spam"}]
    assert [e["text"] for e in records[0]["entities"]] == ["Roma"] and records[0]["schema"] == "italian_email"


def test_schema_none_gives_only_classes(tmp_path):
    records = run_fake(tmp_path, NO_ENTITIES, (SPAM,), lambda t: {"spam": "spam" if "$$$" in t else "ham"},
                       ["Ci vediamo a Roma", "WIN $$$"], recognizers=True)
    assert [(r["entities"], r["classes"]) for r in records] == [([], {"spam": "ham"}), ([], {"spam": "spam"})]


def test_records_without_classes_asked_have_no_classes_field(tmp_path):
    records = run_fake(tmp_path, ITALIAN, (), lambda t: [("Roma", "LOC")], ["Roma"])
    assert "classes" not in records[0]


def test_a_label_outside_the_set_is_an_error_record_not_a_record(tmp_path):
    opts = ExtractOptions(schema=NO_ENTITIES, classes=(SPAM,))
    extractor = Extractor(build_method("fake", options=opts, script=lambda t: {"spam": "maybe"}), opts, model_name="s")
    out, err = tmp_path / "o.jsonl", tmp_path / "e.jsonl"
    summary = extractor.run([raw("0", "x")], JsonlSink(out), JsonlSink(err))
    assert summary.errors == 1 and out.read_text() == ""
    assert "does not match the schema" in json.loads(err.read_text())["reason"]


# -- CLI ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("args", "message"), [
    pytest.param(("--classify", "sentimento"), "unknown class schema 'sentimento': use one of sentiment", id="unknown"),
    pytest.param(("--schema", "none"), "add --classify NAME", id="schema-none-alone"),
])
def test_cli_bad_classify_is_one_line_that_says_what_to_do(args, message):
    res = CliRunner().invoke(main, [str(REPO / "examples" / "italian.mbox"), *args], catch_exceptions=False)
    assert res.exit_code == 1 and message in res.output and "Traceback" not in res.output
    assert len(res.output.strip().splitlines()) == 1


def test_evaluate_classify_needs_classification_data():
    res = CliRunner().invoke(main, ["evaluate", "--task", "classify"], catch_exceptions=False)
    assert res.exit_code == 1 and "needs --data imdb:test" in res.output


# -- scores ------------------------------------------------------------------------------------
def test_confusion_matrix_and_macro_f1_on_a_hand_made_case():
    gold = ["pos", "pos", "pos", "neg", "neg", "neu"]
    pred = ["pos", "pos", "neg", "neg", None, "pos"]
    s = score_classes(gold, pred, ["pos", "neg", "neu"])
    assert s.confusion["pos"] == {"pos": 2, "neg": 1, "neu": 0, ERROR: 0}
    assert s.confusion["neg"] == {"pos": 0, "neg": 1, "neu": 0, ERROR: 1}
    assert s.accuracy == pytest.approx(3 / 6) and s.errors == 1
    pos, neg, neu = s.prf("pos"), s.prf("neg"), s.prf("neu")
    assert (pos.tp, pos.fp, pos.fn) == (2, 1, 1) and (neg.tp, neg.fp, neg.fn) == (1, 1, 1) and neu.f1 == 0
    assert s.macro_f1 == pytest.approx((2 / 3 + 1 / 2 + 0) / 3)


def test_scores_refuse_gold_outside_the_labels_and_unequal_lengths():
    with pytest.raises(ValueError, match="not in the class schema"):
        score_classes(["x"], ["x"], ["a", "b"])
    with pytest.raises(ValueError, match="1 gold labels but 2"):
        score_classes(["a"], ["a", "b"], ["a", "b"])


def test_report_round_trips_renders_and_joins_the_leaderboard(tmp_path):
    scores = score_classes(["ham", "ham", "spam"], ["ham", "spam", "spam"], ["ham", "spam"])
    report = ClassReport("default", None, 0, "spamassassin:test", "spam", scores, 3.5, {"method": "generative"})
    path = report.to_json(tmp_path / "r.json")
    back = ClassReport.from_dict(json.loads(path.read_text()))
    assert back.scores.confusion == scores.confusion and back.n_examples == 3
    md = report.to_markdown()
    assert "| ham | 1 | 1 | 0 |" in md and "accuracy: 66.7" in md
    assert report.plot_confusion(tmp_path / "r.png").stat().st_size > 0
    board = build_leaderboard([path])
    assert "### spamassassin:test (spam)" in board and "| 1 | default | generative | - | 0 | 66.7 | 0.667 |" in board


def test_the_leaderboard_keeps_a_served_decision_apart():
    """The same adapter read or decided another way is another row; a re-run of the same one replaces it."""
    def report(acc_pred: list[str], **extra) -> ClassReport:
        scores = score_classes(["ham", "spam"], acc_pred, ["ham", "spam"])
        return ClassReport("default", "spam (merged)", 0, "spamassassin:test", "spam", scores, 2.0,
                           {"method": "sequence", **extra})

    board = class_leaderboard([report(["ham", "ham"], reads="subject+body"),
                               report(["ham", "spam"], reads="subject+body", min_scores="spam=0.98"),
                               report(["spam", "spam"], reads="subject+body"), report(["ham", "ham"])])
    rows = [line for line in board.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert [row.split(" | ")[3] for row in rows] == ["spam (merged), reads subject+body, min spam=0.98",
                                                     "spam (merged), reads subject+body", "spam (merged)"]
    assert rows[1].split(" | ")[7] == "0.0"  # F1 ham of the later subject+body run, which said spam twice


@pytest.mark.parametrize(("n", "counts"), [
    pytest.param(10, {"a": 7, "b": 2, "c": 1}, id="proportional"),
    pytest.param(3, {"a": 2, "b": 1}, id="largest-remainder"),
    pytest.param(None, {"a": 14, "b": 4, "c": 2}, id="all"),
])
def test_stratified_subsets_keep_the_classes_in_proportion(n, counts):
    examples = [LabelledText(str(i), "t", lab) for i, lab in enumerate(["a"] * 14 + ["b"] * 4 + ["c"] * 2)]
    picked = stratified(examples, n)
    got: dict[str, int] = {}
    for ex in picked:
        got[ex.label] = got.get(ex.label, 0) + 1
    assert got == counts and picked == stratified(examples, n)


def test_builtin_class_schemas_are_data():
    assert set(BUILTIN_CLASSES) == {"sentiment", "polarity", "spam"}


@pytest.mark.parametrize(("spec", "message"), [
    pytest.param("yelp:test", "unknown classification data 'yelp:test'", id="unknown-set"),
    pytest.param("imdb:validation", "unknown split 'validation'", id="unknown-split"),
])
def test_bad_data_specs_say_what_to_pass(spec, message):
    with pytest.raises(DataFormatError, match=message):
        class_dataset(spec)
