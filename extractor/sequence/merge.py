"""A sequence-classification adapter (LoRA + trained head) folded into its base, cached, for vLLM to serve.

As for token adapters (:mod:`extractor.tokens.merge`): vLLM's pooling runner serves the merged
``*ForSequenceClassification`` folder (``is_causal: false``, the class labels as ``id2label``, the
pad id the trainer pooled with), built once under a file lock and keyed by the adapter's content.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from extractor.adapters import Adapter
from extractor.errors import ConfigError
from extractor.merge import build_once

METHOD = "sequence"
"""``method`` in the adapter's metadata file for sequence-classification adapters."""
CACHE_SUBDIR = "merged-sequence"
AUTO_CLASS = "AutoModelForSequenceClassification"


def is_sequence_adapter(adapter: Adapter) -> bool:
    return adapter.metadata.get("method") == METHOD


def adapter_class_labels(adapter: Adapter) -> tuple[str, list[str]]:
    """The class schema name and the labels the adapter's head was trained for, in id order."""
    labels, name = adapter.metadata.get("labels"), adapter.metadata.get("class_schema")
    if not is_sequence_adapter(adapter) or not isinstance(labels, list) or len(labels) < 2 or not name:
        raise ConfigError(f"adapter {adapter.name}: not a sequence-classification adapter (metadata needs "
                          f"method: {METHOD}, class_schema and its labels)")
    return str(name), [str(lab) for lab in labels]


def _content_hash(adapter: Adapter) -> str:
    digest = hashlib.sha256(json.dumps(adapter_class_labels(adapter)).encode())
    digest.update(str(adapter.metadata.get("pad_token_id")).encode())
    for name in ("adapter_config.json", "adapter_model.safetensors", "adapter_model.bin"):
        f = adapter.path / name
        if f.is_file():
            digest.update(name.encode() + b"\x00" + f.read_bytes())
    return digest.hexdigest()[:16]


def merged_sequence_model_dir(base_path: str, adapter: Adapter, cache_dir: Path) -> Path:
    """Where the merge of ``adapter`` into ``base_path`` is cached (may not exist yet)."""
    base_key = hashlib.sha256(str(Path(base_path).resolve()).encode()).hexdigest()[:12]
    return cache_dir / CACHE_SUBDIR / f"{adapter.name}-{base_key}-{_content_hash(adapter)}"


def merge_sequence_adapter(base_path: str, adapter: Adapter, cache_dir: Path) -> Path:
    """Return a folder with ``adapter`` merged into ``base_path`` (built on first use, saved in the base's dtype)."""
    target = merged_sequence_model_dir(base_path, adapter, cache_dir)
    if (target / "config.json").is_file():
        return target
    if not Path(base_path).is_dir():
        raise ConfigError(f"merging a sequence adapter needs local base weights; {base_path} is not a folder")
    _, labels = adapter_class_labels(adapter)
    pad = adapter.metadata.get("pad_token_id")

    def build(work: Path) -> None:
        import torch
        from peft import PeftModel
        from transformers import AutoConfig, AutoTokenizer

        from extractor.tokens.backends import load_bidirectional

        base_config = AutoConfig.from_pretrained(base_path)
        save_dtype = getattr(base_config, "dtype", None) or getattr(base_config, "torch_dtype", None)
        overrides = {"pad_token_id": int(pad)} if isinstance(pad, int) else {}
        base = load_bidirectional(base_path, AUTO_CLASS, "float32", new_head=True, num_labels=len(labels),
                                  id2label=dict(enumerate(labels)), label2id={lab: i for i, lab in enumerate(labels)},
                                  **overrides)
        merged = PeftModel.from_pretrained(base, str(adapter.path)).merge_and_unload()
        merged.config.is_causal = False
        if isinstance(save_dtype, str):
            save_dtype = getattr(torch, save_dtype, None)
        if isinstance(save_dtype, torch.dtype):
            merged = merged.to(save_dtype)
        merged.save_pretrained(str(work), safe_serialization=True)
        tok_src = adapter.path if (adapter.path / "tokenizer_config.json").is_file() else Path(base_path)
        AutoTokenizer.from_pretrained(str(tok_src)).save_pretrained(str(work))

    return build_once(target, f"merging sequence adapter {adapter.name} into {base_path}", build)
