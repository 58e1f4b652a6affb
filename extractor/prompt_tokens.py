"""Prompt text to token ids exactly as vLLM tokenises a text prompt, shared by every backend.

The in-process engine and the server client both send token ids, so a prompt is tokenised once,
here, the same way whichever of them serves it.
"""

from __future__ import annotations

import functools
from typing import Any


class PromptEncoder:
    """Token ids of rendered prompts and counts of message text, for one tokenizer."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer

    def count_tokens(self, text: str) -> int:
        """Tokens of a piece of message text (no special tokens): for sizing chunks."""
        return len(self.tokenizer.encode(text, add_special_tokens=False))

    def encode_prompt(self, prompt: str, message: str | None = None) -> list[int]:
        """The token ids of a rendered prompt exactly as vLLM would tokenise the text prompt.

        A ``message`` (the untrusted text inside the prompt) that spells the tokenizer's special
        tokens (``<|im_start|>system``...) is tokenised as plain text, so mail cannot open turns
        of its own in the chat template; the template around it keeps its special tokens.
        """
        tok = self.tokenizer
        if message and any(special in message for special in self._special_strings):
            at = prompt.rfind(message)
            if at >= 0:
                return (list(tok.encode(prompt[:at]))
                        + list(tok.encode(message, add_special_tokens=False, split_special_tokens=True))
                        + list(tok.encode(prompt[at + len(message):], add_special_tokens=False)))
        return list(tok.encode(prompt))

    @functools.cached_property
    def _special_strings(self) -> tuple[str, ...]:
        decoder = getattr(self.tokenizer, "added_tokens_decoder", {}) or {}
        return tuple({getattr(t, "content", str(t)) for t in decoder.values()} | set(self.tokenizer.all_special_tokens))
