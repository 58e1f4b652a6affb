"""The tokens method through a running vLLM pooling server: a :class:`~extractor.tokens.backends.Backend`.

The texts are tokenised and windowed on this side exactly as in-process; the windows' token ids
go to ``POST /pooling`` (``task: token_classify``) in requests grouped by length, several in flight
(``--concurrency``); the per-token logits come back and are decoded here into the same spans.
vLLM cannot serve a token head as a LoRA adapter, so the server serves the adapter merged
(``extract-entities merge`` writes the folder and prints the ``vllm serve`` command).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from ..tokens.backends import budget_batches
from .http import PoolingClient, ServerInfo
from .options import ServerOptions

REQUEST_TOKENS = 8192
"""Token budget of one pooling request (windows of similar length are sent together)."""


class PoolingBackend:
    """Per-token logits from a vLLM server's ``/pooling`` route; transport as in :class:`~extractor.client.http.ApiClient`."""

    name = "vllm-server"

    def __init__(self, info: ServerInfo, options: ServerOptions, api_key: str | None,
                 request_tokens: int = REQUEST_TOKENS, transport: Any = None) -> None:
        self.info = info
        self.options = options
        self._api_key = api_key
        self.request_tokens = request_tokens
        self._transport = transport

    def logits(self, inputs: Sequence[Sequence[int]]) -> list[Any]:
        if not inputs:
            return []
        return asyncio.run(self._all([list(x) for x in inputs]))

    async def _all(self, inputs: list[list[int]]) -> list[Any]:
        client = PoolingClient(self.info, self.options, self._api_key, self._transport)
        groups = budget_batches([len(x) for x in inputs], self.request_tokens)
        try:
            async with asyncio.TaskGroup() as tg:
                tasks = [tg.create_task(client.token_logits([inputs[i] for i in g])) for g in groups]
        except BaseExceptionGroup as errors:
            raise errors.exceptions[0] from None
        finally:
            await client.aclose()
        out: list[Any] = [None] * len(inputs)
        for group, task in zip(groups, tasks, strict=True):
            for i, row in zip(group, task.result(), strict=True):
                out[i] = row
        return out
