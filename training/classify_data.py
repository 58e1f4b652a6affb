"""Labelled texts for message classification: IMDB, SENTIPOLC 2016 and SpamAssassin, split reproducibly.

``load_class_split("imdb:test")`` gives the examples of one split and the class schema they are
labelled in. Every split is a fixed function of the data and :data:`SEED`:

* ``imdb``: the seed protocol inside the 25,000 train reviews: 900 train / 100 dev / 2,500 test,
  balanced (450/50/1,250 of each polarity), disjoint; ``<br />`` tags become line breaks.
* ``sentipolc``: the 7,410 tweets, polarity from (opos, oneg): (1,0) positive, (0,1) negative,
  (0,0) neutral, (1,1) mixed; stratified 70% train / 10% dev / 20% test.
* ``spamassassin``: 2,500 ham + 500 spam raw messages through the real mail path
  (``extractor.sources.iter_path`` + ``extractor.mail.parse_message``), text = the body the
  pipeline sees, ``subject`` = its decoded Subject; stratified 60% train / 10% dev / 30% test.

:func:`stratified` takes a fixed subset with every class in proportion (``--limit``).
"""

from __future__ import annotations

import csv
import random
import tarfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from extractor.message_input import BODY, message_input
from schemas.classes import POLARITY, SENTIMENT, SPAM, ClassSchema
from training.data import DataFormatError, default_data_root

SEED = 42
SPLITS = ("train", "dev", "test")


@dataclass(frozen=True)
class LabelledText:
    """One text and its gold class label; ``subject`` is a message's Subject (``None`` for reviews, tweets)."""

    id: str
    text: str
    label: str
    subject: str | None = None

    def read(self, reads: str) -> str:
        """The text a classifier reading ``reads`` gets (:func:`extractor.message_input.message_input`)."""
        return message_input(self.text, self.subject, reads)


Splits = dict[str, list[LabelledText]]


@dataclass(frozen=True)
class ClassDataset:
    """A registered classification data set: its class schema, where it lives, how it splits."""

    name: str
    schema: ClassSchema
    path: str
    read: Callable[[Path], Splits]


def _take(items: Sequence[str], counts: Sequence[int]) -> list[list[str]]:
    out, at = [], 0
    for n in counts:
        out.append(list(items[at:at + n]))
        at += n
    return out


def _shuffled(items: Sequence[str], salt: str) -> list[str]:
    out = sorted(items)
    random.Random(f"{SEED}:{salt}").shuffle(out)
    return out


def _proportional(by_label: dict[str, list[str]], fractions: Sequence[float]) -> dict[str, list[list[str]]]:
    """Each label's shuffled items cut into parts of the given fractions (the last part takes the rest)."""
    out = {}
    for label, items in by_label.items():
        counts = [round(f * len(items)) for f in fractions[:-1]]
        out[label] = _take(_shuffled(items, label), [*counts, len(items) - sum(counts)])
    return out


def _assemble(parts: dict[str, list[list[str]]], make: Callable[[str, str], LabelledText],
              names: Sequence[str]) -> Splits:
    splits: Splits = {}
    for i, split in enumerate(names):
        items = [make(key, label) for label, cut in parts.items() for key in cut[i]]
        splits[split] = [items[j] for j in _order(len(items), split)]
    return splits


def _order(n: int, salt: str) -> list[int]:
    idx = list(range(n))
    random.Random(f"{SEED}:order:{salt}").shuffle(idx)
    return idx


IMDB_COUNTS = {"train": 450, "dev": 50, "test": 1250}
"""Per polarity; the seed protocol's 900 / 100 / 2,500."""


def read_imdb(path: Path) -> Splits:
    with tarfile.open(path) as tar:
        members = {m.name: m for m in tar.getmembers() if m.isfile() and m.name.endswith(".txt")}
        by_label: dict[str, list[str]] = {"positive": [], "negative": []}
        for name in members:
            folder = name.rsplit("/", 2)[-2]
            if folder in ("pos", "neg"):
                by_label["positive" if folder == "pos" else "negative"].append(name)
        if not all(by_label.values()):
            raise DataFormatError(f"{path}: no train/pos and train/neg reviews inside")
        parts = {label: _take(_shuffled(names, label), list(IMDB_COUNTS.values())) for label, names in by_label.items()}
        wanted = {name for cuts in parts.values() for cut in cuts for name in cut}
        texts = {name: tar.extractfile(members[name]).read().decode("utf-8", "replace")  # type: ignore[union-attr]
                 for name in sorted(wanted)}

    def make(name: str, label: str) -> LabelledText:
        return LabelledText(name.rsplit("/", 1)[-1], texts[name].replace("<br />", "\n").strip(), label)

    return _assemble(parts, make, SPLITS)


SENTIPOLC_POLARITY = {("1", "0"): "positive", ("0", "1"): "negative", ("0", "0"): "neutral", ("1", "1"): "mixed"}


def read_sentipolc(path: Path) -> Splits:
    rows: dict[str, tuple[str, str]] = {}
    by_label: dict[str, list[str]] = {label: [] for label in SENTIMENT.labels}
    with path.open(encoding="utf-8", newline="") as fh:
        for n, row in enumerate(csv.DictReader(fh)):
            try:
                label = SENTIPOLC_POLARITY[(row["opos"].strip(), row["oneg"].strip())]
            except KeyError as exc:
                raise DataFormatError(f"{path}: row {n + 2} has no opos/oneg polarity: {exc}") from exc
            key = f"{n:05d}:{row['idtwitter']}"
            rows[key] = (row["text"], label)
            by_label[label].append(key)
    parts = _proportional(by_label, (0.2, 0.1, 0.7))  # test, dev, train
    return _assemble(parts, lambda key, label: LabelledText(key.split(":", 1)[1], rows[key][0], label),
                     ("test", "dev", "train"))


SPAM_FOLDERS = {"easy-ham-1": "ham", "spam-1": "spam"}


def read_spamassassin(root: Path) -> Splits:
    by_label: dict[str, list[str]] = {"ham": [], "spam": []}
    for folder, label in SPAM_FOLDERS.items():
        by_label[label] += [str(p) for p in sorted((root / folder).glob("*.txt"))]
    if not all(by_label.values()):
        raise DataFormatError(f"{root}: expected easy-ham-1/*.txt and spam-1/*.txt")
    parts = _proportional(by_label, (0.3, 0.1, 0.6))  # test, dev, train
    return _assemble(parts, _mail_example, ("test", "dev", "train"))


def mail_text(path: Path) -> tuple[str, str | None]:
    """The body text the pipeline sees for the message in ``path`` and its Subject (``("", None)`` when it
    cannot be read)."""
    from extractor.errors import MessageError
    from extractor.mail import parse_message
    from extractor.records import RawMessage
    from extractor.sources.files import iter_path

    for raw in iter_path(path):
        if isinstance(raw, RawMessage):
            try:
                msg = parse_message(raw)
            except MessageError:
                return "", None
            return msg.text, msg.subject
    return "", None


def _mail_example(path: str, label: str) -> LabelledText:
    p = Path(path)
    text, subject = mail_text(p)
    return LabelledText(f"{p.parent.name}/{p.name.split('.', 1)[0]}", text, label, subject)


CLASS_DATASETS: dict[str, ClassDataset] = {
    "imdb": ClassDataset("imdb", POLARITY, "imdb/aclImdb_train.tar.gz", read_imdb),
    "sentipolc": ClassDataset("sentipolc", SENTIMENT, "sentipolc16/training_set_sentipolc16.csv", read_sentipolc),
    "spamassassin": ClassDataset("spamassassin", SPAM, "spamassassin", read_spamassassin),
}
"""Data set name -> how to read and split it. The registry is data; :func:`class_dataset` reads it."""


def class_dataset(spec: str) -> tuple[ClassDataset, str]:
    """The registered data set and split of ``name:split`` (``imdb:test``...)."""
    name, _, split = spec.partition(":")
    if name not in CLASS_DATASETS:
        raise DataFormatError(f"unknown classification data {spec!r}: use {', '.join(CLASS_DATASETS)} "
                              f"with :{'|:'.join(SPLITS)} (e.g. imdb:test)")
    split = split or "test"
    if split not in SPLITS:
        raise DataFormatError(f"unknown split {split!r} in {spec!r}: use one of {', '.join(SPLITS)}")
    return CLASS_DATASETS[name], split


def load_class_splits(name: str, data_root: Path | str | None = None) -> Splits:
    """Every split of a registered data set (the files are read once)."""
    dataset, _ = class_dataset(name)
    path = Path(data_root if data_root is not None else default_data_root()) / dataset.path
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: pass --data-root or set $EXTRACT_ENTITIES_DATA "
                                "to the shared data folder")
    return dataset.read(path)


def stratified(examples: Sequence[LabelledText], n: int | None) -> list[LabelledText]:
    """A fixed subset of ``n`` examples with each label in proportion (largest remainder); all when n is None."""
    if n is None or n >= len(examples):
        return list(examples)
    by_label: dict[str, list[LabelledText]] = {}
    for ex in examples:
        by_label.setdefault(ex.label, []).append(ex)
    exact = {label: n * len(items) / len(examples) for label, items in by_label.items()}
    counts = {label: int(x) for label, x in exact.items()}
    for label in sorted(exact, key=lambda lab: (counts[lab] - exact[lab], lab))[: n - sum(counts.values())]:
        counts[label] += 1
    keep = {id(ex) for label, items in by_label.items() for ex in items[: counts[label]]}
    return [ex for ex in examples if id(ex) in keep]


def split_texts(spec: str | None, root: Path | None, limit: int | None, reads: str = BODY) -> list[LabelledText]:
    """The labelled texts of ``name:split`` (a stratified ``limit`` of them), each ``text`` what a classifier
    reading ``reads`` gets; none for an empty spec."""
    if not spec:
        return []
    dataset, split = class_dataset(spec)
    examples = stratified(load_class_splits(dataset.name, root)[split], limit)
    return [replace(ex, text=ex.read(reads), subject=None) for ex in examples]
