"""Texts in, one label and its softmax score out, with a bidirectional sequence classifier.

A text is tokenised, its pad tokens dropped and, when longer than ``max_len``, cut to its head and
tail (:func:`head_tail`), as the trainer cut it. The head reads the text's tokens pooled as the
adapter was trained (:data:`POOLINGS`): ``mean``, the average of the head's per-token logits over
the real tokens (the head is linear, so this is vLLM's ``MEAN`` pooler followed by the head), or
``last``, the last real token (transformers finds it by the pad id, vLLM's ``LAST`` pooler takes
the last position). The backends return logits; the softmax is taken here, so both give the same
scores.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extractor.adapters import METADATA_FILE, Adapter
from extractor.class_decision import MinScores, check_labels, check_range, decide, from_metadata
from extractor.errors import ConfigError, EngineError
from extractor.message_input import BODY, READS
from extractor.tokens.backends import TransformersBackend, VllmBackend, budget_batches, load_bidirectional

from .merge import AUTO_CLASS

log = logging.getLogger(__name__)

BACKENDS = ("auto", "vllm", "transformers")
POOLINGS = ("mean", "last")
"""How the head reads a text: every token's view averaged (learns in few steps), or the last token's."""
VLLM_POOLING = {"mean": "MEAN", "last": "LAST"}
UNRECORDED = {"pooling": "last", "reads": BODY}
"""What an adapter trained before its metadata recorded a field did: pooled the last token, read the body."""
HEAD_SHARE = 4
"""A long text keeps its first ``max_len // HEAD_SHARE`` tokens and fills the rest from its end."""


def head_tail(ids: Sequence[int], max_len: int) -> list[int]:
    """``ids`` when it fits ``max_len``, else its first quarter of ``max_len`` and the tail that fills the rest."""
    ids = list(ids)
    if len(ids) <= max_len:
        return ids
    head = max_len // HEAD_SHARE
    return ids[:head] + ids[len(ids) - (max_len - head):]


def head_module(model: Any) -> Any:
    """The class head (``score``) of a ``*ForSequenceClassification`` model, or of a peft model around one."""
    for name, module in model.named_modules():
        if name.rsplit(".", 1)[-1] == "score":
            return module
    raise ConfigError(f"{type(model).__name__} has no 'score' head")


def pooled_logits(model: Any, input_ids: Any, attention_mask: Any, pooling: str) -> Any:
    """``[batch, n_labels]`` logits of right-padded ``input_ids`` as the head reads them under ``pooling``.

    ``last`` is the model's own output. ``mean`` averages the head's per-token outputs over the
    attention mask (caught with a hook on the head, so a peft model trains through it).
    """
    if pooling == "last":
        return model(input_ids=input_ids, attention_mask=attention_mask).logits
    if pooling != "mean":
        raise ValueError(f"pooling must be one of {', '.join(POOLINGS)}, got {pooling!r}")
    caught: list[Any] = []
    handle = head_module(model).register_forward_hook(lambda module, args, out: caught.append(out))
    try:
        model(input_ids=input_ids, attention_mask=attention_mask)
    finally:
        handle.remove()
    per_token = caught[-1].float()
    mask = attention_mask.unsqueeze(-1).to(per_token.dtype)
    return (per_token * mask).sum(1) / mask.sum(1).clamp(min=1.0)


def encode_for_head(tokenizer: Any, text: str, max_len: int, pad_id: int | None) -> list[int]:
    """The token ids the head is trained and served on: pad tokens dropped, head + tail within ``max_len``."""
    ids = [i for i in tokenizer(text)["input_ids"] if i != pad_id]
    return head_tail(ids or [tokenizer.eos_token_id if tokenizer.eos_token_id is not None else 0], max_len)


@dataclass(frozen=True)
class SequenceEngineConfig:
    """Everything that shapes a sequence classifier. Frozen: one engine per config.

    Attributes:
        model: folder of a ``*ForSequenceClassification`` model (a merged adapter) whose ``id2label``
            are the class labels.
        backend: ``vllm``, ``transformers``, or ``auto`` (vLLM, else transformers when vLLM cannot start).
        max_len: tokens per text (head + tail beyond it); vLLM's ``max_model_len``.
        batch_tokens: token budget of one forward batch (transformers) or one vLLM step.
        dtype: ``auto`` (the checkpoint's), ``float32``, ``bfloat16`` or ``float16``.
        pooling: how the head reads a text (:data:`POOLINGS`); the adapter's training decides it.
        reads: what of a message the head reads (:data:`extractor.message_input.READS`); the adapter's, too.
        min_scores: labels given only when their probability reaches a minimum
            (:mod:`extractor.class_decision`); the adapter's recorded ones unless the run passes its own.
        kv_cache_bytes, gpu_memory_utilization, enforce_eager, seed, extra: vLLM's, as for the token method.
    """

    model: str
    backend: str = "auto"
    max_len: int = 512
    batch_tokens: int = 8192
    dtype: str = "auto"
    pooling: str = "last"
    reads: str = BODY
    min_scores: MinScores = ()
    kv_cache_bytes: int | None = None
    gpu_memory_utilization: float = 0.9
    enforce_eager: bool = False
    seed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {self.backend!r}")
        if self.pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {', '.join(POOLINGS)}, got {self.pooling!r}")
        if self.reads not in READS:
            raise ValueError(f"reads must be one of {', '.join(READS)}, got {self.reads!r}")
        if self.max_len < 2 or self.batch_tokens < 1:
            raise ValueError("max_len must be >= 2 and batch_tokens >= 1")
        check_range(self.min_scores, "min_scores")


class TransformersSequenceBackend(TransformersBackend):
    """Right-padded batches through a transformers ``*ForSequenceClassification`` (or a peft model around one)."""

    def __init__(self, model: Any, pad_id: int, batch_tokens: int = 8192, pooling: str = "last") -> None:
        super().__init__(model, pad_id, batch_tokens)
        self.pooling = pooling

    @classmethod
    def load(cls, path: str, dtype: str = "auto", batch_tokens: int = 8192, pad_id: int = 0,
             pooling: str = "last") -> TransformersSequenceBackend:
        import torch

        model = load_bidirectional(path, AUTO_CLASS, dtype)
        if torch.cuda.is_available():
            model = model.to("cuda")
        return cls(model.eval(), pad_id, batch_tokens, pooling)

    def logits(self, inputs: Sequence[Sequence[int]]) -> list[Any]:
        """One ``[n_labels]`` float32 array per input."""
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
                    logits = pooled_logits(self.model, ids.to(device), mask.to(device), self.pooling)
                    for row, i in enumerate(batch):
                        out[i] = logits[row].float().cpu().numpy()
        finally:
            self.model.train(was_training)
        return out


class VllmSequenceBackend(VllmBackend):
    """vLLM's pooling runner, ``LLM.classify`` bidirectional (``is_causal: False``), pooled as trained."""

    def logits(self, inputs: Sequence[Sequence[int]]) -> list[Any]:
        import numpy as np
        from vllm import PoolingParams, TokensPrompt

        if not inputs:
            return []
        prompts = [TokensPrompt(prompt_token_ids=list(ids)) for ids in inputs]
        try:
            outputs = self.llm.classify(prompts, use_tqdm=False, pooling_params=PoolingParams(use_activation=False))
        except Exception as exc:
            raise EngineError(f"sequence classification failed: {type(exc).__name__}: {exc}") from exc
        return [np.asarray(o.outputs.probs, dtype=np.float32) for o in outputs]


def _vllm_pooler(pooling: str) -> dict[str, Any]:
    """``LLM`` keyword arguments that make vLLM's ``classify`` pool as ``pooling`` says (none without vLLM)."""
    try:
        from vllm.config import PoolerConfig
    except ImportError:  # the backend reports the missing vLLM
        return {}
    return {"pooler_config": PoolerConfig(seq_pooling_type=VLLM_POOLING[pooling])}


def open_backend(config: SequenceEngineConfig, pad_id: int) -> tuple[Any, str | None]:
    """The backend ``config`` asks for, and why vLLM was not used when ``auto`` fell back."""
    reason = None
    if config.backend in ("auto", "vllm"):
        try:
            extra = {**_vllm_pooler(config.pooling), **config.extra}
            return VllmSequenceBackend(config.model, max_model_len=config.max_len, batch_tokens=config.batch_tokens,
                                       dtype=config.dtype, kv_cache_bytes=config.kv_cache_bytes,
                                       gpu_memory_utilization=config.gpu_memory_utilization,
                                       enforce_eager=config.enforce_eager, seed=config.seed, extra=extra), None
        except EngineError as exc:
            if config.backend == "vllm":
                raise
            log.warning("%s; falling back to transformers", exc)
            reason = str(exc)
    return TransformersSequenceBackend.load(config.model, config.dtype, config.batch_tokens, pad_id,
                                            config.pooling), reason


def class_labels(config: Any) -> list[str]:
    """The class names of a model config in id order; ``ConfigError`` when it has fewer than two."""
    id2label = {int(k): str(v) for k, v in (getattr(config, "id2label", None) or {}).items()}
    labels = [id2label.get(i, "") for i in range(len(id2label))]
    if len(labels) < 2 or not all(labels):
        raise ConfigError(f"the model's labels ({', '.join(labels) or 'none'}) are not a class set")
    return labels


def pad_id_of(config: Any, tokenizer: Any) -> int:
    """The pad id the head pools around: the model config's, else the tokenizer's pad or eos."""
    for tid in (getattr(config, "pad_token_id", None), tokenizer.pad_token_id, tokenizer.eos_token_id):
        if tid is not None:
            return int(tid)
    return 0


class SequenceClassifier:
    """A tokenizer, class labels and a backend: ``distributions(texts)`` -> every label's probability per
    text, ``classify(texts)`` -> ``(label, score)`` per text, decided within ``min_scores``."""

    def __init__(self, config: SequenceEngineConfig, *, backend: Any = None, tokenizer: Any = None,
                 labels: Sequence[str] | None = None, pad_id: int | None = None) -> None:
        self.config = config
        if tokenizer is None or labels is None or pad_id is None:
            from transformers import AutoConfig, AutoTokenizer

            tokenizer = tokenizer or AutoTokenizer.from_pretrained(config.model)
            model_config = AutoConfig.from_pretrained(config.model)
            labels = labels or class_labels(model_config)
            pad_id = pad_id_of(model_config, tokenizer) if pad_id is None else pad_id
        self.tokenizer, self.labels, self.pad_id = tokenizer, list(labels), pad_id
        check_labels(config.min_scores, self.labels, f"sequence classifier {config.model}")
        self.min_scores = dict(config.min_scores)
        self.fallback_reason: str | None = None
        if backend is None:
            backend, self.fallback_reason = open_backend(config, pad_id)
        self.backend = backend
        log.info("sequence classifier on %s: %s backend, %d classes", config.model, backend.name, len(self.labels))

    @classmethod
    def from_model(cls, model: Any, tokenizer: Any, *, max_len: int = 512, batch_tokens: int = 8192,
                   pooling: str = "last") -> SequenceClassifier:
        """Wrap a transformers model already in memory (a peft model while training) in the transformers backend."""
        config = SequenceEngineConfig(model=str(getattr(model.config, "_name_or_path", "") or "in-memory"),
                                      backend="transformers", max_len=max_len, batch_tokens=batch_tokens,
                                      pooling=pooling)
        pad = pad_id_of(model.config, tokenizer)
        return cls(config, backend=TransformersSequenceBackend(model, pad, batch_tokens, pooling), tokenizer=tokenizer,
                   labels=class_labels(model.config), pad_id=pad)

    @classmethod
    def for_adapter(cls, adapter: Adapter, base_path: str, cache_dir: Path, **options: Any) -> SequenceClassifier:
        """Serve a trained sequence adapter merged into ``base_path`` (cached under ``cache_dir``), texts cut at
        the length, pooled, read and decided as it was trained with (adapters from before these were recorded
        pooled the last token, read the body and had no minimum scores) unless ``options``
        (:class:`SequenceEngineConfig` fields) say otherwise."""
        from .merge import merge_sequence_adapter

        recorded = {key: (str(adapter.metadata.get(key, UNRECORDED[key])), allowed)
                    for key, allowed in (("pooling", POOLINGS), ("reads", READS))}
        for key, (value, allowed) in recorded.items():
            if value not in allowed:
                raise ConfigError(f"adapter {adapter.name}: its metadata says {key} {value!r}, not one of "
                                  f"{', '.join(allowed)}: fix {adapter.path / METADATA_FILE} or retrain")
        min_scores = from_metadata(adapter.metadata.get("min_scores"), f"adapter {adapter.name}")
        merged = merge_sequence_adapter(base_path, adapter, cache_dir)
        trained = adapter.metadata.get("max_seq_len")
        defaults: dict[str, Any] = {"max_len": trained} if isinstance(trained, int) else {}
        defaults.update({key: value for key, (value, _) in recorded.items()}, min_scores=min_scores)
        return cls(SequenceEngineConfig(model=str(merged), **{**defaults, **options}))

    @property
    def backend_name(self) -> str:
        return self.backend.name

    @property
    def reads(self) -> str:
        """What of a message this classifier reads (its adapter's training decided it)."""
        return self.config.reads

    def encode(self, text: str) -> list[int]:
        return encode_for_head(self.tokenizer, text, self.config.max_len, self.pad_id)

    def logits(self, texts: Sequence[str]) -> list[Any]:
        """The class logits of each text (one backend call)."""
        return self.backend.logits([self.encode(t) for t in texts])

    def distributions(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """Each text's softmax probability of every label (one backend call)."""
        return [dict(zip(self.labels, (float(p) for p in softmax(row)), strict=True)) for row in self.logits(texts)]

    def classify(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        """The label of each text (:func:`~extractor.class_decision.decide`, within the minimum scores) and its
        softmax probability."""
        out = []
        for probs in self.distributions(texts):
            label = decide(probs, self.min_scores)
            out.append((label, probs[label]))
        return out


def softmax(row: Any) -> Any:
    import numpy as np

    z = np.asarray(row, dtype=np.float64)
    e = np.exp(z - z.max())
    return e / e.sum()
