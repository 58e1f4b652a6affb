"""The generative method as a client of a running vLLM server (``--server``).

The prompts are planned and tokenised here exactly as for the in-process engine
(:class:`~extractor.prompt_plan.PromptPlanner`, :class:`~extractor.prompt_tokens.PromptEncoder`)
and sent as token ids, so the server sees the same tokens; completions are parsed and grounded by
:func:`~extractor.methods.completions.ground_completions`, so the records are the same. Up to
``window`` texts are in flight, their chunks' requests bounded by the client's concurrency; a
finished text makes room for the next.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ..chunking import Chunk
from ..client.http import CompletionClient, ServerInfo
from ..client.options import ServerOptions
from ..engine import Generation, LoopStop
from ..options import ExtractOptions
from ..prompt_plan import PromptPlanner
from ..prompt_tokens import PromptEncoder
from ..prompts import PromptBuilder
from ..records import Flush
from ..summary import Summary
from .base import Item, TextResult
from .completions import ground_completions

_END = object()


@dataclass
class _Job:
    tag: Any
    text: str
    chunks: list[Chunk]


class ServerMethod:
    """Prompts built for the schema, completed by a vLLM server, parsed and grounded in the text."""

    name = "generative"

    def __init__(self, info: ServerInfo, server: ServerOptions, api_key: str | None, tokenizer: Any,
                 options: ExtractOptions, prompt_format: str = "chat", max_model_len: int = 4096,
                 loop_stop: LoopStop | None = None) -> None:
        self.info = info
        self.server = server
        self._api_key = api_key
        self.options = options
        prompt_schema = options.prompt_schema()
        encoder = PromptEncoder(tokenizer)
        self.prompts = PromptBuilder(prompt_schema, options.shots, prompt_format, tokenizer, options.classes)
        self.planner = PromptPlanner(self.prompts, encoder.encode_prompt, encoder.count_tokens,
                                     max_model_len, options.max_tokens)
        self._schema_model = options.output_model()
        self._json_schema = options.json_schema() if options.constrained else None
        self._repetition = None if loop_stop is None else loop_stop.vllm_params()

    @property
    def chunk_tokens(self) -> int:
        """Message tokens one prompt can hold."""
        return self.planner.chunk_tokens

    def stream(self, items: Iterable[Item | Flush], summary: Summary,
               window: int | None = None) -> Iterator[list[tuple[Any, TextResult]]]:
        """Results of ``(tag, text, adapter)`` items as they finish (see the generative method).

        A request the server refuses ends its text with an error; a server that stays down
        raises :class:`~extractor.client.http.ServerError` (what was written so far is kept).
        """
        window = window or self.options.batch_size
        loop = asyncio.new_event_loop()
        client = loop.run_until_complete(self._client())
        source = iter(items)
        tasks: dict[asyncio.Task[list[Generation]], _Job] = {}
        exhausted = draining = False
        try:
            while True:
                while not exhausted and not draining and len(tasks) < window:
                    item = next(source, _END)
                    if item is _END:
                        exhausted = True
                    elif isinstance(item, Flush):
                        draining = True
                    else:
                        job, task = self._start(item, client, loop, summary)  # type: ignore[arg-type]
                        tasks[task] = job
                if not tasks:
                    if exhausted:
                        return
                    draining = False
                    continue
                t0 = time.perf_counter()
                done, _ = loop.run_until_complete(asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED))
                summary.stages["engine"] += time.perf_counter() - t0
                results = []
                for task in done:
                    job = tasks.pop(task)
                    results.append((job.tag, self._finish(job, task.result(), summary)))
                yield results
        finally:
            loop.run_until_complete(_settle(list(tasks), client))
            loop.close()

    async def _client(self) -> CompletionClient:
        return CompletionClient(self.info, self.server, self._api_key)

    def _start(self, item: Item, client: CompletionClient, loop: asyncio.AbstractEventLoop,
               summary: Summary) -> tuple[_Job, asyncio.Task[list[Generation]]]:
        tag, text, adapter = item
        t0 = time.perf_counter()
        plan = self.planner.plan(text)
        model = adapter or self.info.base
        requests = [self._request(client, p.token_ids, model) if p.token_ids is not None
                    else _failed(p.error or "no prompt") for p in plan]
        task = loop.create_task(_gather(requests))
        summary.stages["prompt"] += time.perf_counter() - t0
        return _Job(tag, text, [p.chunk for p in plan]), task

    async def _request(self, client: CompletionClient, token_ids: Any, model: str) -> Generation:
        return await client.complete(client.body(list(token_ids), model, self._json_schema, self.options.max_tokens,
                                                 self._repetition))

    def _finish(self, job: _Job, gens: list[Generation], summary: Summary) -> TextResult:
        t0 = time.perf_counter()
        result = ground_completions(job.text, list(zip(job.chunks, gens)), self._schema_model, self.options)
        summary.stages["ground"] += time.perf_counter() - t0
        return result


async def _settle(tasks: list[asyncio.Task[list[Generation]]], client: CompletionClient) -> None:
    """Cancel what is still in flight (the consumer stopped or the server failed) and close the client."""
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await client.aclose()


async def _failed(reason: str) -> Generation:
    return Generation.failed(reason)


async def _gather(requests: list[Any]) -> list[Generation]:
    """Every chunk's completion; when one raises, the others are cancelled and its error is raised."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(r) for r in requests]
    except BaseExceptionGroup as errors:
        raise errors.exceptions[0] from None
    return [t.result() for t in tasks]
