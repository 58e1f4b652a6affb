"""Prompt building: labels, few-shot order, chat template vs plain formats, shared prefix."""

from __future__ import annotations

import json

import pytest

from extractor.prompts import PromptBuilder, answer_json, instruction_text
from schemas import load_schema


class FakeChatTokenizer:
    """Renders chat messages like a ChatML template; raises on system role when asked to."""

    chat_template = "chatml"

    def __init__(self, system_ok: bool = True) -> None:
        self.system_ok = system_ok

    def apply_chat_template(self, messages, tokenize=False, add_generation_prompt=True):
        if not self.system_ok and messages[0]["role"] == "system":
            raise ValueError("System role not supported")
        body = "".join(f"<{m['role']}>{m['content']}</{m['role']}>" for m in messages)
        return body + ("<assistant>" if add_generation_prompt else "")


SCHEMA = load_schema("italian_email")

CASES = [
    ("chat-zero-shot", {"shots": 0, "prompt_format": "chat", "tokenizer": FakeChatTokenizer()}, 0, "<system>"),
    ("chat-two-shots", {"shots": 2, "prompt_format": "chat", "tokenizer": FakeChatTokenizer()}, 2, "<system>"),
    ("chat-no-system-role", {"shots": 1, "prompt_format": "chat", "tokenizer": FakeChatTokenizer(False)}, 1, "<user>Estrai"),
    ("alpaca", {"shots": 1, "prompt_format": "alpaca"}, 1, "Below is an instruction"),
    ("chat-without-tokenizer-falls-back", {"shots": 0, "prompt_format": "chat", "tokenizer": None}, 0, "Below is"),
]


@pytest.mark.parametrize("kwargs,n_shots,starts", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_render(kwargs, n_shots, starts):
    builder = PromptBuilder(SCHEMA, **kwargs)
    prompt = builder.render("Messaggio di prova per Mario.")
    assert prompt.startswith(starts)
    assert prompt.rstrip().endswith(("<assistant>", "### Response:"))
    assert "Messaggio di prova per Mario." in prompt
    for label, desc in SCHEMA.labels.items():
        assert f"- {label}: {desc}" in prompt
    assert prompt.count('{"entities"') == n_shots + 1  # examples + the format line


def test_shared_prefix_comes_first():
    builder = PromptBuilder(SCHEMA, shots=2, prompt_format="chat", tokenizer=FakeChatTokenizer())
    a, b = builder.render("primo"), builder.render("secondo")
    prefix = a[: len(a) - len("primo</user><assistant>")]
    assert b.startswith(prefix)


def test_answer_json_round_trips():
    ans = answer_json([("dell'Università", "ORG")])
    assert json.loads(ans) == {"entities": [{"text": "dell'Università", "label": "ORG"}]}


def test_instruction_lists_only_schema_labels():
    kind = load_schema("kind")
    text = instruction_text(kind)
    assert "- PER:" in text and "- IBAN" not in text


def test_negative_shots_rejected():
    with pytest.raises(ValueError):
        PromptBuilder(SCHEMA, shots=-1)
