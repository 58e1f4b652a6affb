"""Per-token logits of a bidirectional token classifier: vLLM's pooling runner, or transformers.

Both backends take lists of token ids and return one ``[n_tokens, n_labels]`` float32 array per
list, in order. torch, transformers and vllm are imported inside the functions that need them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any, Protocol

from extractor.errors import EngineError

log = logging.getLogger(__name__)

DEFAULT_CPU_KV_CACHE_BYTES = 64 << 20
"""vLLM's CPU backend wants a KV-cache size; bidirectional (encoder-only) layers barely use it."""


class Backend(Protocol):
    """What :class:`~extractor.tokens.classifier.TokenClassifier` needs from a backend."""

    name: str

    def logits(self, inputs: Sequence[Sequence[int]]) -> list[Any]:
        """One ``[len(ids), n_labels]`` float32 numpy array per input."""
        ...


def budget_batches(lengths: Sequence[int], budget: int) -> list[list[int]]:
    """Indices grouped into batches whose padded size (count x longest) stays within ``budget`` tokens.

    Longest first, so each batch holds inputs of similar length; an input longer than the budget
    goes alone.
    """
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batches: list[list[int]] = []
    for i in order:
        if batches and (len(batches[-1]) + 1) * lengths[batches[-1][0]] <= budget:
            batches[-1].append(i)
        else:
            batches.append([i])
    return batches


def torch_dtype(name: str) -> Any:
    """``auto`` (None: the checkpoint's own), ``float32``, ``bfloat16`` or ``float16`` as a torch dtype."""
    import torch

    table = {"auto": None, "float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
    if name not in table:
        raise ValueError(f"dtype must be one of {', '.join(table)}, got {name!r}")
    return table[name]


def load_token_model(path: str, dtype: str = "auto", *, new_head: bool = False, **config_overrides: Any) -> Any:
    """``AutoModelForTokenClassification`` from ``path`` with the causal mask off (``config.is_causal = False``).

    ``new_head``: ``path`` is a base decoder, so the head is expected to be missing (not reported).
    """
    return load_bidirectional(path, "AutoModelForTokenClassification", dtype, new_head=new_head, **config_overrides)


def load_bidirectional(path: str, auto_class: str, dtype: str = "auto", *, new_head: bool = False,
                       **config_overrides: Any) -> Any:
    """A ``transformers`` ``auto_class`` (``AutoModelForTokenClassification``, ``...SequenceClassification``)
    from ``path`` with ``config.is_causal = False``; ``new_head`` as in :func:`load_token_model`."""
    import transformers
    from transformers import AutoConfig
    from transformers.utils import logging as hf_logging

    config = AutoConfig.from_pretrained(path, **config_overrides)
    config.is_causal = False
    kwargs: dict[str, Any] = {"config": config}
    if torch_dtype(dtype) is not None:
        kwargs["dtype"] = torch_dtype(dtype)
    verbosity = hf_logging.get_verbosity()
    if new_head:
        hf_logging.set_verbosity_error()
    try:
        return getattr(transformers, auto_class).from_pretrained(path, **kwargs)
    finally:
        hf_logging.set_verbosity(verbosity)


class TransformersBackend:
    """A transformers token-classification model (or a peft model around one), batched by a token budget.

    Inputs are right-padded with an attention mask, so padding never reaches a real token.
    """

    name = "transformers"

    def __init__(self, model: Any, pad_id: int = 0, batch_tokens: int = 8192) -> None:
        self.model = model
        self.pad_id = pad_id
        self.batch_tokens = batch_tokens

    @classmethod
    def load(cls, path: str, dtype: str = "auto", batch_tokens: int = 8192, pad_id: int = 0) -> TransformersBackend:
        import torch

        model = load_token_model(path, dtype)
        if torch.cuda.is_available():
            model = model.to("cuda")
        return cls(model.eval(), pad_id, batch_tokens)

    def logits(self, inputs: Sequence[Sequence[int]]) -> list[Any]:
        import torch

        out: list[Any] = [None] * len(inputs)
        device = next(self.model.parameters()).device
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.inference_mode():
                for batch in budget_batches([len(x) for x in inputs], self.batch_tokens):
                    width = len(inputs[batch[0]])
                    ids = torch.full((len(batch), width), self.pad_id, dtype=torch.long)
                    mask = torch.zeros((len(batch), width), dtype=torch.long)
                    for row, i in enumerate(batch):
                        ids[row, : len(inputs[i])] = torch.tensor(list(inputs[i]), dtype=torch.long)
                        mask[row, : len(inputs[i])] = 1
                    logits = self.model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits
                    logits = logits.float().cpu().numpy()
                    for row, i in enumerate(batch):
                        out[i] = logits[row, : len(inputs[i])]
        finally:
            self.model.train(was_training)
        return out


class VllmBackend:
    """vLLM's pooling runner serving a ``*ForTokenClassification`` folder with bidirectional attention.

    ``hf_overrides={"is_causal": False}`` makes vLLM build ENCODER_ONLY attention, which turns chunked
    prefill and prefix caching off, so ``max_num_batched_tokens`` must be at least ``max_model_len``.
    """

    name = "vllm"

    def __init__(self, model: str, *, max_model_len: int, batch_tokens: int = 8192, dtype: str = "auto",
                 kv_cache_bytes: int | None = None, gpu_memory_utilization: float = 0.9, enforce_eager: bool = True,
                 seed: int = 0, extra: dict[str, Any] | None = None) -> None:
        os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")  # in-process engine, as extractor.engine
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from extractor.logs import quiet_engine_logs

        verbose = quiet_engine_logs()
        try:
            from vllm import LLM
            from vllm.platforms import current_platform
        except ImportError as exc:
            raise EngineError(f"vLLM is not installed ({exc})") from exc
        batched = max(batch_tokens, max_model_len)
        kwargs: dict[str, Any] = dict(
            model=model, runner="pooling", hf_overrides={"is_causal": False}, max_model_len=max_model_len,
            max_num_batched_tokens=batched, max_num_seqs=min(256, batched), dtype=dtype,
            enforce_eager=enforce_eager, seed=seed, use_tqdm_on_load=verbose, **(extra or {}),
        )
        if current_platform.is_cpu():
            kwargs["kv_cache_memory_bytes"] = kv_cache_bytes or DEFAULT_CPU_KV_CACHE_BYTES
            kwargs["gpu_memory_utilization"] = 0.2
        else:
            kwargs["gpu_memory_utilization"] = gpu_memory_utilization
            if kv_cache_bytes:
                kwargs["kv_cache_memory_bytes"] = kv_cache_bytes
        log.info("starting vLLM (pooling runner, bidirectional) on %s", model)
        try:
            self.llm = LLM(**kwargs)
        except Exception as exc:  # vLLM raises many types; the caller needs one
            raise EngineError(f"vLLM could not start on {model}: {type(exc).__name__}: {exc}") from exc

    def logits(self, inputs: Sequence[Sequence[int]]) -> list[Any]:
        from vllm import PoolingParams, TokensPrompt

        if not inputs:
            return []
        prompts = [TokensPrompt(prompt_token_ids=list(ids)) for ids in inputs]
        try:
            outputs = self.llm.encode(prompts, pooling_task="token_classify", use_tqdm=False,
                                      pooling_params=PoolingParams(use_activation=False))
        except Exception as exc:
            raise EngineError(f"token classification failed: {type(exc).__name__}: {exc}") from exc
        return [o.outputs.data.float().cpu().numpy() for o in outputs]
