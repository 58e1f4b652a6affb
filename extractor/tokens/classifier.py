"""Texts in, entities out, with a bidirectional token classifier (the ``tokens`` extraction method).

Each text is tokenised with offsets and cut into windows of ``max_len`` tokens that overlap by
``overlap``; a token's label comes from the window where it is most central. Labels go to words
(:mod:`extractor.tokens.spans`) and BIO over words gives character spans: ``text[start:end]`` is
the entity text by construction.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extractor.adapters import Adapter
from extractor.errors import ConfigError, EngineError
from extractor.records import Entity

from .backends import Backend, TransformersBackend, VllmBackend
from .spans import OUTSIDE, char_spans, tags_from_tokens, to_entities, word_to_token, words
from .windows import EncodedText, encode_text, special_frame

log = logging.getLogger(__name__)

BACKENDS = ("auto", "vllm", "transformers")


@dataclass(frozen=True)
class TokenEngineConfig:
    """Everything that shapes a token classifier. Frozen: one engine per config.

    Attributes:
        model: folder of a ``*ForTokenClassification`` model with BIO labels (a merged adapter).
        backend: ``vllm``, ``transformers``, or ``auto`` (vLLM, else transformers when vLLM cannot
            load the model).
        max_len: tokens per window, special tokens included (vLLM's ``max_model_len``).
        overlap: tokens shared by neighbouring windows of a long text.
        batch_tokens: token budget of one forward batch (padded, transformers) or one vLLM step
            (``max_num_batched_tokens``, at least ``max_len``).
        dtype: ``auto`` (the checkpoint's), ``float32``, ``bfloat16`` or ``float16``.
        kv_cache_bytes: vLLM KV-cache size (CPU default 64 MiB).
        gpu_memory_utilization: vLLM's share of GPU memory (ignored on CPU).
        enforce_eager: vLLM without torch.compile (faster start).
        seed: vLLM seed.
        extra: further ``vllm.LLM`` arguments.
    """

    model: str
    backend: str = "auto"
    max_len: int = 512
    overlap: int = 64
    batch_tokens: int = 8192
    dtype: str = "auto"
    kv_cache_bytes: int | None = None
    gpu_memory_utilization: float = 0.9
    enforce_eager: bool = False
    seed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {self.backend!r}")
        if self.max_len < 2 or not 0 <= self.overlap < self.max_len:
            raise ValueError("max_len must be >= 2 and overlap in [0, max_len)")
        if self.batch_tokens < 1:
            raise ValueError("batch_tokens must be >= 1")


def open_backend(config: TokenEngineConfig, pad_id: int = 0) -> tuple[Backend, str | None]:
    """The backend ``config`` asks for, and why vLLM was not used when ``auto`` fell back."""
    skip = not_native_in_vllm(config.model) if config.backend == "auto" else None
    if skip:
        log.info("%s; serving with transformers", skip)
        return TransformersBackend.load(config.model, config.dtype, config.batch_tokens, pad_id), skip
    if config.backend in ("auto", "vllm"):
        try:
            backend = VllmBackend(config.model, max_model_len=config.max_len, batch_tokens=config.batch_tokens,
                                  dtype=config.dtype, kv_cache_bytes=config.kv_cache_bytes,
                                  gpu_memory_utilization=config.gpu_memory_utilization,
                                  enforce_eager=config.enforce_eager, seed=config.seed, extra=config.extra)
            if not attends_both_ways(backend):
                del backend
                raise EngineError(f"vLLM serves {config.model} with causal attention (its model class ignores "
                                  "is_causal=False), so tags would not see the words after them")
            return backend, None
        except EngineError as exc:
            if config.backend == "vllm":
                raise
            log.warning("%s; falling back to transformers", exc)
            reason = str(exc)
    else:
        reason = None
    return TransformersBackend.load(config.model, config.dtype, config.batch_tokens, pad_id), reason


def not_native_in_vllm(model: str) -> str | None:
    """Why vLLM should not serve this token classifier, for architectures it has no class of its own for.

    vLLM loads those through its Transformers backend, which serves them causally and patches
    transformers' own classes in the process (so a transformers fallback there would break too).
    """
    import json

    config = Path(model) / "config.json"
    if not config.is_file():
        return None
    archs = json.loads(config.read_text(encoding="utf-8")).get("architectures") or []
    causal = [a.replace("ForTokenClassification", "ForCausalLM") for a in archs]
    from vllm.model_executor.models import registry

    if causal and all(a not in registry._TEXT_GENERATION_MODELS and a in registry._TRANSFORMERS_SUPPORTED_MODELS
                      for a in causal):
        return f"vLLM has no native class for {archs[0]} (only its Transformers backend, causal)"
    return None


BIDIRECTIONAL_PROBE = ([1, 2, 3, 4], [1, 2, 3, 5])
"""Two inputs that differ only in their last token."""


def attends_both_ways(backend: Backend) -> bool:
    """Whether a token's logits change when a later token does (bidirectional attention), on a probe."""
    return first_token_changed(*backend.logits([list(x) for x in BIDIRECTIONAL_PROBE]))


def first_token_changed(first: Any, changed: Any) -> bool:
    """Whether the logits of :data:`BIDIRECTIONAL_PROBE`'s two inputs differ at their first token."""
    return bool(abs(first[0] - changed[0]).max() > 1e-6)


def adapter_windows(adapter: Adapter) -> dict[str, int]:
    """The window length and overlap a token adapter was trained with (:class:`TokenEngineConfig` fields)."""
    return {k: adapter.metadata[m] for k, m in (("max_len", "max_seq_len"), ("overlap", "overlap"))
            if isinstance(adapter.metadata.get(m), int)}


def bio_id2label(config: Any) -> list[str]:
    """The class names of a model config, in id order; ``ConfigError`` unless they are BIO tags."""
    id2label = {int(k): str(v) for k, v in (getattr(config, "id2label", None) or {}).items()}
    labels = [id2label.get(i, "") for i in range(len(id2label))]
    if OUTSIDE not in labels or not all(lab == OUTSIDE or lab[:2] in ("B-", "I-") for lab in labels):
        raise ConfigError(f"the model's labels ({', '.join(labels) or 'none'}) are not BIO tags (O, B-X, I-X)")
    return labels


def _pad_id(tokenizer: Any) -> int:
    for tid in (tokenizer.pad_token_id, tokenizer.eos_token_id):
        if tid is not None:
            return int(tid)
    return 0


class TokenClassifier:
    """A tokenizer, BIO labels and a :class:`~extractor.tokens.backends.Backend`.

    ``backend_name`` says which backend runs; ``fallback_reason`` why vLLM did not, when ``auto`` fell back.
    """

    def __init__(self, config: TokenEngineConfig, *, backend: Backend | None = None, tokenizer: Any = None,
                 labels: Sequence[str] | None = None) -> None:
        self.config = config
        if tokenizer is None:
            from transformers import AutoTokenizer

            tokenizer = AutoTokenizer.from_pretrained(config.model)
        if not getattr(tokenizer, "is_fast", False):
            raise ConfigError(f"{config.model}: the token method needs a fast tokenizer (offset mappings)")
        self.tokenizer = tokenizer
        if labels is None:
            from transformers import AutoConfig

            labels = bio_id2label(AutoConfig.from_pretrained(config.model))
        self.labels = list(labels)
        self.fallback_reason: str | None = None
        if backend is None:
            backend, self.fallback_reason = open_backend(config, _pad_id(tokenizer))
        self.backend = backend
        self._frame = special_frame(tokenizer)
        log.info("token classifier on %s: %s backend, %d classes", config.model, backend.name, len(self.labels))

    @classmethod
    def from_model(cls, model: Any, tokenizer: Any, *, max_len: int = 512, overlap: int = 64,
                   batch_tokens: int = 8192) -> TokenClassifier:
        """Wrap a transformers model already in memory (a peft model while training) in the transformers backend."""
        config = TokenEngineConfig(model=str(getattr(model.config, "_name_or_path", "") or "in-memory"),
                                   backend="transformers", max_len=max_len, overlap=overlap,
                                   batch_tokens=batch_tokens)
        backend = TransformersBackend(model, _pad_id(tokenizer), batch_tokens)
        return cls(config, backend=backend, tokenizer=tokenizer, labels=bio_id2label(model.config))

    @classmethod
    def for_adapter(cls, adapter: Adapter, base_path: str, cache_dir: Path, **options: Any) -> TokenClassifier:
        """Serve a trained token adapter: merged into ``base_path`` (cached under ``cache_dir``), windows of the
        length it was trained with unless ``options`` (:class:`TokenEngineConfig` fields) say otherwise."""
        from .merge import merge_token_adapter

        merged = merge_token_adapter(base_path, adapter, cache_dir)
        return cls(TokenEngineConfig(model=str(merged), **{**adapter_windows(adapter), **options}))

    @property
    def backend_name(self) -> str:
        return self.backend.name

    @property
    def entity_labels(self) -> list[str]:
        """The entity labels the classifier tags (``PER``, ``LOC``...), in class order."""
        return list(dict.fromkeys(lab[2:] for lab in self.labels if lab != OUTSIDE))

    def encode(self, text: str) -> EncodedText:
        return encode_text(self.tokenizer, text, self.config.max_len, self.config.overlap, self._frame)

    def token_tags(self, encoded: Sequence[EncodedText]) -> list[list[str]]:
        """The predicted tag of every token of every encoded text (one backend call for all windows)."""
        inputs = [x for enc in encoded for x in enc.inputs]
        logits = self.backend.logits(inputs)
        out: list[list[str]] = []
        first = 0
        for enc in encoded:
            rows = logits[first : first + len(enc.windows)]
            first += len(enc.windows)
            best = [row.argmax(-1) for row in rows]
            tags = []
            for i in range(len(enc.ids)):
                w, r = enc.row(i)
                tags.append(self.labels[int(best[w][r])])
            out.append(tags)
        return out

    def extract_texts(self, texts: Sequence[str], encoded: Sequence[EncodedText] | None = None) -> list[list[Entity]]:
        """Entities of each text, ``source="model"``, in text order (``encoded``: the texts already encoded)."""
        encoded = [self.encode(t) for t in texts] if encoded is None else encoded
        results = []
        for text, enc, tags in zip(texts, encoded, self.token_tags(encoded), strict=True):
            offsets = words(text)
            word_tags = tags_from_tokens(tags, word_to_token(offsets, enc.offsets))
            results.append(to_entities(text, char_spans(text, offsets, word_tags)))
        return results
