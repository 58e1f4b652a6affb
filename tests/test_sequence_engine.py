"""A real tiny run of the sequence method: train a tiny Qwen2 class head + LoRA on synthetic mail
(spamassassin layout, through the real mail path), serve it through vLLM's pooling ``classify`` and
through transformers, and run the mailbox and evaluate commands on it.

What the random tiny model says is not asserted; what the code decides is: both backends give the
same logits (so the same labels), the score is the softmax of the chosen label, records carry
``classes`` and ``class_scores``, training resumes from its checkpoint.
"""

from __future__ import annotations

import json
import mailbox
from email.message import EmailMessage
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from tiny_token_model import build_tiny_base

from extractor.adapters import load_adapter
from extractor.cli import main
from extractor.sequence import SequenceClassifier
from extractor.sequence.classifier import softmax
from training.sequence_trainer import SequenceTrainConfig, train_sequence

pytestmark = pytest.mark.slow
HAM = "Ciao Mario, ci vediamo lunedì alle dieci in ufficio per la riunione del progetto. {n}"
SPAM = "WIN MONEY NOW!!! Cheap offer, click here to claim your free prize {n} today only."
TEXTS = ["Ciao, il verbale della riunione è in allegato.", "FREE PRIZE!!! click here now " * 30,
         "Buongiorno, confermo l'appuntamento di martedì.", "x"]


def _message(text: str, n: int) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = f"a{n}@example.org", "b@example.org", f"messaggio {n}"
    msg["Message-ID"] = f"<m{n}@example.org>"
    msg.set_content(text)
    return bytes(msg)


@pytest.fixture(scope="module")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A spamassassin/ folder of synthetic raw messages: 20 ham, 20 spam."""
    root = tmp_path_factory.mktemp("data")
    for folder, template in (("easy-ham-1", HAM), ("spam-1", SPAM)):
        (root / "spamassassin" / folder).mkdir(parents=True)
        for n in range(20):
            (root / "spamassassin" / folder / f"{n:05d}.{folder}.txt").write_bytes(_message(template.format(n=n), n))
    return root


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_base(tmp_path_factory.mktemp("base") / "qwen2", "qwen2")


def _config(base: Path, data_root: Path, out: Path, **changes) -> SequenceTrainConfig:
    options = {"data": "spamassassin:train", "model": str(base), "out": out, "data_root": data_root, "max_steps": 4,
               "batch_size": 4, "grad_accum": 1, "max_seq_len": 32, "eval_steps": 2, "eval_limit": 8,
               "progress": False}
    return SequenceTrainConfig(**{**options, **changes})


@pytest.fixture(scope="module")
def adapter(base: Path, data_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train_sequence(_config(base, data_root, tmp_path_factory.mktemp("trained") / "spam"), echo=lambda m: None)


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("seq-cache")


def test_training_writes_a_sequence_adapter(adapter: Path):
    meta = json.loads((adapter / "extract_entities.json").read_text())
    assert (meta["method"], meta["class_schema"], meta["labels"]) == ("sequence", "spam", ["ham", "spam"])
    assert meta["steps"] == 4 and meta["max_seq_len"] == 32 and meta["n_train"] == 24 and meta["pooling"] == "mean"
    assert meta["reads"] == "subject+body"
    assert meta["lora"]["modules_to_save"] and meta["pad_token_id"] is not None
    assert 0 <= meta["metrics"]["dev_accuracy"] <= 1
    assert (adapter / "adapter_model.safetensors").is_file() and not (adapter / "checkpoints").exists()


def test_training_records_the_minimum_it_picks_on_dev_and_serving_uses_it(base: Path, data_root: Path,
                                                                          tmp_path: Path, cache: Path):
    """What the tiny model scores is arbitrary; what is checked is that the record, the sweep and the
    served decision agree."""
    out = train_sequence(_config(base, data_root, tmp_path / "swept", sweep="spam", sweep_cost=4.0),
                         echo=lambda m: None)
    meta = json.loads((out / "extract_entities.json").read_text())
    sweep = meta["min_score_sweep"]
    assert (sweep["label"], sweep["cost"], len(sweep["rows"])) == ("spam", 4.0, 13)
    assert sweep["rows"][0]["min_score"] is None
    assert sweep["rows"][0]["accuracy"] == pytest.approx(meta["metrics"]["dev_accuracy"], abs=1e-4)
    least = min(r["cost"] for r in sweep["rows"])
    assert [r["cost"] for r in sweep["rows"] if r["min_score"] == sweep["picked"]] == [least]
    assert meta["min_scores"] == (None if sweep["picked"] is None else {"spam": sweep["picked"]})
    served = SequenceClassifier.for_adapter(load_adapter("spam", out), str(base), cache, backend="transformers")
    assert served.min_scores == (meta["min_scores"] or {})
    with pytest.raises(ValueError, match="cannot sweep a minimum score on junk"):
        train_sequence(_config(base, data_root, tmp_path / "x", sweep="junk"), echo=lambda m: None)


def test_training_resumes_from_a_checkpoint(base: Path, data_root: Path, tmp_path: Path):
    out = tmp_path / "spam"
    train_sequence(_config(base, data_root, out, max_steps=2, eval="none", save_steps=1, keep_checkpoints=True),
                   echo=lambda m: None)
    said: list[str] = []
    train_sequence(_config(base, data_root, out, max_steps=3, eval="none", save_steps=1), echo=said.append)
    assert any("resuming from" in m and "checkpoint-2" in m for m in said)
    assert json.loads((out / "extract_entities.json").read_text())["resumed_from"] == "checkpoint-2"


def test_training_starts_from_an_adapter(adapter: Path, base: Path, data_root: Path, tmp_path: Path):
    """A further pass starts from the adapter's LoRA and head (a learning rate of ~0 leaves them as
    they were; a fresh head starts at zero), keeps its LoRA shape and records where it began."""
    import torch
    from safetensors.torch import load_file

    out = tmp_path / "second"
    said: list[str] = []
    train_sequence(_config(base, data_root, out, init_adapter=adapter, lr=1e-12, max_steps=1, eval="none",
                           lora_rank=4), echo=said.append)
    before, after = (load_file(str(p / "adapter_model.safetensors")) for p in (adapter, out))
    assert before.keys() == after.keys() and any("score" in k for k in before)
    for key in before:
        assert torch.allclose(before[key].float(), after[key].float(), atol=1e-9), key
    assert any(not torch.all(before[k] == 0) for k in before if "score" in k)  # the trained head, not a zero one
    meta, first = (json.loads((p / "extract_entities.json").read_text()) for p in (out, adapter))
    assert meta["lora"]["r"] == first["lora"]["r"] == 16
    assert meta["init_adapter"]["path"] == str(adapter.resolve()) and meta["init_adapter"]["steps"] == 4
    assert meta["epochs_total"] == pytest.approx(meta["epochs"] + first["epochs"], abs=1e-3)
    assert any("starting from adapter" in m for m in said)


@pytest.mark.parametrize(("change", "options", "message"), [
    pytest.param({}, {"pooling": "last"}, "trained with pooling 'mean', this run asks for 'last'", id="other-pooling"),
    pytest.param({"method": "tokens"}, {}, "is a tokens adapter, not a sequence one", id="token-adapter"),
    pytest.param({"labels": ["spam", "ham"]}, {}, "tags spam, ham, not this run's labels ham, spam", id="label-order"),
    pytest.param({}, {"reads": "body"}, "trained with reads 'subject\\+body', this run asks for 'body'",
                 id="other-reading"),
    pytest.param({"reads": None}, {}, "trained with reads 'body', this run asks for 'subject\\+body'",
                 id="unrecorded-reading-is-body"),
    pytest.param({"pooling": None}, {}, "trained with pooling 'last', this run asks for 'mean'",
                 id="unrecorded-pooling-is-last"),
])
def test_a_starting_adapter_that_does_not_fit_is_refused(adapter: Path, base: Path, data_root: Path, tmp_path: Path,
                                                         change: dict, options: dict, message: str):
    import shutil

    from extractor.errors import ConfigError

    start = tmp_path / "start"
    shutil.copytree(adapter, start)
    meta = json.loads((start / "extract_entities.json").read_text())
    meta = {key: value for key, value in {**meta, **change}.items() if value is not None}  # None: unrecorded
    (start / "extract_entities.json").write_text(json.dumps(meta))
    with pytest.raises(ConfigError, match=message):
        train_sequence(_config(base, data_root, tmp_path / "x", init_adapter=start, **options), echo=lambda m: None)


@pytest.fixture(scope="module")
def transformers_classifier(adapter: Path, base: Path, cache: Path) -> SequenceClassifier:
    return SequenceClassifier.for_adapter(load_adapter("spam", adapter), str(base), cache, backend="transformers")


def test_the_transformers_backend_scores_are_the_softmax_of_its_logits(transformers_classifier: SequenceClassifier):
    logits = transformers_classifier.logits(TEXTS)
    for row, (label, score) in zip(logits, transformers_classifier.classify(TEXTS), strict=True):
        assert row.shape == (2,)
        assert label == ["ham", "spam"][int(row.argmax())]
        assert score == pytest.approx(float(softmax(row).max()))
    assert max(len(transformers_classifier.encode(t)) for t in TEXTS) == 32  # the long one cut to max_seq_len
    assert transformers_classifier.reads == "subject+body"  # as trained: served the Subject line too


def test_a_batch_gives_each_text_the_logits_it_gets_alone(transformers_classifier: SequenceClassifier):
    batched = transformers_classifier.logits(TEXTS)
    for text, row in zip(TEXTS, batched, strict=True):
        np.testing.assert_allclose(transformers_classifier.logits([text])[0], row, atol=1e-4)


@pytest.fixture(scope="module")
def last_token_adapter(base: Path, data_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train_sequence(_config(base, data_root, tmp_path_factory.mktemp("trained") / "spam-last", pooling="last"),
                          echo=lambda m: None)


@pytest.mark.engine
@pytest.mark.parametrize("pooling", ["mean", "last"])
def test_vllm_classify_equals_transformers(pooling: str, request: pytest.FixtureRequest, base: Path, cache: Path):
    trained = request.getfixturevalue("adapter" if pooling == "mean" else "last_token_adapter")
    assert json.loads((trained / "extract_entities.json").read_text())["pooling"] == pooling
    served = SequenceClassifier.for_adapter(load_adapter("spam", trained), str(base), cache, backend="vllm",
                                            enforce_eager=True, dtype="float32")
    transformers_classifier = SequenceClassifier.for_adapter(load_adapter("spam", trained), str(base), cache,
                                                             backend="transformers")
    assert served.backend_name == "vllm" and served.config.pooling == transformers_classifier.config.pooling == pooling
    vllm_logits, hf_logits = served.logits(TEXTS), transformers_classifier.logits(TEXTS)
    for v, h in zip(vllm_logits, hf_logits, strict=True):
        np.testing.assert_allclose(v, h, atol=1e-4)
    assert [lab for lab, _ in served.classify(TEXTS)] == [lab for lab, _ in transformers_classifier.classify(TEXTS)]


@pytest.mark.engine
def test_mailbox_records_carry_the_class_and_its_score(adapter: Path, base: Path, tmp_path: Path):
    mbox_path = tmp_path / "in.mbox"
    box = mailbox.mbox(str(mbox_path))
    for n, text in enumerate(TEXTS):
        box.add(_message(text, n))
    box.close()
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(main, [str(mbox_path), "-m", str(base), "--schema", "none", "--classify", "spam",
                                       "--adapter", f"spam={adapter}", "--eager", "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(records) == len(TEXTS)
    for rec in records:
        assert rec["classes"]["spam"] in ("ham", "spam") and 0.5 <= rec["class_scores"]["spam"] <= 1
        assert rec["entities"] == [] and rec["adapter"]


@pytest.mark.engine
def test_evaluate_scores_a_sequence_adapter(adapter: Path, base: Path, data_root: Path, tmp_path: Path):
    report = tmp_path / "r.json"
    result = CliRunner().invoke(main, ["evaluate", "--task", "classify", "--data", "spamassassin:test", "-m",
                                       str(base), "--adapter", f"spam={adapter}", "--data-root", str(data_root),
                                       "--eager", "-o", str(report)])
    assert result.exit_code == 0, result.output
    doc = json.loads(report.read_text())
    assert doc["n_examples"] == 12 and doc["extra"]["method"] == "sequence" and "ham_recall" in doc["extra"]
