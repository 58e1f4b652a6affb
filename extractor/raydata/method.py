"""The generative method on Ray Data LLM (``--ray``): one dataset of planned prompts per batch of texts.

Texts are taken until the source ends or asks for a flush (a live source is about to block),
their prompts planned and tokenised here like in-process, and the rows run through
``build_processor`` (vLLM engine replicas). Results stream back to the driver as Ray finishes
them; a text is grounded and handed to the pipeline's sinks as soon as its chunks are back, so a
run stopped half-way resumes without losing or doubling a message. Each dataset starts its
engines afresh (tens of seconds): ``--ray`` is a batch path, not one for a trickle of mail.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ..chunking import Chunk
from ..engine import Generation, LoopStop
from ..errors import EngineError
from ..methods.base import Item, TextResult
from ..methods.completions import ground_completions
from ..options import ExtractOptions
from ..prompt_plan import PromptPlanner
from ..prompt_tokens import PromptEncoder
from ..prompts import PromptBuilder
from ..records import Flush
from ..summary import Summary
from . import rows as R
from .options import RayOptions


@dataclass
class _Job:
    tag: Any
    text: str
    chunks: list[Chunk]
    gens: list[Generation | None]


@dataclass(frozen=True)
class RayEngineSpec:
    """What every replica serves: the base model's folder and the adapters' folders by name."""

    model: str
    adapters: dict[str, str]
    engine_kwargs: dict[str, Any]


class RayMethod:
    """Prompts built for the schema, completed by Ray Data LLM's vLLM replicas, grounded on the driver."""

    name = "generative"

    def __init__(self, spec: RayEngineSpec, ray: RayOptions, tokenizer: Any, options: ExtractOptions,
                 prompt_format: str = "chat", max_model_len: int = 4096, batch_size: int | None = None,
                 loop_stop: LoopStop | None = None) -> None:
        self.spec = spec
        self.loop_stop = loop_stop
        self.ray = ray
        self.options = options
        self.batch_size = batch_size or options.batch_size
        encoder = PromptEncoder(tokenizer)
        self.prompts = PromptBuilder(options.prompt_schema(), options.shots, prompt_format, tokenizer, options.classes)
        self.planner = PromptPlanner(self.prompts, encoder.encode_prompt, encoder.count_tokens,
                                     max_model_len, options.max_tokens)
        self._schema_model = options.output_model()
        self._json_schema = options.json_schema() if options.constrained else None

    @property
    def chunk_tokens(self) -> int:
        return self.planner.chunk_tokens

    def stream(self, items: Iterable[Item | Flush], summary: Summary,
               window: int | None = None) -> Iterator[list[tuple[Any, TextResult]]]:
        """Results of ``(tag, text, adapter)`` items, one text at a time as its chunks come back.

        ``window`` is ignored: every text up to the end or a :class:`Flush` goes in one dataset.
        """
        batch: list[Item] = []
        for item in items:
            if isinstance(item, Flush):
                yield from self._run(batch, summary)
                batch = []
            else:
                batch.append(item)
        yield from self._run(batch, summary)

    def _run(self, items: list[Item], summary: Summary) -> Iterator[list[tuple[Any, TextResult]]]:
        if not items:
            return
        t0 = time.perf_counter()
        jobs: list[_Job] = []
        requests: list[tuple[list[int], str | None]] = []
        owner: list[tuple[int, int]] = []
        ready: list[tuple[Any, TextResult]] = []
        for tag, text, adapter in items:
            plan = self.planner.plan(text)
            job = _Job(tag, text, [p.chunk for p in plan], [None] * len(plan))
            for idx, planned in enumerate(plan):
                if planned.token_ids is None:
                    job.gens[idx] = Generation.failed(planned.error or "no prompt")
                else:
                    owner.append((len(jobs), idx))
                    requests.append((list(planned.token_ids), adapter))
            if all(g is not None for g in job.gens):
                ready.append((tag, self._finish(job, summary)))
            jobs.append(job)
        summary.stages["prompt"] += time.perf_counter() - t0
        if ready:
            yield ready
        if not requests:
            return
        t0 = time.perf_counter()
        for row, gen in self.complete(requests):
            jid, idx = owner[row]
            job = jobs[jid]
            job.gens[idx] = gen
            if all(g is not None for g in job.gens):
                summary.stages["engine"] += time.perf_counter() - t0
                yield [(job.tag, self._finish(job, summary))]
                t0 = time.perf_counter()
        summary.stages["engine"] += time.perf_counter() - t0

    def complete(self, requests: list[tuple[list[int], str | None]]) -> Iterator[tuple[int, Generation]]:
        """``(index, generation)`` of token-id prompts (``(token_ids, adapter)``) as Ray finishes them."""
        import ray.data

        base = self.spec.model
        items = [R.request_row(i, ids, self.spec.adapters[a] if a else base, self._json_schema,
                               self.options.max_tokens, self.loop_stop) for i, (ids, a) in enumerate(requests)]
        ds = self._processor(ray.data.from_items(items))
        seen: set[int] = set()
        rows = iter(ds.map(R.settle, num_cpus=self.ray.stage_cpus).iter_rows())
        while True:
            try:
                row = next(rows, None)
            except Exception as exc:  # an engine that cannot start, a lost node: the run stops, resumable
                raise EngineError(f"Ray Data LLM stopped: {type(exc).__name__}: {str(exc).splitlines()[0][:300]}; "
                                  "what was written is kept, rerun the same command to resume") from exc
            if row is None:
                break
            seen.add(int(row["row"]))
            yield int(row["row"]), R.generation_of(row, self.options.max_tokens, self.loop_stop is not None)
        for i in sorted(set(range(len(requests))) - seen):  # a row Ray dropped would otherwise hang its text
            yield i, Generation.failed("Ray Data LLM returned no row for this request")

    @cached_property
    def _processor(self) -> Any:
        import ray
        from ray.data.llm import build_processor, vLLMEngineProcessorConfig

        connect(self.ray)
        gpus = ray.cluster_resources().get("GPU", 0) > 0
        config = vLLMEngineProcessorConfig(**R.processor_config(
            self.spec.model, self.spec.engine_kwargs, replicas=self.ray.replicas, batch_size=self.batch_size,
            gpus=gpus, cpus_per_engine=self.ray.cpus_per_engine, env=engine_env(gpus),
            max_pending=self.ray.max_pending))
        stage = {"num_cpus": self.ray.stage_cpus}
        return build_processor(config, preprocess=R.preprocess, postprocess=R.postprocess,
                               preprocess_map_kwargs=stage, postprocess_map_kwargs=stage)

    def _finish(self, job: _Job, summary: Summary) -> TextResult:
        t0 = time.perf_counter()
        pairs = [(c, g) for c, g in zip(job.chunks, job.gens) if g is not None]
        result = ground_completions(job.text, pairs, self._schema_model, self.options)
        summary.stages["ground"] += time.perf_counter() - t0
        return result


def connect(options: RayOptions) -> None:
    """Join ``options.address`` (or Ray's default) unless this process is connected already."""
    import ray

    if not ray.is_initialized():
        ray.init(address=options.address, ignore_reinit_error=True, log_to_driver=False)


def engine_env(gpus: bool) -> dict[str, str]:
    """What the in-process engine sets before vLLM starts, for the replicas (on top of the workers' own)."""
    env = {"TOKENIZERS_PARALLELISM": "false", "VLLM_REGEX_COMPILATION_TIMEOUT_S": "900"}
    if not gpus:  # see Engine: vLLM's CPU backend cannot load its AOT-compiled artefact back
        env["VLLM_USE_AOT_COMPILE"] = "0"
    return env
