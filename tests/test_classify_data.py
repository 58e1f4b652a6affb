"""Classification splits: fixed by the data and the seed, disjoint, balanced as the protocol says.

Skips when the shared data is absent (tests/data_paths.py).
"""

from __future__ import annotations

from collections import Counter

import pytest
from data_paths import shared_data_dir

from schemas.classes import POLARITY, SENTIMENT, SPAM
from training.classify_data import CLASS_DATASETS, load_class_splits
from training.classify_eval import pick_shots

pytestmark = pytest.mark.slow


def splits_of(name: str):
    root = shared_data_dir()
    if root is None or not (root / CLASS_DATASETS[name].path).exists():
        pytest.skip(f"../shared/data/{CLASS_DATASETS[name].path} not found: set EXTRACT_ENTITIES_DATA")
    return load_class_splits(name, root)


@pytest.mark.parametrize(("name", "counts"), [
    pytest.param("imdb", {"train": {"positive": 450, "negative": 450}, "dev": {"positive": 50, "negative": 50},
                          "test": {"positive": 1250, "negative": 1250}}, id="imdb-seed-protocol"),
    pytest.param("sentipolc", {"train": {"positive": 1128, "negative": 1780, "neutral": 1971, "mixed": 308},
                               "dev": {"positive": 161, "negative": 254, "neutral": 282, "mixed": 44},
                               "test": {"positive": 322, "negative": 509, "neutral": 563, "mixed": 88}},
                 id="sentipolc-stratified"),
    pytest.param("spamassassin", {"train": {"ham": 1500, "spam": 300}, "dev": {"ham": 250, "spam": 50},
                                  "test": {"ham": 750, "spam": 150}}, id="spamassassin-stratified"),
])
def test_splits_are_disjoint_deterministic_and_sized(name, counts):
    splits = splits_of(name)
    assert {s: dict(Counter(ex.label for ex in exs)) for s, exs in splits.items()} == counts
    ids = [ex.id for exs in splits.values() for ex in exs]
    assert len(ids) == len(set(ids))
    again = load_class_splits(name, shared_data_dir())
    assert [ex.id for ex in again["test"]] == [ex.id for ex in splits["test"]]
    assert set(CLASS_DATASETS[name].schema.labels) >= {ex.label for ex in splits["test"]}


def test_sentipolc_polarity_counts_are_the_documented_ones():
    splits = splits_of("sentipolc")
    total = Counter(ex.label for exs in splits.values() for ex in exs)
    assert total == {"positive": 1611, "negative": 2543, "neutral": 2816, "mixed": 440}


def test_imdb_texts_have_no_html_breaks():
    assert not any("<br />" in ex.text for ex in splits_of("imdb")["test"][:200])


@pytest.mark.parametrize(("name", "schema", "k", "labels"), [
    pytest.param("imdb", POLARITY, 1, ["positive"], id="one-shot"),
    pytest.param("imdb", POLARITY, 4, ["positive", "negative", "positive", "negative"], id="balanced-in-turn"),
    pytest.param("spamassassin", SPAM, 2, ["ham", "spam"], id="spam"),
    pytest.param("sentipolc", SENTIMENT, 0, [], id="zero-shot"),
])
def test_shots_come_from_the_training_split_labels_in_turn(name, schema, k, labels):
    splits = splits_of(name)
    shots = pick_shots(splits["train"], list(schema.labels), k)
    assert [s.label for s in shots] == labels
    train = {ex.text for ex in splits["train"]}
    assert all(s.text in train for s in shots)
