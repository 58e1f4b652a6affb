"""The generative class LoRA (``train --task classify``, generative): the prompt trained is the prompt
served, the target is the label JSON, and serving refuses another prompt. A tiny real run on
synthetic mail in the spamassassin layout (what the tiny model learns is not asserted)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from test_sequence_engine import HAM, SPAM, _message
from tiny_model import build_tiny_model

from extractor.errors import ConfigError
from extractor.prompt_check import check_served_prompt
from extractor.prompts import PromptBuilder, encode_prompt
from schemas import NO_ENTITIES
from schemas.classes import SPAM as SPAM_SCHEMA
from schemas.classes import ClassExample
from training.classify_data import LabelledText
from training.classify_trainer import ClassTrainConfig, class_pairs, train_generative_classes

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("data")
    for folder, template in (("easy-ham-1", HAM), ("spam-1", SPAM)):
        (root / "spamassassin" / folder).mkdir(parents=True)
        for n in range(10):
            (root / "spamassassin" / folder / f"{n:05d}.txt").write_bytes(_message(template.format(n=n), n))
    return root


@pytest.fixture(scope="module")
def trained(data_root: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = build_tiny_model(tmp_path_factory.mktemp("base") / "tiny", steps=1)
    out = tmp_path_factory.mktemp("trained") / "spam-gen"
    train_generative_classes(ClassTrainConfig(data="spamassassin:train", model=str(base), out=out, max_steps=2,
                                              batch_size=2, grad_accum=1, eval="none", data_root=data_root,
                                              progress=False), echo=lambda m: None)
    return base, out


def test_the_target_is_the_label_json_after_the_serving_prompt():
    builder = PromptBuilder(NO_ENTITIES, 0, "alpaca", None, (SPAM_SCHEMA,))
    (pair,) = class_pairs([LabelledText("1", "Compra ora!", "spam")], builder, "spam")
    assert pair.completion == '{"spam": "spam"}'
    assert pair.prompt == builder.render("Compra ora!")


def test_the_adapter_records_its_class_prompt_and_serving_checks_it(trained: tuple[Path, Path]):
    from transformers import AutoTokenizer

    base, out = trained
    meta = json.loads((out / "extract_entities.json").read_text())
    assert (meta["schema"], meta["class_schema"], meta["labels"], meta["shots"]) == ("none", "spam", ["ham", "spam"], 0)
    assert meta["schema_fingerprint"] == NO_ENTITIES.fingerprint() and meta["steps"] == 2
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    served = PromptBuilder(NO_ENTITIES, 0, meta["prompt_format"], tokenizer, (SPAM_SCHEMA,))
    encode = lambda text: encode_prompt(tokenizer, served.render(text))
    assert check_served_prompt("g", meta, served.render, encode, 0) == "matched"
    other = replace(SPAM_SCHEMA, examples=(ClassExample("Ciao", "ham"),))
    shot = PromptBuilder(NO_ENTITIES, 1, meta["prompt_format"], tokenizer, (other,))
    with pytest.raises(ConfigError, match="would be served a prompt it was not trained on"):
        check_served_prompt("g", meta, shot.render, encode, 1)
