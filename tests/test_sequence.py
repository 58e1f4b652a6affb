"""The sequence-classification method: head + tail cutting, the method in the pipeline, serving checks,
``train --task classify`` options and errors (no model: scripted classifier; the tiny real run is in
tests/test_sequence_engine.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from extractor.adapters import load_adapter
from extractor.cli import main
from extractor.errors import ConfigError
from extractor.methods import build_method
from extractor.pipeline import ExtractOptions, Extractor
from extractor.sequence.classifier import SequenceClassifier, encode_for_head, head_tail, softmax
from extractor.sequence.serving import check_request
from extractor.serving import prepare_model
from extractor.settings import load_settings
from schemas import NO_ENTITIES, load_schema
from schemas.classes import POLARITY, SENTIMENT, SPAM
from training.classify_data import LabelledText
from training.sequence_trainer import SequenceTrainConfig, class_weights


@pytest.mark.parametrize(("n", "max_len", "expected"), [
    pytest.param(5, 8, [0, 1, 2, 3, 4], id="fits"),
    pytest.param(8, 8, list(range(8)), id="exactly"),
    pytest.param(20, 8, [0, 1, 14, 15, 16, 17, 18, 19], id="head-quarter-then-tail"),
    pytest.param(10, 3, [3, 4, 5, 6, 7, 8, 9][-3:], id="no-room-for-a-head"),
])
def test_head_tail(n: int, max_len: int, expected: list[int]):
    assert head_tail(range(n), max_len) == expected


class FakeTokenizer:
    eos_token_id = 9

    def __call__(self, text: str) -> dict:
        return {"input_ids": [int(c) for c in text]}


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param("1230", [1, 2, 3], id="pad-dropped"),
    pytest.param("000", [9], id="only-pads-gives-eos"),
    pytest.param("1234567", [1, 5, 6, 7], id="cut-after-pads-dropped"),
])
def test_encoded_inputs_never_hold_the_pad_id(text: str, expected: list[int]):
    assert encode_for_head(FakeTokenizer(), text, 4, pad_id=0) == expected


class ScriptedClassifier:
    """Positive when the text says 'good'; raises on 'BOOM'."""

    def __init__(self, min_scores: dict[str, float] | None = None) -> None:
        self.labels = ["positive", "negative"]
        self.min_scores = min_scores or {}
        self.calls: list[int] = []

    def encode(self, text: str) -> list[int]:
        return list(range(len(text.split())))

    def distributions(self, texts):
        self.calls.append(len(texts))
        if any("BOOM" in t for t in texts):
            raise RuntimeError("scripted failure")
        return [{"positive": 0.9, "negative": 0.1} if "good" in t else {"positive": 0.25, "negative": 0.75}
                for t in texts]


def _extractor(classifier, recognizers: bool = False) -> Extractor:
    options = ExtractOptions(schema=NO_ENTITIES, recognizers=recognizers, batch_size=4, classes=(POLARITY,))
    return Extractor(build_method("sequence", classifier=classifier, options=options, class_name="polarity"),
                     options, model_name="tiny")


def test_results_carry_the_class_and_its_score():
    good, bad = _extractor(ScriptedClassifier()).extract_texts(["a good film", "a dull one"])
    assert (good.classes, good.class_scores, good.entities) == ({"polarity": "positive"}, {"polarity": 0.9}, [])
    assert (bad.classes, bad.class_scores) == ({"polarity": "negative"}, {"polarity": 0.75})
    assert good.prompt_tokens == 3 and good.completion_tokens == 0


def test_a_failing_batch_is_retried_text_by_text():
    classifier = ScriptedClassifier()
    results = _extractor(classifier).extract_texts(["good", "BOOM", "bad", "good"])
    assert [r.error is not None for r in results] == [False, True, False, False]
    assert "scripted failure" in results[1].error and results[1].classes is None
    assert [r.classes for r in results if r.error is None] == [{"polarity": p} for p in ("positive", "negative",
                                                                                       "positive")]
    assert classifier.calls[0] == 4


def test_softmax_is_stable_and_sums_to_one():
    probs = softmax([1000.0, 1001.0])
    assert abs(probs.sum() - 1) < 1e-9 and probs.argmax() == 1


class Adapter:
    def __init__(self, metadata: dict) -> None:
        self.name, self.path, self.metadata = "pol", Path("/nowhere"), metadata


POLARITY_ADAPTER = {"method": "sequence", "class_schema": "polarity", "labels": ["positive", "negative"]}


@pytest.mark.parametrize(("metadata", "schema", "classes", "message"), [
    pytest.param(POLARITY_ADAPTER, "italian_email", (POLARITY,), "pass --schema none --classify polarity",
                 id="entities-asked"),
    pytest.param(POLARITY_ADAPTER, "none", (SPAM,), "classifies polarity (positive, negative): pass --classify "
                 "polarity", id="another-class"),
    pytest.param(POLARITY_ADAPTER, "none", (POLARITY, SPAM), "pass --classify polarity (and nothing else)",
                 id="two-classes"),
    pytest.param({**POLARITY_ADAPTER, "class_schema": "sentiment"}, "none", (SENTIMENT,),
                 "trained on sentiment labels positive, negative, not positive, negative, neutral, mixed",
                 id="other-labels"),
    pytest.param({"method": "sequence"}, "none", (POLARITY,), "not a sequence-classification adapter",
                 id="metadata-without-labels"),
])
def test_the_request_must_match_the_adapter(metadata, schema, classes, message):
    options = ExtractOptions(schema=load_schema(schema), classes=classes)
    with pytest.raises(ConfigError) as err:
        check_request(Adapter(metadata), options)
    assert message in str(err.value)


def _sequence_adapter(folder: Path, base: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA", "r": 16,
                                                            "base_model_name_or_path": str(base)}))
    (folder / "extract_entities.json").write_text(json.dumps({**POLARITY_ADAPTER, "base_model": str(base)}))
    return folder


@pytest.fixture
def base(tmp_path: Path) -> Path:
    folder = tmp_path / "base"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    return folder


def test_a_sequence_adapter_picks_the_sequence_method(tmp_path: Path, base: Path):
    adapter = _sequence_adapter(tmp_path / "a", base)
    prepared = prepare_model(str(base), (f"pol={adapter}",), merge=False, settings=load_settings(),
                             schema=NO_ENTITIES)
    assert (prepared.method, prepared.merged, prepared.base_path) == ("sequence", "pol", str(base))


@pytest.mark.parametrize(("specs", "method", "message"), [
    pytest.param(("a", "b"), None, "exactly one sequence-classification adapter", id="two-adapters"),
    pytest.param(("a",), "tokens", "cannot serve adapters trained for the sequence method", id="tokens-method"),
])
def test_sequence_serving_errors(tmp_path: Path, base: Path, specs, method, message):
    pairs = tuple(f"{n}={_sequence_adapter(tmp_path / n, base)}" for n in specs)
    with pytest.raises(ConfigError) as err:
        prepare_model(str(base), pairs, merge=False, settings=load_settings(), schema=NO_ENTITIES, method=method)
    assert message in str(err.value)


def test_mailbox_with_entities_and_a_sequence_adapter_says_what_to_pass(tmp_path: Path, base: Path):
    adapter = _sequence_adapter(tmp_path / "a", base)
    mbox = Path(__file__).resolve().parents[1] / "examples" / "italian.mbox"
    result = CliRunner().invoke(main, [str(mbox), "-m", str(base), "--classify", "polarity", "--adapter",
                                       f"pol={adapter}", "-q"])
    assert result.exit_code != 0
    assert "pass --schema none --classify polarity" in str(result.exception) + result.output


TRAIN_ERRORS = [
    pytest.param(["--method", "sequence", "--data", "imdb:train"], "add --task classify", id="sequence-without-task"),
    pytest.param(["--classify", "spam", "--data", "imdb:train"], "add --task classify", id="classify-without-task"),
    pytest.param(["--task", "classify", "--method", "tokens", "--data", "imdb:train"],
                 "--task classify trains --method sequence", id="tokens-cannot-classify"),
    pytest.param(["--task", "classify", "--method", "sequence", "--data", "imdb:train", "--shots", "2"],
                 "--task classify --method sequence does not take --shots", id="sequence-has-no-shots"),
    pytest.param(["--task", "classify", "--method", "sequence", "--data", "imdb:train", "--schema", "kind"],
                 "does not take --schema", id="no-entity-schema"),
    pytest.param(["--task", "classify", "--method", "sequence"], "--task classify needs --data imdb:train",
                 id="data-required"),
    pytest.param(["--task", "classify", "--method", "sequence", "--data", "nope:train"],
                 "unknown classification data 'nope:train'", id="unknown-data"),
    pytest.param(["--task", "classify", "--method", "sequence", "--data", "imdb:train,sentipolc:train"],
                 "data must name one split", id="one-split"),
    pytest.param(["--task", "classify", "--data", "imdb:train", "--format", "alpaca"],
                 "--method generative does not take --format", id="generative-json-only"),
    pytest.param(["--task", "classify", "--data", "imdb:train", "--pooling", "last"],
                 "--pooling is an option of --method sequence --task classify", id="pooling-generative"),
    pytest.param(["--method", "tokens", "--data", "kind:WN_train", "--pooling", "mean"],
                 "--pooling is an option of --method sequence --task classify", id="pooling-tokens"),
    pytest.param(["--data", "kind:WN_train", "--init-adapter", "examples/adapters/kind-default"],
                 "--init-adapter is an option of --method tokens or sequence --task classify",
                 id="init-adapter-generative"),
    pytest.param(["--task", "classify", "--data", "imdb:train", "--init-adapter", "adapters/x"],
                 "--init-adapter is an option of --method tokens or sequence", id="init-adapter-generative-classify"),
    pytest.param(["--task", "classify", "--method", "sequence", "--data", "imdb:train", "--select", "mean"],
                 "--select mean is an option of --method tokens", id="select-mean-sequence"),
    pytest.param(["--method", "tokens", "--data", "kind:WN_train", "--select", "macro_f1"],
                 "--select macro_f1 is an option of --method sequence --task classify", id="select-f1-tokens"),
    pytest.param(["--task", "classify", "--data", "imdb:train", "--select", "accuracy"],
                 "--select accuracy is an option of --method sequence", id="select-generative"),
    pytest.param(["--method", "tokens", "--data", "kind:WN_train", "--class-weights", "balanced"],
                 "--class-weights is an option of --method sequence --task classify", id="weights-tokens"),
    pytest.param(["--task", "classify", "--data", "imdb:train", "--sweep-min-score", "positive"],
                 "--sweep-min-score is an option of --method sequence --task classify", id="sweep-generative"),
    pytest.param(["--method", "tokens", "--data", "kind:WN_train", "--sweep-cost", "3"],
                 "--sweep-cost is an option of --method sequence --task classify", id="sweep-cost-tokens"),
    pytest.param(["--task", "classify", "--method", "sequence", "--data", "spamassassin:train", "--eval", "none",
                  "--sweep-min-score", "spam"], "sweep needs a dev split", id="sweep-without-dev"),
]


@pytest.mark.parametrize(("args", "message"), TRAIN_ERRORS)
def test_train_classify_errors(args: list[str], message: str):
    result = CliRunner().invoke(main, ["train", *args])
    assert result.exit_code == 1, result.output
    assert message in result.output


@pytest.mark.parametrize(("target", "args", "expected"), [
    pytest.param("training.sequence_trainer.train_sequence",
                 ["--task", "classify", "--method", "sequence", "--data", "imdb:train", "--pooling", "last"],
                 {"pooling": "last"}, id="pooling"),
    pytest.param("training.sequence_trainer.train_sequence",
                 ["--task", "classify", "--method", "sequence", "--data", "sentipolc:train", "--select", "macro_f1",
                  "--class-weights", "balanced"],
                 {"select": "macro_f1", "class_weights": "balanced"}, id="select-and-weights"),
    pytest.param("training.sequence_trainer.train_sequence",
                 ["--task", "classify", "--method", "sequence", "--data", "sentipolc:train", "--init-adapter", "A/s"],
                 {"init_adapter": Path("A/s")}, id="sequence-init-adapter"),
    pytest.param("training.sequence_trainer.train_sequence",
                 ["--task", "classify", "--method", "sequence", "--data", "spamassassin:train", "--sweep-min-score",
                  "spam", "--sweep-cost", "4"], {"sweep": "spam", "sweep_cost": 4.0}, id="sweep"),
    pytest.param("training.token_trainer.train_tokens",
                 ["--method", "tokens", "--data", "kind:WN_train", "--init-adapter", "examples/adapters/kind-tokens",
                  "--select", "pooled"],
                 {"init_adapter": Path("examples/adapters/kind-tokens"), "select": "pooled"}, id="init-and-select"),
])
def test_train_options_reach_the_config(monkeypatch: pytest.MonkeyPatch, target: str, args: list[str], expected: dict):
    seen: list = []
    monkeypatch.setattr(target, lambda config: seen.append(config) or Path("out"))
    result = CliRunner().invoke(main, ["train", *args])
    assert result.exit_code == 0, result.output
    (config,) = seen
    assert {k: getattr(config, k) for k in expected} == expected


def test_an_adapter_with_unknown_pooling_is_a_config_error(tmp_path: Path, base: Path):
    folder = _sequence_adapter(tmp_path / "a", base)
    meta = json.loads((folder / "extract_entities.json").read_text())
    (folder / "extract_entities.json").write_text(json.dumps({**meta, "pooling": "max"}))
    with pytest.raises(ConfigError, match="pooling 'max', not one of mean, last"):
        SequenceClassifier.for_adapter(load_adapter("pol", folder), str(base), tmp_path / "cache")


@pytest.mark.parametrize(("changes", "message"), [
    pytest.param({"max_seq_len": 4}, "max_seq_len must be >= 8", id="short"),
    pytest.param({"eval_steps": 4, "save_steps": 6}, "save_steps must be a multiple of eval_steps", id="save-steps"),
    pytest.param({"max_steps": 0}, "max_steps must be >= 1", id="steps"),
    pytest.param({"limit": 0}, "limit must be >= 1", id="limit"),
    pytest.param({"head_lr": 0}, "head_lr must be > 0", id="head-lr"),
    pytest.param({"pooling": "max"}, "pooling must be one of mean, last", id="pooling"),
    pytest.param({"select": "pooled"}, "select must be one of accuracy, macro_f1", id="select"),
    pytest.param({"class_weights": "inverse"}, "class_weights must be one of none, balanced", id="class-weights"),
])
def test_sequence_config_is_checked(changes: dict, message: str):
    with pytest.raises(ValueError, match=message):
        SequenceTrainConfig(data="imdb:train", **changes)


def test_sequence_config_defaults():
    config = SequenceTrainConfig(data="spamassassin:train")
    assert (config.eval, config.out, config.save_steps) == ("spamassassin:dev",
                                                            Path("adapters/default-spamassassin-train-sequence"), 25)
    assert SequenceTrainConfig(data="imdb:train", eval="none").eval == ""
    assert SequenceTrainConfig(data="imdb:train", lr=2e-4).head_lr == pytest.approx(2e-4)
    assert (config.pooling, config.select, config.class_weights) == ("mean", "accuracy", "none")


def _texts(*labels: str) -> list[LabelledText]:
    return [LabelledText(id=str(i), text=f"t{i}", label=label) for i, label in enumerate(labels)]


@pytest.mark.parametrize(("labels", "how", "expected"), [
    pytest.param(["a", "a", "b", "b"], "balanced", [1.0, 1.0, 1.0], id="balanced-set-all-ones"),
    pytest.param(["a", "a", "a", "b"], "balanced", [4 / 6, 2.0, 1.0], id="rare-class-weighs-more"),
    pytest.param(["a", "b", "c", "c"], "balanced", [4 / 3, 4 / 3, 2 / 3], id="three-present"),
    pytest.param(["a", "b"], "none", None, id="none"),
])
def test_class_weights(labels: list[str], how: str, expected: list[float] | None):
    weights = class_weights(_texts(*labels), ["a", "b", "c"], how)
    assert weights == (None if expected is None else pytest.approx(expected))


def test_balanced_weights_give_each_class_the_same_total_weight():
    texts = _texts("x", "x", "x", "x", "x", "y")
    weights = dict(zip(["x", "y"], class_weights(texts, ["x", "y"], "balanced"), strict=True))
    totals = {lab: sum(weights[ex.label] for ex in texts if ex.label == lab) for lab in weights}
    assert totals["x"] == pytest.approx(totals["y"]) == pytest.approx(3.0)


@pytest.mark.parametrize("weights", [pytest.param([0.5, 3.0], id="weighted"), pytest.param(None, id="plain")])
def test_the_training_loss_is_the_class_weighted_cross_entropy(monkeypatch: pytest.MonkeyPatch,
                                                                 weights: list[float] | None):
    import torch

    import training.sequence_trainer as trainer_module

    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    labels = torch.tensor([0, 1, 0])
    monkeypatch.setattr(trainer_module, "pooled_logits", lambda model, ids, mask, pooling: logits)
    trainer = object.__new__(trainer_module._pooled_trainer_class("mean", weights))
    loss = float(trainer.compute_loss(None, {"input_ids": None, "attention_mask": None, "labels": labels}))
    nll = -torch.log_softmax(logits, dim=-1)[torch.arange(3), labels]
    w = torch.tensor(weights or [1.0, 1.0])[labels]
    assert loss == pytest.approx(float((w * nll).sum() / w.sum()))
    assert (loss == pytest.approx(float(nll.mean()))) == (weights is None)


def test_a_new_head_starts_at_zero_and_a_model_without_one_is_refused():
    import torch
    from transformers import Qwen2Config, Qwen2ForSequenceClassification

    from training.sequence_trainer import zero_head

    config = Qwen2Config(vocab_size=32, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=1, num_labels=3, pad_token_id=0)
    model = Qwen2ForSequenceClassification(config)
    zero_head(model)
    assert not model.score.weight.any()
    logits = model(input_ids=torch.tensor([[1, 2, 3]])).logits
    assert torch.equal(logits, torch.zeros_like(logits))
    with pytest.raises(ConfigError, match="no linear 'score' head"):
        zero_head(torch.nn.Module())


def _tiny_classifier(num_labels: int = 3):
    import torch
    from transformers import Qwen2Config, Qwen2ForSequenceClassification

    torch.manual_seed(0)
    config = Qwen2Config(vocab_size=32, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=1, num_labels=num_labels, pad_token_id=0)
    return Qwen2ForSequenceClassification(config).eval()


@pytest.mark.parametrize("wrap", [pytest.param(False, id="plain"), pytest.param(True, id="peft")])
def test_mean_pooling_averages_the_heads_view_of_the_real_tokens(wrap: bool):
    import torch
    from peft import LoraConfig, get_peft_model

    from extractor.sequence.classifier import pooled_logits

    model = _tiny_classifier()
    if wrap:
        model = get_peft_model(model, LoraConfig(task_type="SEQ_CLS", r=2, target_modules=["q_proj"])).eval()
    ids = torch.tensor([[5, 6, 7, 8], [9, 10, 0, 0]])
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0]])
    with torch.no_grad():
        pooled = pooled_logits(model, ids, mask, "mean")
        inner = model.get_base_model() if wrap else model
        hidden = inner.model(input_ids=ids, attention_mask=mask).last_hidden_state
        per_token = model.score(hidden) if not wrap else inner.score(hidden)
        alone = pooled_logits(model, ids[1:, :2], mask[1:, :2], "mean")
        last = pooled_logits(model, ids, mask, "last")
    torch.testing.assert_close(pooled[0], per_token[0].mean(0))
    torch.testing.assert_close(pooled[1], per_token[1, :2].mean(0))  # padding is not averaged in
    torch.testing.assert_close(pooled[1], alone[0], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(last[0], per_token[0, -1])
    with pytest.raises(ValueError, match="pooling must be one of"):
        pooled_logits(model, ids, mask, "max")
