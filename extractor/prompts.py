"""Prompt building: schema + instruction + few-shot examples + message, in the model's format.

The shared part (instruction and examples) always comes first so the engine's prefix cache
can reuse it across messages. Training imports this module so that the text a model is
tuned on is byte-for-byte the text it is served with.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from schemas import EntitySchema
from schemas.classes import ClassSchema

from .classify import class_instruction, class_shots

PLAIN_FORMATS = ("alpaca", "plain")
"""Prompt formats for models without a chat template."""


class ChatTokenizer(Protocol):
    chat_template: Any

    def apply_chat_template(self, conversation: list[dict[str, str]], **kwargs: Any) -> Any: ...


def answer_json(entities: Iterable[tuple[str, str]]) -> str:
    """The target/answer text for a list of (surface, label) pairs: compact JSON, schema order."""
    return json.dumps({"entities": [{"text": t, "label": lab} for t, lab in entities]}, ensure_ascii=False)


def instruction_text(schema: EntitySchema, classes: tuple[ClassSchema, ...] = ()) -> str:
    """The system instruction: task, labels with their descriptions, output format (and classes)."""
    lines = []
    if schema.labels:
        lines += [
            "Estrai le entità nominate dal messaggio email in italiano.",
            "Etichette ammesse:",
            *(f"- {label}: {desc}" for label, desc in schema.labels.items()),
        ]
        if not classes:
            lines.append('Rispondi solo con JSON della forma {"entities": [{"text": ..., "label": ...}]}.')
        if schema.instruction:
            lines.append(schema.instruction)
    if classes:
        lines += class_instruction(classes, with_entities=bool(schema.labels))
    return "\n".join(lines)


@dataclass(frozen=True)
class PromptBuilder:
    """Renders prompts for one schema, one model format and a number of few-shot examples.

    Attributes:
        schema: what to extract.
        shots: how many of the schema's built-in examples to include (0 = zero-shot).
        prompt_format: ``chat`` (use the tokenizer's chat template) or one of ``PLAIN_FORMATS``.
        tokenizer: needed for ``chat``; anything with ``apply_chat_template``.
        classes: class schemas asked beside (or, with no entity labels, instead of) the entities;
            up to ``shots`` examples of each follow the entity examples.
    """

    schema: EntitySchema
    shots: int = 2
    prompt_format: str = "chat"
    tokenizer: ChatTokenizer | None = None
    classes: tuple[ClassSchema, ...] = ()

    def __post_init__(self) -> None:
        if self.shots < 0:
            raise ValueError("shots must be >= 0")
        if self.prompt_format == "chat" and (self.tokenizer is None or not getattr(self.tokenizer, "chat_template", None)):
            object.__setattr__(self, "prompt_format", "alpaca")

    def examples(self) -> list[tuple[str, str]]:
        shots = [(ex.text, answer_json(ex.entities)) for ex in self.schema.examples[: self.shots]]
        return shots + list(class_shots(self.classes, self.shots))

    def messages(self, text: str) -> list[dict[str, str]]:
        """Chat messages: system instruction, few-shot turns, then the message."""
        msgs = [{"role": "system", "content": instruction_text(self.schema, self.classes)}]
        for shot_text, shot_answer in self.examples():
            msgs += [{"role": "user", "content": shot_text}, {"role": "assistant", "content": shot_answer}]
        msgs.append({"role": "user", "content": text})
        return msgs

    def render(self, text: str) -> str:
        """The full prompt string for one message text, ending where the answer starts."""
        if self.prompt_format == "chat":
            return _apply_chat(self.tokenizer, self.messages(text))
        if self.prompt_format in PLAIN_FORMATS:
            return self._render_plain(text)
        raise ValueError(f"unknown prompt format {self.prompt_format!r}")

    def _render_plain(self, text: str) -> str:
        parts = [
            (
                "Below is an instruction that describes a task, paired with an input that provides further "
                "context. Write a response that appropriately completes the request.\n"
            ),
            "### Instruction:\n" + instruction_text(self.schema, self.classes) + "\n",
        ]
        for shot_text, shot_answer in self.examples():
            parts.append(f"### Input:\n{shot_text}\n### Response:\n{shot_answer}\n")
        parts.append(f"### Input:\n{text}\n### Response:\n")
        return "\n".join(parts)


def _apply_chat(tokenizer: Any, messages: list[dict[str, str]]) -> str:
    try:
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    except Exception:  # noqa: BLE001 - templates without a system role (Gemma, Mistral) raise various types
        merged = [dict(messages[1])] if len(messages) > 1 else []
        if merged:
            merged[0]["content"] = messages[0]["content"] + "\n\n" + merged[0]["content"]
            merged += messages[2:]
        return tokenizer.apply_chat_template(merged, tokenize=False, add_generation_prompt=True)


def template_adds_bos(tokenizer: Any, prompt: str) -> bool:
    """Whether the rendered ``prompt`` already starts with the tokenizer's BOS (Llama, Mistral, Gemma
    templates write it), so encoding must not add a second one."""
    bos = getattr(tokenizer, "bos_token", None)
    return bool(bos) and prompt.startswith(bos)


def encode_prompt(tokenizer: Any, prompt: str, message: str | None = None,
                  specials: tuple[str, ...] = ()) -> list[int]:
    """The token ids of a rendered prompt, the one encoding training and serving share.

    Special tokens are added unless the template already wrote the BOS. A ``message`` (the
    untrusted text inside the prompt) that spells one of ``specials`` (``<|im_start|>system``...)
    is tokenised as plain text, so mail cannot open turns of its own in the chat template; the
    template around it keeps its special tokens.
    """
    add = not template_adds_bos(tokenizer, prompt)
    if message and any(special in message for special in specials):
        at = prompt.rfind(message)
        if at >= 0:
            return (list(tokenizer.encode(prompt[:at], add_special_tokens=add))
                    + list(tokenizer.encode(message, add_special_tokens=False, split_special_tokens=True))
                    + list(tokenizer.encode(prompt[at + len(message):], add_special_tokens=False)))
    return list(tokenizer.encode(prompt, add_special_tokens=add))
