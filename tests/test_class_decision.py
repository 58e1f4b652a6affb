"""Minimum scores on class labels: parsing, the decision, the sequence method and classifier deciding with
them, the dev sweep that picks one, and the CLI's messages (no model: scripted classifiers)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from sequence_adapters import weightless_adapter

from extractor.adapters import load_adapter
from extractor.class_decision import check_labels, check_scored, decide, from_metadata, parse_min_scores
from extractor.cli import main
from extractor.errors import ConfigError
from extractor.methods import build_method
from extractor.pipeline import ExtractOptions, Extractor
from extractor.sequence.classifier import SequenceClassifier, SequenceEngineConfig
from schemas import NO_ENTITIES
from schemas.classes import SPAM
from training.class_sweep import pick, sweep, sweep_markdown, sweep_record
from training.classify_report import ClassReport, score_classes

HAM_SPAM = ["ham", "spam"]


@pytest.mark.parametrize(("specs", "expected"), [
    pytest.param((), (), id="none"),
    pytest.param(("spam=0.9",), (("spam", 0.9),), id="one"),
    pytest.param((" spam = 0.95", "ham=0.6"), (("spam", 0.95), ("ham", 0.6)), id="two-spaced"),
])
def test_parse_min_scores(specs, expected):
    assert parse_min_scores(specs) == expected


@pytest.mark.parametrize(("spec", "message"), [
    pytest.param(("spam",), "expected LABEL=P", id="no-value"),
    pytest.param(("spam=",), "expected LABEL=P", id="empty-value"),
    pytest.param(("=0.9",), "expected LABEL=P", id="no-label"),
    pytest.param(("spam=high",), "expected LABEL=P", id="not-a-number"),
    pytest.param(("spam=1",), "not a probability between 0 and 1", id="one-is-no-minimum"),
    pytest.param(("spam=0",), "not a probability between 0 and 1", id="zero"),
    pytest.param(("spam=0.9", "spam=0.8"), "names spam twice", id="repeated"),
])
def test_bad_min_scores_say_what_to_pass(spec, message):
    with pytest.raises(ConfigError, match=message):
        parse_min_scores(spec)


@pytest.mark.parametrize(("probs", "floors", "expected"), [
    pytest.param({"ham": 0.3, "spam": 0.7}, {}, "spam", id="argmax"),
    pytest.param({"ham": 0.3, "spam": 0.7}, {"spam": 0.9}, "ham", id="spam-below-its-minimum"),
    pytest.param({"ham": 0.05, "spam": 0.95}, {"spam": 0.9}, "spam", id="spam-reaches-it"),
    pytest.param({"ham": 0.1, "spam": 0.9}, {"spam": 0.9}, "spam", id="reaching-is-enough"),
    pytest.param({"a": 0.5, "b": 0.3, "c": 0.2}, {"a": 0.6}, "b", id="next-most-probable"),
    pytest.param({"a": 0.5, "b": 0.3, "c": 0.2}, {"a": 0.6, "b": 0.4}, "c", id="down-to-the-third"),
    pytest.param({"a": 0.5, "b": 0.5}, {"a": 0.9, "b": 0.9}, "a", id="none-reach-theirs-argmax-in-label-order"),
    pytest.param({"a": 0.5, "b": 0.5}, {}, "a", id="tie-in-label-order"),
])
def test_decide(probs, floors, expected):
    assert decide(probs, floors) == expected


@pytest.mark.parametrize(("value", "expected", "message"), [
    pytest.param(None, (), None, id="unrecorded"),
    pytest.param({"spam": 0.97}, (("spam", 0.97),), None, id="recorded"),
    pytest.param({"spam": 2}, None, "not a probability", id="out-of-range"),
    pytest.param({"spam": "high"}, None, "must map labels to probabilities", id="not-a-number"),
    pytest.param(["spam", 0.9], None, "must map labels to probabilities", id="not-a-mapping"),
    pytest.param({"spam": True}, None, "must map labels to probabilities", id="a-bool"),
])
def test_recorded_min_scores(value, expected, message):
    if message is None:
        assert from_metadata(value, "adapter s") == expected
    else:
        with pytest.raises(ConfigError, match=message):
            from_metadata(value, "adapter s")


def test_a_minimum_on_a_label_the_class_lacks_is_refused():
    with pytest.raises(ConfigError, match="a minimum score for junk, but the labels are ham, spam"):
        check_labels((("junk", 0.9),), HAM_SPAM, "--min-score")
    check_labels((("spam", 0.9),), HAM_SPAM, "--min-score")


@pytest.mark.parametrize(("asked", "method", "refused"), [
    pytest.param(True, "sequence", False, id="sequence-scores"),
    pytest.param(True, "generative", True, id="generative-does-not"),
    pytest.param(True, "tokens", True, id="tokens-does-not"),
    pytest.param(False, "generative", False, id="not-asked"),
])
def test_only_a_scoring_method_takes_minimum_scores(asked, method, refused):
    if refused:
        with pytest.raises(ConfigError, match=f"the {method} method gives labels without scores"):
            check_scored(asked, method)
    else:
        check_scored(asked, method)


class ScriptedSpam:
    """P(spam) is the number after 'p=' in the text."""

    labels = ("ham", "spam")
    reads = "body"

    def __init__(self, min_scores: dict[str, float]) -> None:
        self.min_scores = min_scores

    def encode(self, text: str) -> list[int]:
        return [1, 2]

    def distributions(self, texts):
        out = []
        for t in texts:
            p = float(t.split("p=")[1])
            out.append({"ham": 1 - p, "spam": p})
        return out


@pytest.mark.parametrize(("floors", "expected"), [
    pytest.param({}, ["ham", "spam", "spam"], id="argmax"),
    pytest.param({"spam": 0.9}, ["ham", "ham", "spam"], id="spam-needs-0.9"),
])
def test_the_sequence_method_decides_within_the_minimums(floors, expected):
    options = ExtractOptions(schema=NO_ENTITIES, recognizers=False, batch_size=4, classes=(SPAM,))
    extractor = Extractor(build_method("sequence", classifier=ScriptedSpam(floors), options=options,
                                       class_name="spam"), options, model_name="tiny")
    results = extractor.extract_texts(["p=0.2", "p=0.8", "p=0.95"])
    assert [r.classes["spam"] for r in results] == expected
    assert [r.class_scores["spam"] for r in results] == [
        {"ham": 0.8, "spam": 0.2}[lab] if i == 0 else {"ham": 0.2, "spam": 0.8}[lab] if i == 1
        else {"ham": 0.05, "spam": 0.95}[lab] for i, lab in enumerate(expected)]
    assert results[1].class_probs == {"spam": {"ham": 0.2, "spam": 0.8}}


class LogitBackend:
    name = "scripted"

    def __init__(self, rows):
        self.rows = rows

    def logits(self, inputs):
        return [np.asarray(r, dtype=np.float32) for r in self.rows[:len(inputs)]]


class CharTokenizer:
    eos_token_id = 0
    pad_token_id = 0

    def __call__(self, text: str) -> dict:
        return {"input_ids": [ord(c) for c in text]}


def _classifier(min_scores=(), labels=HAM_SPAM) -> SequenceClassifier:
    logit = float(np.log(0.8 / 0.2))  # softmax([0, logit]) = [0.2, 0.8]
    return SequenceClassifier(SequenceEngineConfig(model="m", min_scores=min_scores),
                              backend=LogitBackend([[0.0, logit]]), tokenizer=CharTokenizer(), labels=labels,
                              pad_id=0)


def test_the_classifier_applies_its_configured_minimum():
    (probs,) = _classifier().distributions(["x"])
    assert probs["spam"] == pytest.approx(0.8) and probs["ham"] == pytest.approx(0.2)
    assert _classifier().classify(["x"])[0][0] == "spam"
    label, score = _classifier((("spam", 0.9),)).classify(["x"])[0]
    assert label == "ham" and score == pytest.approx(0.2)


def test_the_classifier_refuses_a_minimum_on_a_label_it_lacks():
    with pytest.raises(ConfigError, match="a minimum score for junk"):
        _classifier((("junk", 0.9),))
    with pytest.raises(ConfigError, match="not a probability"):
        SequenceEngineConfig(model="m", min_scores=(("spam", 1.5),))


def test_an_adapter_with_bad_recorded_minimums_fails_before_merging(tmp_path: Path):
    base, folder = weightless_adapter(tmp_path, {"method": "sequence", "class_schema": "spam", "labels": HAM_SPAM,
                                                 "min_scores": {"spam": 5}})
    with pytest.raises(ConfigError, match="adapter s: the minimum score of spam is 5.0"):
        SequenceClassifier.for_adapter(load_adapter("s", folder), str(base), tmp_path / "cache")
    assert not (tmp_path / "cache").exists()


GOLD = ["ham", "ham", "ham", "ham", "spam", "spam", "spam"]
P_SPAM = [0.01, 0.3, 0.85, 0.92, 0.75, 0.96, 0.999]


def _probs(p_spam):
    return [None if p is None else {"ham": 1 - p, "spam": p} for p in p_spam]


def test_the_sweep_scores_every_minimum_from_one_set_of_probabilities():
    rows = sweep(GOLD, _probs(P_SPAM), HAM_SPAM, "spam", cost=9.0, candidates=(0.8, 0.9, 0.95, 0.99))
    table = {r.min_score: (r.false_label, r.wrong, r.cost) for r in rows}
    assert table == {
        None: (2, 2, 18.0),   # ham at 0.85 and 0.92 lost; every spam caught
        0.8: (2, 3, 19.0),    # the spam at 0.75 let through as well
        0.9: (1, 2, 10.0),    # ham at 0.85 kept
        0.95: (0, 1, 1.0),    # both ham kept, spam at 0.75 let through
        0.99: (0, 2, 2.0),    # spam at 0.96 let through too
    }
    assert pick(rows, 9.0).min_score == 0.95
    argmax = rows[0].scores
    assert argmax.confusion == score_classes(GOLD, ["ham", "ham", "spam", "spam", "spam", "spam", "spam"],
                                             HAM_SPAM).confusion


@pytest.mark.parametrize(("costs", "cost", "picked"), [
    pytest.param([5.0, 1.0, 1.0, 1.0, 3.0], 1.0, 0.9, id="three-tied-even-costs-the-middle"),
    pytest.param([5.0, 1.0, 1.0, 3.0, 3.0], 1.0, 0.9, id="two-tied-even-costs-the-upper-middle"),
    pytest.param([1.0, 1.0, 1.0, 1.0, 1.0], 1.0, 0.9, id="all-tied-even-costs-the-middle"),
    pytest.param([1.0, 1.0, 1.0, 1.0, 1.0], 9.0, 0.99, id="all-tied-costly-false-label-the-cautious-end"),
    pytest.param([1.0, 1.0, 1.0, 1.0, 1.0], 3.0, 0.95, id="all-tied-cost-3-three-quarters"),
    pytest.param([0.0, 1.0, 1.0, 3.0, 3.0], 9.0, None, id="argmax-alone-best"),
])
def test_pick_takes_the_least_costly_leaning_by_the_cost(costs, cost, picked):
    scores = score_classes(["ham"], ["ham"], HAM_SPAM)
    from training.class_sweep import SweepRow

    rows = [SweepRow(m, scores, 0, 0, c) for m, c in zip((None, 0.8, 0.9, 0.95, 0.99), costs, strict=True)]
    assert pick(rows, cost).min_score == picked


def test_a_text_that_failed_is_wrong_under_every_minimum():
    rows = sweep(["ham", "spam"], _probs([0.1, None]), HAM_SPAM, "spam", cost=9.0, candidates=(0.9,))
    assert [(r.false_label, r.wrong, r.cost) for r in rows] == [(0, 1, 1.0), (0, 1, 1.0)]


@pytest.mark.parametrize(("kwargs", "message"), [
    pytest.param({"label": "junk"}, "cannot sweep a minimum score on junk: the labels are ham, spam",
                 id="unknown-label"),
    pytest.param({"gold": ["ham"]}, "1 gold labels but 7 distributions", id="lengths"),
])
def test_sweep_errors(kwargs, message):
    args = {"gold": GOLD, "probs": _probs(P_SPAM), "labels": HAM_SPAM, "label": "spam", "cost": 9.0, **kwargs}
    with pytest.raises(ValueError, match=message):
        sweep(**args)


def test_the_report_carries_the_sweep_and_draws_it(tmp_path: Path):
    rows = sweep(GOLD, _probs(P_SPAM), HAM_SPAM, "spam", cost=9.0, candidates=(0.9, 0.95))
    record = sweep_record(rows, "spam", 9.0)
    scores = score_classes(GOLD, ["ham"] * 7, HAM_SPAM)
    report = ClassReport("m", "s", 0, "spamassassin:dev", "spam", scores, 1.0, {"min_score_sweep": record})
    loaded = ClassReport.from_dict(json.loads(report.to_json(tmp_path / "r.json").read_text()))
    md = loaded.to_markdown()
    assert "min_score_sweep" not in md.split("###")[0]
    assert "picked: 0.95" in md
    assert "| **0.95** | **85.7** |" in md and "| argmax | 71.4 |" in md
    assert md.endswith(sweep_markdown(record))


CLI_ERRORS = [
    pytest.param(["evaluate", "--min-score", "spam=0.9"], "--min-score is an option of --task classify",
                 id="evaluate-entities-min-score"),
    pytest.param(["evaluate", "--sweep-min-score", "spam"], "--sweep-min-score is an option of --task classify",
                 id="evaluate-entities-sweep"),
    pytest.param(["evaluate", "--task", "classify", "--data", "spamassassin:dev", "--min-score", "spam"],
                 "expected LABEL=P", id="evaluate-malformed"),
    pytest.param(["evaluate", "--task", "classify", "--data", "spamassassin:dev", "--sweep-cost", "0"],
                 "not in the range x>0", id="evaluate-cost-positive"),
]


@pytest.mark.parametrize(("args", "message"), CLI_ERRORS)
def test_cli_errors(args, message):
    result = CliRunner().invoke(main, args)
    assert result.exit_code != 0
    assert message in result.output


def test_a_generative_run_refuses_a_minimum_score(tmp_path: Path):
    base = tmp_path / "base"
    base.mkdir()
    (base / "config.json").write_text("{}")
    mbox = Path(__file__).resolve().parents[1] / "examples" / "italian.mbox"
    result = CliRunner().invoke(main, [str(mbox), "-m", str(base), "--schema", "none", "--classify", "spam",
                                       "--min-score", "spam=0.9", "-q", "-o", str(tmp_path / "o.jsonl")])
    assert result.exit_code != 0
    assert "--min-score needs a method that scores classes" in result.output


class ScriptedHead:
    """What the trainer's live classifier gives :func:`dev_decision`: labels and distributions."""

    labels = HAM_SPAM

    def distributions(self, texts):
        return [{"ham": 1 - float(t), "spam": float(t)} for t in texts]


@pytest.mark.parametrize(("label", "recorded"), [
    pytest.param(None, {}, id="no-sweep-no-record"),
    pytest.param("spam", {"min_scores": {"spam": 0.95}}, id="sweep-records-the-pick"),
])
def test_the_trainer_records_the_minimum_it_picks_on_dev(label, recorded):
    from training.classify_data import LabelledText
    from training.sequence_dev import dev_decision

    texts = [LabelledText(str(i), str(p), gold) for i, (p, gold) in enumerate(zip(P_SPAM, GOLD, strict=True))]
    metrics, record = dev_decision(ScriptedHead(), texts, label, 9.0)
    assert metrics == {"accuracy": pytest.approx(5 / 7), "macro_f1": pytest.approx(
        score_classes(GOLD, ["ham", "ham", "spam", "spam", "spam", "spam", "spam"], HAM_SPAM).macro_f1), "examples": 7}
    assert {k: v for k, v in record.items() if k != "min_score_sweep"} == recorded
    if label:
        assert record["min_score_sweep"]["picked"] == 0.95 and record["min_score_sweep"]["label"] == "spam"


def test_a_sweep_that_finds_the_argmax_best_records_no_minimum():
    """Three labels: the swept one is right at 0.45, so any minimum (0.5 and up) costs an error."""
    from training.classify_data import LabelledText
    from training.sequence_dev import dev_decision

    class ThreeWay:
        labels = ("a", "b", "c")

        def distributions(self, texts):
            return [{"a": 0.45, "b": 0.35, "c": 0.2} for _ in texts]

    _, record = dev_decision(ThreeWay(), [LabelledText("0", "t", "a")], "a", 9.0)
    assert record["min_scores"] is None and record["min_score_sweep"]["picked"] is None
