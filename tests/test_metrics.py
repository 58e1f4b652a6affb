"""Entity-level scoring: hand-computed cases and agreement with seqeval."""

from __future__ import annotations

import json
import random
import warnings

import pytest
from data_paths import REPO_ROOT  # noqa: F401  (puts the checkout on sys.path)
from seqeval.metrics import classification_report, f1_score, precision_score, recall_score
from seqeval.metrics.sequence_labeling import get_entities

from training.data import example_from_tokens
from training.examples import Example, Span
from training.metrics import PRF, Scores, labels_of, per_domain, score, spans_to_bio


def S(start: int, end: int, label: str = "PER") -> Span:
    return Span(start, end, label)


# (id, gold, pred, labels, strict (tp, fp, fn), partial (tp, fp, fn))
HAND_CASES = [
    ("empty vs empty", [[]], [[]], None, (0, 0, 0), (0, 0, 0)),
    ("no texts", [], [], None, (0, 0, 0), (0, 0, 0)),
    ("perfect", [[S(0, 5), S(10, 15, "LOC")]], [[S(10, 15, "LOC"), S(0, 5)]], None, (2, 0, 0), (2, 0, 0)),
    ("nothing predicted", [[S(0, 5)]], [[]], None, (0, 0, 1), (0, 0, 1)),
    ("nothing to find", [[]], [[S(0, 5)]], None, (0, 1, 0), (0, 1, 0)),
    ("all wrong label", [[S(0, 5)]], [[S(0, 5, "LOC")]], None, (0, 1, 1), (0, 1, 1)),
    ("all wrong place", [[S(0, 5)]], [[S(6, 9)]], None, (0, 1, 1), (0, 1, 1)),
    ("touching is not overlap", [[S(0, 5)]], [[S(5, 9)]], None, (0, 1, 1), (0, 1, 1)),
    ("partial overlap", [[S(0, 10)]], [[S(0, 5)]], None, (0, 1, 1), (1, 0, 0)),
    ("two preds one gold", [[S(0, 10)]], [[S(0, 4), S(5, 10)]], None, (0, 2, 1), (1, 1, 0)),
    ("one pred two golds", [[S(0, 4), S(5, 10)]], [[S(0, 10)]], None, (0, 1, 2), (1, 0, 1)),
    ("exact pairs first", [[S(5, 10), S(0, 3)]], [[S(0, 10), S(5, 10)]], None, (1, 1, 1), (2, 0, 0)),
    ("duplicate prediction", [[S(0, 5)]], [[S(0, 5), S(0, 5)]], None, (1, 1, 0), (1, 1, 0)),
    ("texts do not mix", [[S(0, 5)], []], [[], [S(0, 5)]], None, (0, 1, 1), (0, 1, 1)),
    ("label restriction", [[S(0, 5), S(6, 9, "LOC")]], [[S(0, 5), S(10, 12, "DATE"), S(6, 9, "MISC")]],
     ["PER", "LOC", "ORG"], (1, 0, 1), (1, 0, 1)),
    ("restriction drops gold too", [[S(0, 5, "MISC")]], [[]], ["PER"], (0, 0, 0), (0, 0, 0)),
]


@pytest.mark.parametrize(("gold", "pred", "labels", "strict", "partial"), [c[1:] for c in HAND_CASES],
                         ids=[c[0] for c in HAND_CASES])
def test_hand_cases(gold: list, pred: list, labels: list[str] | None, strict: tuple, partial: tuple) -> None:
    scores = score(gold, pred, labels)
    m = scores.strict.micro
    assert (m.tp, m.fp, m.fn) == strict
    assert (scores.partial.micro.tp, scores.partial.micro.fp, scores.partial.micro.fn) == partial
    for match in (scores.strict, scores.partial):
        assert match.micro == sum(match.per_label.values(), PRF())
    assert scores.n_examples == len(gold)


PRF_CASES = [
    ("undefined", PRF(0, 0, 0), (0.0, 0.0, 0.0, False)),
    ("nothing predicted", PRF(0, 0, 4), (0.0, 0.0, 0.0, True)),
    ("no gold", PRF(0, 3, 0), (0.0, 0.0, 0.0, True)),
    ("half", PRF(1, 1, 1), (0.5, 0.5, 0.5, True)),
    ("p 1 r 1/3", PRF(1, 0, 2), (1.0, 1 / 3, 0.5, True)),
    ("perfect", PRF(3, 0, 0), (1.0, 1.0, 1.0, True)),
]


@pytest.mark.parametrize(("prf", "expected"), [c[1:] for c in PRF_CASES], ids=[c[0] for c in PRF_CASES])
def test_prf_values(prf: PRF, expected: tuple) -> None:
    assert (prf.precision, prf.recall, prf.f1, prf.defined) == pytest.approx(expected)


def test_empty_is_not_perfect() -> None:
    scores = score([[]], [[]])
    d = scores.strict.micro.to_dict()
    assert d == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "tp": 0, "fp": 0, "fn": 0, "support": 0,
                 "predicted": 0, "defined": False}
    assert scores.labels == ()


def test_label_restriction_lists_every_label() -> None:
    scores = score([[S(0, 5)]], [[S(0, 5), S(6, 8, "DATE")]], labels=["PER", "LOC", "ORG"])
    assert scores.labels == ("LOC", "ORG", "PER")
    assert not scores.strict.per_label["ORG"].defined
    assert scores.strict.per_label["PER"].f1 == 1.0
    assert "DATE" not in scores.strict.per_label


def test_unrestricted_labels_are_gold_and_predicted() -> None:
    assert score([[S(0, 5)]], [[S(6, 8, "DATE")]]).labels == ("DATE", "PER")


def test_length_mismatch() -> None:
    with pytest.raises(ValueError):
        score([[]], [])


def test_json_roundtrip() -> None:
    scores = score([[S(0, 5), S(6, 9, "LOC")]], [[S(0, 4), S(6, 9, "LOC")]])
    data = json.loads(json.dumps(scores.to_dict()))
    assert Scores.from_dict(data) == scores
    assert data["partial"]["per_label"]["PER"]["tp"] == 1
    assert data["strict"]["per_label"]["PER"]["fp"] == 1


def test_per_domain() -> None:
    examples = [
        Example("Mario a Roma", (S(0, 5), S(8, 12, "LOC")), "a", "WN"),
        Example("Renzo", (S(0, 5),), "b", "FIC"),
        Example("Lucia", (S(0, 5),), "c", "FIC"),
        Example("nulla", (), "d"),
    ]
    pred = [[S(0, 5)], [S(0, 5)], [], [S(0, 5)]]
    result = per_domain(examples, pred, labels=labels_of(examples))
    assert sorted(result) == ["(none)", "FIC", "WN"]
    assert (result["WN"].strict.micro.tp, result["WN"].strict.micro.fn) == (1, 1)
    assert (result["FIC"].strict.micro.tp, result["FIC"].strict.micro.fn, result["FIC"].n_examples) == (1, 1, 2)
    assert result["(none)"].strict.micro.fp == 1
    assert labels_of(examples) == ["LOC", "PER"]


# --- BIO helpers and seqeval agreement ------------------------------------------------------

def test_spans_to_bio_default_tokens() -> None:
    tokens, tags = spans_to_bio("Visita dell'Università di Bologna.", [S(12, 33, "ORG")])
    assert tokens == ["Visita", "dell", "'", "Università", "di", "Bologna", "."]
    assert tags == ["O", "O", "O", "B-ORG", "I-ORG", "I-ORG", "O"]


BIO_ERRORS = [
    ("not on a token boundary", "Mario Rossi", [S(0, 3)]),
    ("overlapping spans", "Mario Rossi", [S(0, 11), S(6, 11, "LOC")]),
]


@pytest.mark.parametrize(("text", "spans"), [c[1:] for c in BIO_ERRORS], ids=[c[0] for c in BIO_ERRORS])
def test_spans_to_bio_errors(text: str, spans: list[Span]) -> None:
    with pytest.raises(ValueError):
        spans_to_bio(text, spans)


def _seqeval(gold_tags: list[list[str]], pred_tags: list[list[str]]) -> tuple[float, float, float, dict]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = classification_report(gold_tags, pred_tags, output_dict=True, zero_division=0) if any(
            get_entities(gold_tags) + get_entities(pred_tags)) else {}
        return (precision_score(gold_tags, pred_tags), recall_score(gold_tags, pred_tags),
                f1_score(gold_tags, pred_tags), report)


def _assert_agrees(gold_tags: list[list[str]], pred_tags: list[list[str]]) -> None:
    words = ["Mario", "dell'", "Università", ",", "(", ")", "«", "»", "Roma", "l’", "po'", "."]
    rng = random.Random(len(gold_tags))
    gold, pred = [], []
    for i, (g, p) in enumerate(zip(gold_tags, pred_tags, strict=True)):
        tokens = [rng.choice(words) for _ in g]
        gold.append(example_from_tokens(tokens, g, f"g:{i}"))
        pred.append(example_from_tokens(tokens, p, f"p:{i}"))
        assert gold[-1].text == pred[-1].text
    ours = score([ex.spans for ex in gold], [ex.spans for ex in pred])
    p, r, f, report = _seqeval(gold_tags, pred_tags)
    m = ours.strict.micro
    assert (m.precision, m.recall, m.f1) == pytest.approx((p, r, f))
    for label, prf in ours.strict.per_label.items():
        if label in report:
            assert (prf.precision, prf.recall, prf.f1) == pytest.approx(
                (report[label]["precision"], report[label]["recall"], report[label]["f1-score"]))
            assert prf.support == report[label]["support"]
    # spans -> BIO -> entities gives back what seqeval reads from the original tags
    for ex, tags in zip(gold, gold_tags, strict=True):
        _, round_trip = spans_to_bio(ex.text, ex.spans, ex.token_offsets)
        assert get_entities(round_trip) == get_entities(tags)


SEQEVAL_HAND = [
    ("identical", [["B-PER", "I-PER", "O"]], [["B-PER", "I-PER", "O"]]),
    ("I-start equals B-start", [["I-PER", "I-PER", "O"]], [["B-PER", "I-PER", "O"]]),
    ("boundary error", [["B-PER", "I-PER", "O"]], [["B-PER", "O", "O"]]),
    ("type error", [["B-PER", "I-PER"]], [["B-LOC", "I-LOC"]]),
    ("I of other type splits", [["B-PER", "I-LOC"]], [["B-PER", "B-LOC"]]),
    ("adjacent entities", [["B-PER", "B-PER"]], [["B-PER", "I-PER"]]),
    ("no prediction", [["B-ORG", "O"]], [["O", "O"]]),
    ("no gold", [["O", "O"]], [["O", "B-ORG"]]),
    ("both empty", [["O"]], [["O"]]),
    ("several sentences", [["B-PER"], ["O", "B-LOC"], []], [["B-PER"], ["B-LOC", "O"], []]),
]


@pytest.mark.parametrize(("gold", "pred"), [c[1:] for c in SEQEVAL_HAND], ids=[c[0] for c in SEQEVAL_HAND])
def test_seqeval_hand(gold: list[list[str]], pred: list[list[str]]) -> None:
    _assert_agrees(gold, pred)


TAGS = ["O", "O", "O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG"]


def _random_case(seed: int) -> tuple[list[list[str]], list[list[str]]]:
    rng = random.Random(seed)
    gold, pred = [], []
    for _ in range(rng.randint(1, 6)):
        g = [rng.choice(TAGS) for _ in range(rng.randint(0, 14))]
        # predictions: mostly copies of gold with some tags changed, sometimes independent
        p = [t if rng.random() < 0.8 else rng.choice(TAGS) for t in g] if rng.random() < 0.8 else \
            [rng.choice(TAGS) for _ in g]
        gold.append(g)
        pred.append(p)
    return gold, pred


@pytest.mark.parametrize("block", range(6), ids=lambda b: f"seeds {b * 50}-{b * 50 + 49}")
def test_seqeval_random(block: int) -> None:
    for seed in range(block * 50, block * 50 + 50):
        _assert_agrees(*_random_case(seed))


SCORED_LABEL_CASES = {
    "subset_lacks_a_dataset_label": (["LOC", "ORG", "PER"], ["PER", "LOC", "ORG", "DATE"], ["LOC", "ORG", "PER"]),
    "schema_label_not_in_dataset_dropped": (["PER"], ["PER", "DATE"], ["PER"]),
    "dataset_label_schema_cannot_predict_dropped": (["PER", "MISC"], ["PER", "LOC"], ["PER"]),
    "no_overlap_scores_dataset_labels": (["MISC"], ["PER"], ["MISC"]),
}


@pytest.mark.parametrize("dataset,schema,expected", SCORED_LABEL_CASES.values(), ids=SCORED_LABEL_CASES.keys())
def test_scored_labels(dataset: list[str], schema: list[str], expected: list[str]) -> None:
    from training.evaluate import scored_labels

    assert scored_labels(dataset, schema) == expected
