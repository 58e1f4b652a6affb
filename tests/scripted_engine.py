"""A scripted stand-in for :class:`extractor.engine.Engine`: same submit/step interface, no vLLM.

For fast tests of pipeline logic (streaming, isolation of failed requests, prompt sizing,
routing, error records). Its tokenizer gives one token per character, the worst case the
prompt planner must handle. Outputs come from ``answer(message_text)``, a completion or a
``(completion, finish_reason)`` pair; a request finishes ``steps`` engine steps after it was
submitted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from extractor.engine import EngineConfig, Generation
from extractor.errors import EngineError

INPUT_MARK = "### Input:\n"
RESPONSE_MARK = "\n### Response:\n"


class CharTokenizer:
    """One token per character; no chat template (prompts use the alpaca format)."""

    chat_template = None
    all_special_tokens: tuple[str, ...] = ()

    def encode(self, text: str, add_special_tokens: bool = True) -> list[int]:
        return [ord(c) for c in text]

    def decode(self, ids: Sequence[int]) -> str:
        return "".join(map(chr, ids))


def message_of(prompt: str) -> str:
    """The message text inside a rendered alpaca prompt (the last input block)."""
    return prompt[prompt.rindex(INPUT_MARK) + len(INPUT_MARK):prompt.rindex(RESPONSE_MARK)]


@dataclass
class ScriptedEngine:
    """Answers each prompt with ``answer(message text)``; ``refuse``/``fail_step`` script failures."""

    answer: Callable[[str], str | tuple[str, str]]
    max_model_len: int = 4096
    steps: int | Callable[[str], int] = 2
    refuse: Callable[[str], bool] = lambda text: False
    fail_step: Callable[[int], bool] = lambda step: False
    tokenizer: CharTokenizer = field(default_factory=CharTokenizer)
    submitted: list[tuple[str, str | None, int]] = field(default_factory=list)
    step_count: int = 0
    _running: dict[str, tuple[int, str, int]] = field(default_factory=dict)

    @property
    def config(self) -> EngineConfig:
        return EngineConfig(model="scripted", max_model_len=self.max_model_len)

    def count_tokens(self, text: str) -> int:
        return len(text)

    def encode_prompt(self, prompt: str, message: str | None = None) -> list[int]:
        return self.tokenizer.encode(prompt)

    def submit(self, request_id: str, token_ids: Sequence[int], adapter: str | None = None, *,
               json_schema: dict[str, Any] | None, max_tokens: int) -> None:
        assert len(token_ids) + max_tokens <= self.max_model_len, "the planner let a prompt through too long"
        text = message_of(self.tokenizer.decode(token_ids))
        if self.refuse(text):
            raise EngineError("the engine refused the request: scripted refusal")
        self.submitted.append((request_id, adapter, len(token_ids)))
        steps = self.steps(text) if callable(self.steps) else self.steps
        self._running[request_id] = (self.step_count + steps, text, len(token_ids))

    def has_unfinished(self) -> bool:
        return bool(self._running)

    def step(self) -> list[tuple[str, Generation]]:
        self.step_count += 1
        if self.fail_step(self.step_count):
            raise EngineError("generation failed: scripted step failure")
        done = [rid for rid, (at, _, _) in self._running.items() if at <= self.step_count]
        out = []
        for rid in done:
            _, text, n = self._running.pop(rid)
            answer = self.answer(text)
            completion, finish = answer if isinstance(answer, tuple) else (answer, "stop")
            out.append((rid, Generation(completion, n, max(1, len(completion) // 4), finish)))
        return out

    def abort(self, request_ids: Sequence[str]) -> None:
        for rid in request_ids:
            self._running.pop(rid, None)
