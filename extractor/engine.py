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


def on_cpu() -> bool:
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
        params = SamplingParams(temperature=0.0, max_tokens=max_tokens, structured_outputs=structured)
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
