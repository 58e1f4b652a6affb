"""Prompt text to token ids as training tokenised it, shared by every backend.

The in-process engine and the server client both send token ids, so a prompt is tokenised once,
here, the same way whichever of them serves it.
"""

from __future__ import annotations

import functools
from typing import Any

from .prompts import encode_prompt


class PromptEncoder:
    """Token ids of rendered prompts and counts of message text, for one tokenizer."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer

    def count_tokens(self, text: str) -> int:
        """Tokens of a piece of message text (no special tokens): for sizing chunks."""
        return len(self.tokenizer.encode(text, add_special_tokens=False))

    def encode_prompt(self, prompt: str, message: str | None = None) -> list[int]:
        """The token ids of a rendered prompt as training saw it (:func:`~extractor.prompts.encode_prompt`):
        one BOS, and a ``message`` spelling the tokenizer's special tokens tokenised as plain text."""
        return encode_prompt(self.tokenizer, prompt, message, self._special_strings if message else ())

    @functools.cached_property
    def _special_strings(self) -> tuple[str, ...]:
        decoder = getattr(self.tokenizer, "added_tokens_decoder", {}) or {}
        return tuple({getattr(t, "content", str(t)) for t in decoder.values()} | set(self.tokenizer.all_special_tokens))
