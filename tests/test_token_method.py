"""The ``tokens`` method: bidirectional token classifier, BIO over words, windows, training, merging, vLLM.

Tiny random models throughout: every assertion is about what the code decides (labels placed,
spans decoded, backends agreeing), never about what a random model happens to predict.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from tiny_token_model import build_tiny_base, build_tiny_token_model, write_export

from extractor.adapters import METADATA_FILE, load_adapter
from extractor.errors import ConfigError, EngineError
from extractor.records import Entity
from extractor.tokens import TokenClassifier, TokenEngineConfig, merge_token_adapter
from extractor.tokens import classifier as classifier_module
from extractor.tokens.backends import TransformersBackend, budget_batches, load_token_model
from extractor.tokens.spans import (
    IGNORE,
    bio_labels,
    char_spans,
    tags_from_tokens,
    to_entities,
    token_label_ids,
    word_tags,
    word_to_token,
    words,
)
from extractor.tokens.windows import central_window, encode_text, labelled_windows, plan_windows
from training.examples import Example, Span
from training.token_rows import score_dev_sets, set_key
from training.token_trainer import TokenTrainConfig, train_tokens

LABEL2ID = {b: i for i, b in enumerate(bio_labels(["PER", "ORG", "LOC"]))}


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def token_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A random tiny Qwen2 and Llama ``*ForTokenClassification`` (BIO labels, ``is_causal: false``)."""
    root = tmp_path_factory.mktemp("token-models")
    return {arch: build_tiny_token_model(root / arch, arch) for arch in ("qwen2", "llama")}


@pytest.fixture(scope="session")
def token_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_base(tmp_path_factory.mktemp("token-base") / "qwen2", "qwen2")


@pytest.fixture(scope="session")
def token_data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("token-data")
    return write_export(root / "train.jsonl", 48, seed=1), write_export(root / "dev.jsonl", 8, seed=2)


def _config(base: Path, data: tuple[Path, Path], out: Path, **changes: object) -> TokenTrainConfig:
    values = {"data": str(data[0]), "eval": str(data[1]), "model": str(base), "schema": "kind", "out": out,
              "max_steps": 2, "batch_size": 8, "eval_steps": 2, "logging_steps": 1, "lr": 1e-3, "lora_rank": 8,
              "lora_alpha": 16, "max_seq_len": 32, "overlap": 8, "progress": False}
    return TokenTrainConfig(**{**values, **changes})  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def trained_adapter(token_base: Path, token_data: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train_tokens(_config(token_base, token_data, tmp_path_factory.mktemp("trained") / "adapter"),
                        echo=lambda _: None)


@pytest.fixture(scope="session")
def merged_model(trained_adapter: Path, token_base: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return merge_token_adapter(str(token_base), load_adapter("tok", trained_adapter), tmp_path_factory.mktemp("merge"))


# --- first-subword labelling -------------------------------------------------------------------

# (text, token offsets, spans, expected label per token)
LABELLING = {
    "one-token-per-word": ("Mario Rossi vive", [(0, 5), (5, 11), (11, 16)], [(0, 11, "PER")],
                           ["B-PER", "I-PER", "O"]),
    "word-split-into-subwords": ("a Bologna", [(0, 1), (1, 4), (4, 9)], [(2, 9, "LOC")], ["O", "B-LOC", IGNORE]),
    "token-shared-by-two-words": ("dell'Università", [(0, 4), (4, 15)], [(5, 15, "ORG")], ["O", "B-ORG"]),
    "special-token-offsets": ("Roma", [(0, 0), (0, 4), (4, 4)], [(0, 4, "LOC")], [IGNORE, "B-LOC", IGNORE]),
    "byte-split-character": ("è Roma", [(0, 1), (0, 1), (1, 6)], [(2, 6, "LOC")], ["O", IGNORE, "B-LOC"]),
    "punctuation-own-token": ("Roma, Milano", [(0, 4), (4, 5), (5, 12)], [(0, 4, "LOC"), (6, 12, "LOC")],
                              ["B-LOC", "O", "B-LOC"]),
}


@pytest.mark.parametrize("case", list(LABELLING))
def test_first_subword_labels(case: str):
    text, tokens, spans, expected = LABELLING[case]
    offsets = words(text)
    labels = token_label_ids(word_tags(offsets, spans), word_to_token(offsets, tokens), len(tokens), LABEL2ID)
    assert labels == [e if e == IGNORE else LABEL2ID[e] for e in expected]


@pytest.mark.parametrize(("spans", "message"), [
    pytest.param([(1, 5, "PER")], "word boundaries", id="span-inside-a-word"),
    pytest.param([(0, 5, "PER"), (0, 11, "PER")], "overlaps", id="overlapping-spans"),
])
def test_spans_bio_cannot_say_are_refused(spans: list, message: str):
    with pytest.raises(ValueError, match=message):
        word_tags(words("Mario Rossi vive"), spans)


def test_labelled_windows_label_each_word_once(token_models: dict[str, Path]):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(token_models["qwen2"]))
    text = "Gentile Mario Rossi, la riunione con Banca Sella si terrà a Milano. " * 4
    spans = [(text.index("Mario Rossi"), text.index("Mario Rossi") + 11, "PER")]
    windows = labelled_windows(tok, text, spans, LABEL2ID, max_len=16, overlap=4)
    assert len(windows) > 1 and all(len(ids) == len(labs) <= 16 for ids, labs in windows)
    labelled = [lab for _, labs in windows for lab in labs if lab != IGNORE]
    enc = encode_text(tok, text, 16, 4)
    owned = {t for t in word_to_token(words(text), enc.offsets) if t is not None}
    assert len(labelled) == len(owned)  # one label per first subword, once across overlapping windows
    assert labelled.count(LABEL2ID["B-PER"]) == 1 and labelled.count(LABEL2ID["I-PER"]) == 1


# --- BIO decoding to character spans -----------------------------------------------------------

# (text, word tags, expected (entity text, label) list)
DECODING = {
    "begin-inside": ("Mario Rossi vive", ["B-PER", "I-PER", "O"], [("Mario Rossi", "PER")]),
    "inside-without-begin": ("vive Mario Rossi", ["O", "I-PER", "I-PER"], [("Mario Rossi", "PER")]),
    "label-change-closes": ("Mario Roma", ["B-PER", "I-LOC"], [("Mario", "PER"), ("Roma", "LOC")]),
    "begin-after-begin": ("Roma Milano", ["B-LOC", "B-LOC"], [("Roma", "LOC"), ("Milano", "LOC")]),
    "outside-splits": ("Roma e Milano", ["B-LOC", "O", "I-LOC"], [("Roma", "LOC"), ("Milano", "LOC")]),
    "entity-at-end": ("a Banca Sella S.p.A.", ["O", "B-ORG", "I-ORG", "I-ORG", "I-ORG", "I-ORG", "I-ORG", "I-ORG",
                                              "I-ORG"], [("Banca Sella S.p.A.", "ORG")]),
    "unknown-tag-is-outside": ("Roma", ["X"], []),
    "no-span-crosses-a-line-break": ("Mario Rossi\nEdilnord Srl", ["B-PER", "I-PER", "I-PER", "I-PER"],
                                     [("Mario Rossi", "PER"), ("Edilnord Srl", "PER")]),
    "blank-line-inside": ("Roma\n\n Milano", ["B-LOC", "I-LOC"], [("Roma", "LOC"), ("Milano", "LOC")]),
}


@pytest.mark.parametrize("case", list(DECODING))
def test_bio_to_char_spans(case: str):
    text, tags, expected = DECODING[case]
    offsets = words(text)
    assert len(offsets) == len(tags)
    entities = to_entities(text, char_spans(text, offsets, tags))
    assert [(e.text, e.label) for e in entities] == expected
    assert all(text[e.start:e.end] == e.text and e.source == "model" for e in entities)


def test_whitespace_at_span_edges_is_stripped():
    text = "a  Mario Rossi \n fine"
    offsets = [(0, 1), (1, 8), (8, 15), (15, 21)]  # offsets with spaces inside, as token offsets have
    (start, end, label), = char_spans(text, offsets, ["O", "B-PER", "I-PER", "O"])
    assert (text[start:end], label) == ("Mario Rossi", "PER")


# (text, token offsets, predicted tag per token, expected entities)
UNOWNED = {
    "apostrophe-continues-span": ("Banca d'Italia", [(0, 5), (5, 7), (7, 14)], ["B-ORG", "I-ORG", "I-ORG"],
                                  [("Banca d'Italia", "ORG")]),
    "apostrophe-before-new-span": ("dell'Italia", [(0, 4), (4, 11)], ["O", "B-LOC"], [("Italia", "LOC")]),
    "bracket-before-inside-tag": ("(Roma)", [(0, 5), (5, 6)], ["I-LOC", "O"], [("Roma", "LOC")]),
    "quote-after-other-label": ('Mario "Roma"', [(0, 5), (5, 11), (11, 12)], ["B-PER", "I-LOC", "O"],
                                [("Mario", "PER"), ("Roma", "LOC")]),
}


@pytest.mark.parametrize("case", list(UNOWNED))
def test_words_sharing_a_token_follow_its_owner(case: str):
    text, tokens, token_tags, expected = UNOWNED[case]
    offsets = words(text)
    tags = tags_from_tokens(token_tags, word_to_token(offsets, tokens))
    assert [(e.text, e.label) for e in to_entities(text, char_spans(text, offsets, tags))] == expected


# --- windows -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "size", "overlap", "expected"), [
    pytest.param(5, 8, 2, [(0, 5)], id="fits"),
    pytest.param(0, 8, 2, [], id="empty"),
    pytest.param(14, 8, 2, [(0, 8), (6, 14)], id="exact"),
    pytest.param(15, 8, 2, [(0, 8), (6, 14), (7, 15)], id="last-window-ends-at-the-end"),
])
def test_plan_windows(n: int, size: int, overlap: int, expected: list):
    assert plan_windows(n, size, overlap) == expected


def test_each_token_is_decided_where_it_is_most_central():
    windows = [(0, 8), (6, 14), (7, 15)]
    central = central_window(windows, 15)
    assert central == [0] * 7 + [1] * 4 + [2] * 4  # token 10 is as central in windows 1 and 2: the earlier wins
    for i, w in enumerate(central):
        start, end = windows[w]
        margin = min(i - start, end - 1 - i)
        assert all(min(i - s, e - 1 - i) <= margin for s, e in windows if s <= i < e)


class ByTokenBackend:
    """Logits that depend only on the token id (no context): windowing must not change the result."""

    name = "fake"

    def __init__(self, n_labels: int) -> None:
        self.n_labels = n_labels
        self.calls: list[list[list[int]]] = []

    def logits(self, inputs):
        self.calls.append([list(x) for x in inputs])
        return [np.eye(self.n_labels, dtype=np.float32)[[(t * 7) % self.n_labels for t in ids]] for ids in inputs]


class ByWindowBackend:
    """Every token of input ``k`` gets class ``k % n_labels``: shows which window decided a token."""

    name = "fake"

    def __init__(self, n_labels: int) -> None:
        self.n_labels = n_labels

    def logits(self, inputs):
        return [np.tile(np.eye(self.n_labels, dtype=np.float32)[k % self.n_labels], (len(ids), 1))
                for k, ids in enumerate(inputs)]


def _fake_classifier(model: Path, backend: object, max_len: int, overlap: int) -> TokenClassifier:
    return TokenClassifier(TokenEngineConfig(model=str(model), backend="transformers", max_len=max_len,
                                             overlap=overlap), backend=backend)  # type: ignore[arg-type]


LONG = ("Gentile Mario Rossi,\nla riunione con Edilnord S.r.l. si terrà a Milano presso l'Università di Bologna "
        "il 14 aprile 2023.  Cordiali saluti, Giulia Bianchi\n\n") * 6


def test_windowing_a_long_text_keeps_offsets_exact(token_models: dict[str, Path]):
    model = token_models["qwen2"]
    n = len(bio_labels(["PER", "ORG", "LOC", "DATE"]))
    windowed = _fake_classifier(model, ByTokenBackend(n), max_len=24, overlap=6)
    whole = _fake_classifier(model, ByTokenBackend(n), max_len=4096, overlap=6)
    got = windowed.extract_texts([LONG, "", "Roma"])
    assert got == whole.extract_texts([LONG, "", "Roma"])
    assert len(windowed.backend.calls[0]) > 4 and len(whole.backend.calls[0]) == 2  # no input for ""
    assert max(map(len, windowed.backend.calls[0])) == 24
    assert got[0] and got[1] == []
    assert all(LONG[e.start:e.end] == e.text and e.text == e.text.strip() for e in got[0])


def test_token_tags_come_from_the_central_window(token_models: dict[str, Path]):
    model = token_models["qwen2"]
    labels = bio_labels(["PER", "ORG", "LOC", "DATE"])
    clf = _fake_classifier(model, ByWindowBackend(len(labels)), max_len=24, overlap=8)
    texts = ["Roma e Milano", LONG]
    encoded = [clf.encode(t) for t in texts]
    tags = clf.token_tags(encoded)
    first = 0
    for enc, text_tags in zip(encoded, tags, strict=True):
        assert len(text_tags) == len(enc.ids)
        assert text_tags == [labels[(first + enc.central[i]) % len(labels)] for i in range(len(enc.ids))]
        first += len(enc.windows)


def test_budget_batches():
    batches = budget_batches([3, 10, 4, 10, 1], budget=20)
    assert sorted(i for b in batches for i in b) == [0, 1, 2, 3, 4]
    assert batches[0] == [1, 3] and all(len(b) * max([3, 10, 4, 10, 1][i] for i in b) <= 20 for b in batches)
    assert budget_batches([50], budget=20) == [[0]]


def test_config_is_checked():
    with pytest.raises(ValueError, match="backend"):
        TokenEngineConfig(model="m", backend="onnx")
    with pytest.raises(ValueError, match="overlap"):
        TokenEngineConfig(model="m", max_len=16, overlap=16)
    with pytest.raises(ValueError, match="max_seq_len"):
        TokenTrainConfig(data="kind:WN_train", overlap=200)
    kind = TokenTrainConfig(data="kind:WN_train,kind:FIC_train")
    assert (kind.schema, kind.eval) == ("kind", "kind:WN_dev,kind:FIC_dev")
    assert TokenTrainConfig(data="x.jsonl", eval="none").eval == ""


class _ScriptedClassifier:
    """Finds "Roma" as LOC wherever it occurs, nothing else: scoring logic only."""

    entity_labels = ("PER", "ORG", "LOC")

    def extract_texts(self, texts: list[str]) -> list[list[Entity]]:
        return [[Entity("Roma", "LOC", t.index("Roma"), t.index("Roma") + 4)] if "Roma" in t else [] for t in texts]


def _example(text: str, *spans: tuple[int, int, str]) -> Example:
    return Example(text, tuple(Span(*s) for s in spans), id=text)


DEV_SETS = {
    # news: both found (F1 1.0); fiction: one of two gold found, nothing wrong (P 1, R 0.5, F1 2/3)
    "kind:WN_dev": [_example("a Roma", (2, 6, "LOC")), _example("Roma ieri", (0, 4, "LOC"))],
    "kind:FIC_dev": [_example("Roma e Anna", (0, 4, "LOC"), (7, 11, "PER"))],
}


def test_each_dev_set_is_scored_and_their_mean_selects():
    scores = score_dev_sets(_ScriptedClassifier(), DEV_SETS)  # type: ignore[arg-type]
    assert scores["f1_kind_WN_dev"] == pytest.approx(1.0) and scores["f1_kind_FIC_dev"] == pytest.approx(2 / 3)
    assert scores["f1_mean"] == pytest.approx(5 / 6)
    assert scores["f1"] == pytest.approx(2 * 1.0 * 0.75 / 1.75)  # pooled: 3 of 4 gold, no false positive
    single = score_dev_sets(_ScriptedClassifier(), {"kind:WN_dev": DEV_SETS["kind:WN_dev"]})  # type: ignore[arg-type]
    assert "f1_mean" not in single and single["f1"] == pytest.approx(1.0)
    assert score_dev_sets(_ScriptedClassifier(), {"a": []}) == {}  # type: ignore[arg-type]


@pytest.mark.parametrize(("changes", "message"), [
    ({"select": "best"}, "select must be one of mean, pooled"),
])
def test_bad_selection_is_refused(changes: dict, message: str):
    with pytest.raises(ValueError, match=message):
        TokenTrainConfig(data="kind:WN_train", **changes)


# --- bidirectional attention in transformers ---------------------------------------------------


def _ids(model: Path, text: str) -> list[int]:
    from transformers import AutoTokenizer

    return list(AutoTokenizer.from_pretrained(str(model))(text, add_special_tokens=False)["input_ids"])


@pytest.mark.parametrize("arch", ["qwen2", "llama"])
def test_causal_mask_is_off(token_models: dict[str, Path], arch: str):
    import torch

    model = load_token_model(str(token_models[arch]), "float32").eval()
    ids = _ids(token_models[arch], "Buongiorno Mario Rossi, ci vediamo a Milano.")
    changed = [*ids[:-1], ids[0]]

    def first_token_logits(seq: list[int]) -> torch.Tensor:
        with torch.inference_mode():
            return model(torch.tensor([seq])).logits[0, 0]

    assert model.config.is_causal is False
    assert not torch.allclose(first_token_logits(ids), first_token_logits(changed), atol=1e-5)
    model.config.is_causal = True
    assert torch.allclose(first_token_logits(ids), first_token_logits(changed), atol=1e-6)


@pytest.mark.parametrize("arch", ["qwen2", "llama"])
def test_padded_examples_in_one_batch_do_not_see_each_other(token_models: dict[str, Path], arch: str):
    import torch

    model = load_token_model(str(token_models[arch]), "float32").eval()
    a = _ids(token_models[arch], "Gentile Mario Rossi, la riunione con Enel si terrà a Roma.")
    b = _ids(token_models[arch], "Ciao Sara!")
    backend = TransformersBackend(model, pad_id=0, batch_tokens=4096)
    together = backend.logits([a, b])
    alone = [backend.logits([a])[0], backend.logits([b])[0]]
    for got, want in zip(together, alone, strict=True):
        np.testing.assert_allclose(got, want, atol=1e-5)
    # Why batches are padded, never packed: the bidirectional mask ignores position_ids, so packed
    # examples attend to each other even with positions restarting at 0.
    positions = torch.tensor([[*range(len(a)), *range(len(b))]])
    with torch.inference_mode():
        packed = model(torch.tensor([a + b]), position_ids=positions).logits[0, : len(a)].numpy()
    assert not np.allclose(packed, alone[0], atol=1e-4)


def test_auto_backend_falls_back_to_transformers(token_models: dict[str, Path], monkeypatch: pytest.MonkeyPatch):
    def refuse(*args: object, **kwargs: object) -> None:
        raise EngineError("vLLM could not start on tiny: unsupported architecture")

    monkeypatch.setattr(classifier_module, "VllmBackend", refuse)
    clf = TokenClassifier(TokenEngineConfig(model=str(token_models["llama"]), backend="auto", max_len=32, overlap=4))
    assert clf.backend_name == "transformers" and "unsupported architecture" in (clf.fallback_reason or "")
    assert clf.entity_labels == ["PER", "ORG", "LOC", "DATE"]
    (ents,) = clf.extract_texts(["Mario Rossi vive a Milano."])
    assert all("Mario Rossi vive a Milano."[e.start:e.end] == e.text for e in ents)


# --- training, resuming, merging ---------------------------------------------------------------


@pytest.mark.slow
def test_training_writes_a_token_adapter(trained_adapter: Path):
    meta = json.loads((trained_adapter / METADATA_FILE).read_text())
    assert meta["method"] == "tokens" and meta["labels"] == bio_labels(["PER", "ORG", "LOC"])
    assert meta["architecture"] == "Qwen2ForTokenClassification" and meta["steps"] == 2
    assert {"dev_f1", "dev_precision", "dev_recall", "best_eval_f1"} <= set(meta["metrics"])
    assert meta["throughput"]["steps_per_s"] > 0 and meta["throughput"]["examples_per_s"] > 0
    assert "score" in meta["lora"]["modules_to_save"]
    from safetensors import safe_open

    with safe_open(str(trained_adapter / "adapter_model.safetensors"), "pt") as f:
        keys = list(f.keys())
    assert any(k.endswith("score.weight") for k in keys) and any("lora_A" in k for k in keys)
    assert not (trained_adapter / "checkpoints").exists()


@pytest.mark.slow
def test_training_resumes_from_a_checkpoint(token_base: Path, token_data: tuple[Path, Path], tmp_path: Path):
    out = tmp_path / "adapter"
    train_tokens(_config(token_base, token_data, out, eval="none", save_steps=1, keep_checkpoints=True),
                 echo=lambda _: None)
    assert (out / "checkpoints" / "checkpoint-2").is_dir()
    said: list[str] = []
    train_tokens(_config(token_base, token_data, out, eval="none", max_steps=3, save_steps=1), echo=said.append)
    meta = json.loads((out / METADATA_FILE).read_text())
    assert meta["resumed_from"] == "checkpoint-2" and meta["steps"] == 3
    assert any("resuming from" in s for s in said) and not (out / "checkpoints").exists()


@pytest.mark.slow
def test_training_starts_from_an_adapter(trained_adapter: Path, token_base: Path, token_data: tuple[Path, Path],
                                         tmp_path: Path):
    """A further epoch starts from the adapter's LoRA and head (a learning rate of ~0 leaves them as they
    were; a fresh head is random), keeps its LoRA shape, scores each dev set and records where it began."""
    import torch
    from safetensors.torch import load_file

    second_dev = write_export(tmp_path / "dev2.jsonl", 6, seed=3)
    out = tmp_path / "second"
    train_tokens(_config(token_base, token_data, out, init_adapter=trained_adapter, lr=1e-12, max_steps=1,
                         eval_steps=1, lora_rank=16, eval=f"{token_data[1]},{second_dev}"), echo=lambda _: None)
    before, after = (load_file(str(p / "adapter_model.safetensors")) for p in (trained_adapter, out))
    assert before.keys() == after.keys()
    for key in before:
        assert torch.allclose(before[key].float(), after[key].float(), atol=1e-9), key
    meta = json.loads((out / METADATA_FILE).read_text())
    first = json.loads((trained_adapter / METADATA_FILE).read_text())
    assert meta["lora"]["r"] == first["lora"]["r"] == 8
    assert meta["init_adapter"]["path"] == str(trained_adapter.resolve()) and meta["init_adapter"]["steps"] == 2
    assert meta["epochs_total"] == pytest.approx(meta["epochs"] + first["epochs"], abs=1e-3)
    metrics = meta["metrics"]
    keys = [f"dev_f1_{set_key(str(p))}" for p in (token_data[1], second_dev)]
    assert set(keys) <= set(metrics) and metrics["selected_on"] == "eval_f1_mean"
    # the metadata rounds each metric to 6 places, so the mean of the rounded scores may differ in the 6th
    assert metrics["dev_f1_mean"] == pytest.approx(sum(metrics[k] for k in keys) / 2, abs=1e-6)


@pytest.mark.slow
def test_starting_adapter_with_other_labels_is_refused(trained_adapter: Path, token_base: Path,
                                                      token_data: tuple[Path, Path], tmp_path: Path):
    with pytest.raises(ConfigError, match="not this run's labels"):
        train_tokens(_config(token_base, token_data, tmp_path / "x", init_adapter=trained_adapter,
                             schema="italian_email"), echo=lambda _: None)


@pytest.mark.slow
def test_merged_adapter_matches_the_adapter(trained_adapter: Path, token_base: Path, merged_model: Path):
    from peft import PeftModel

    config = json.loads((merged_model / "config.json").read_text())
    labels = json.loads((trained_adapter / METADATA_FILE).read_text())["labels"]
    assert config["is_causal"] is False and config["architectures"] == ["Qwen2ForTokenClassification"]
    assert [config["id2label"][str(i)] for i in range(len(labels))] == labels
    base = load_token_model(str(token_base), "float32", new_head=True, num_labels=len(labels),
                            id2label=dict(enumerate(labels)), label2id={b: i for i, b in enumerate(labels)})
    live = PeftModel.from_pretrained(base, str(trained_adapter))
    ids = [_ids(merged_model, LONG)[:40], _ids(merged_model, "Ciao Sara!")]
    merged = TransformersBackend.load(str(merged_model), "float32").logits(ids)
    for got, want in zip(merged, TransformersBackend(live).logits(ids), strict=True):
        np.testing.assert_allclose(got, want, atol=1e-4)
    adapter = load_adapter("tok", trained_adapter)
    assert merge_token_adapter(str(token_base), adapter, merged_model.parents[1]) == merged_model  # cached
    served = TokenClassifier.for_adapter(adapter, str(token_base), merged_model.parents[1], backend="transformers")
    assert served.config.model == str(merged_model) and (served.config.max_len, served.config.overlap) == (32, 8)
    assert served.entity_labels == ["PER", "ORG", "LOC"]


# --- vLLM pooling runner -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def vllm_classifier(merged_model: Path):
    clf = TokenClassifier(TokenEngineConfig(model=str(merged_model), backend="vllm", max_len=24, overlap=6,
                                            batch_tokens=512, dtype="float32", enforce_eager=True,
                                            kv_cache_bytes=32 << 20))
    yield clf
    del clf.backend.llm  # type: ignore[attr-defined]
    import gc

    gc.collect()


@pytest.mark.engine
@pytest.mark.slow
def test_vllm_logits_equal_transformers(vllm_classifier: TokenClassifier, merged_model: Path):
    assert vllm_classifier.backend_name == "vllm"
    ids = [_ids(merged_model, LONG)[:24], _ids(merged_model, "Ciao Sara!"), _ids(merged_model, "Roma")]
    got = vllm_classifier.backend.logits(ids)
    want = TransformersBackend.load(str(merged_model), "float32").logits(ids)
    for g, w, seq in zip(got, want, ids, strict=True):
        assert g.shape == w.shape == (len(seq), len(vllm_classifier.labels))
        assert (g.argmax(-1) == w.argmax(-1)).all()
        np.testing.assert_allclose(g, w, atol=1e-4)
    changed = [*ids[0][:-1], ids[1][0]]
    assert not np.allclose(vllm_classifier.backend.logits([changed])[0][0], got[0][0], atol=1e-5)  # bidirectional


@pytest.mark.engine
@pytest.mark.slow
def test_vllm_and_transformers_backends_extract_the_same_entities(vllm_classifier: TokenClassifier,
                                                                   merged_model: Path):
    texts = [LONG, "Spett.le Banca Sella, in allegato la fattura del 3 marzo.", ""]
    reference = TokenClassifier(TokenEngineConfig(model=str(merged_model), backend="transformers", max_len=24,
                                                  overlap=6, dtype="float32"))
    got = vllm_classifier.extract_texts(texts)
    assert got == reference.extract_texts(texts)
    assert all(t[e.start:e.end] == e.text for t, ents in zip(texts, got, strict=True) for e in ents)
