"""Prompts sized as the engine counts them: chunk, render, tokenise, check against the context.

A chunk's budget is the context left after the rendered prompt without any message text (chat
template, instruction, few-shot turns) and the completion bound. Every rendered prompt is then
tokenised exactly as the engine will see it and checked again, so no request reaches the engine
too long: what still cannot fit becomes a reason, never an engine exception.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .chunking import Chunk, split_text
from .prompts import PromptBuilder

MARGIN_TOKENS = 16
"""Slack for tokens merging across the boundary between the template and the chunk."""
MIN_CHUNK_TOKENS = 32
"""Below this budget a chunk holds too little text to be worth a request."""
RESPLITS = 3
"""How many times a chunk whose rendered prompt is still too long is split finer."""


@dataclass(frozen=True)
class PlannedChunk:
    """One chunk of a text with its prompt's token ids, or why it cannot be sent."""

    chunk: Chunk
    token_ids: Sequence[int] | None
    error: str | None = None


class PromptPlanner:
    """Turns a message text into prompts that fit ``max_model_len`` with ``max_tokens`` to spare."""

    def __init__(self, builder: PromptBuilder, encode_prompt: Callable[..., Sequence[int]],
                 count_tokens: Callable[[str], int], max_model_len: int, max_tokens: int) -> None:
        self.builder = builder
        self.encode_prompt = encode_prompt
        self.count_tokens = count_tokens
        self.max_model_len = max_model_len
        self.max_tokens = max_tokens
        self.overhead = len(encode_prompt(builder.render("")))
        self.chunk_tokens = max_model_len - max_tokens - self.overhead - MARGIN_TOKENS

    def no_room(self) -> str | None:
        """Why no message text fits at all (the prompt alone is too long), else ``None``."""
        if self.chunk_tokens >= MIN_CHUNK_TOKENS:
            return None
        return (f"the prompt without any message text is {self.overhead} tokens; with --max-tokens "
                f"{self.max_tokens} it leaves {max(self.chunk_tokens, 0)} of --max-model-len {self.max_model_len} "
                "for the message: raise --max-model-len, lower --max-tokens, or use --shots 0")

    def plan(self, text: str) -> list[PlannedChunk]:
        """Chunks of ``text``, each with the token ids of its rendered prompt or the reason it has none."""
        reason = self.no_room()
        if reason is not None:
            return [PlannedChunk(Chunk(0, text), None, reason)]
        chunks = split_text(text, self.chunk_tokens, self.count_tokens) or [Chunk(0, text)]
        out: list[PlannedChunk] = []
        for chunk in chunks:
            out.extend(self._fit(chunk, self.chunk_tokens, RESPLITS))
        return out

    def _fit(self, chunk: Chunk, budget: int, tries: int) -> list[PlannedChunk]:
        ids = self.encode_prompt(self.builder.render(chunk.text), chunk.text)
        excess = len(ids) + self.max_tokens - self.max_model_len
        if excess <= 0:
            return [PlannedChunk(chunk, ids)]
        smaller = budget - excess - MARGIN_TOKENS
        if tries <= 0 or smaller < MIN_CHUNK_TOKENS:
            return [PlannedChunk(chunk, None, (
                f"a prompt of {len(ids)} tokens plus --max-tokens {self.max_tokens} exceeds --max-model-len "
                f"{self.max_model_len}: raise --max-model-len or use --shots 0"))]
        pieces = split_text(chunk.text, smaller, self.count_tokens) or [Chunk(0, chunk.text)]
        out: list[PlannedChunk] = []
        for piece in pieces:
            out.extend(self._fit(Chunk(chunk.start + piece.start, piece.text), smaller, tries - 1))
        return out
