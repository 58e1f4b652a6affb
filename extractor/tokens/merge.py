"""A token-classification adapter (LoRA + trained head) folded into its base, cached, for vLLM to serve.

vLLM refuses LoRA adapters that carry classification-head weights for ``token_classify``
(``vllm/lora/model_manager.py``, ``_validate_token_classification_lora``), so the adapter is served
merged: peft ``merge_and_unload`` on ``AutoModelForTokenClassification``, ``is_causal: false`` in
``config.json``, the BIO labels as ``id2label``, saved with the tokenizer. The folder is keyed by the
base folder and a hash of the adapter's weights and labels, and built once under a file lock.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

from extractor.adapters import Adapter
from extractor.errors import ConfigError
from extractor.merge import build_once

log = logging.getLogger(__name__)

METHOD = "tokens"
"""``method`` in the adapter's metadata file for token-classification adapters."""
CACHE_SUBDIR = "merged-tokens"


def is_token_adapter(adapter: Adapter) -> bool:
    return adapter.metadata.get("method") == METHOD


def adapter_labels(adapter: Adapter) -> list[str]:
    """The BIO class names the adapter's head was trained for, in id order."""
    labels = adapter.metadata.get("labels")
    if not is_token_adapter(adapter) or not isinstance(labels, list) or not labels:
        raise ConfigError(f"adapter {adapter.name}: not a token-classification adapter (metadata needs "
                          f"method: {METHOD} and its BIO labels)")
    return [str(lab) for lab in labels]


def _content_hash(adapter: Adapter) -> str:
    digest = hashlib.sha256(json.dumps(adapter_labels(adapter)).encode())
    for name in ("adapter_config.json", "adapter_model.safetensors", "adapter_model.bin"):
        f = adapter.path / name
        if f.is_file():
            digest.update(name.encode() + b"\x00" + f.read_bytes())
    return digest.hexdigest()[:16]


def merged_token_model_dir(base_path: str, adapter: Adapter, cache_dir: Path) -> Path:
    """Where the merge of ``adapter`` into ``base_path`` is cached (may not exist yet)."""
    base_key = hashlib.sha256(str(Path(base_path).resolve()).encode()).hexdigest()[:12]
    return cache_dir / CACHE_SUBDIR / f"{adapter.name}-{base_key}-{_content_hash(adapter)}"


def merge_token_adapter(base_path: str, adapter: Adapter, cache_dir: Path) -> Path:
    """Return a folder with ``adapter`` merged into ``base_path`` (built on first use).

    Merged in float32 and saved in the base checkpoint's dtype.
    """
    target = merged_token_model_dir(base_path, adapter, cache_dir)
    if (target / "config.json").is_file():
        return target
    if not Path(base_path).is_dir():
        raise ConfigError(f"merging a token adapter needs local base weights; {base_path} is not a folder")
    labels = adapter_labels(adapter)

    def build(work: Path) -> None:
        import torch
        from peft import PeftModel
        from transformers import AutoConfig, AutoTokenizer

        from .backends import load_token_model

        base_config = AutoConfig.from_pretrained(base_path)
        save_dtype = getattr(base_config, "dtype", None) or getattr(base_config, "torch_dtype", None)
        base = load_token_model(base_path, "float32", new_head=True, num_labels=len(labels),
                                id2label=dict(enumerate(labels)), label2id={lab: i for i, lab in enumerate(labels)})
        merged = PeftModel.from_pretrained(base, str(adapter.path)).merge_and_unload()
        merged.config.is_causal = False
        if isinstance(save_dtype, str):
            save_dtype = getattr(torch, save_dtype, None)
        if isinstance(save_dtype, torch.dtype):
            merged = merged.to(save_dtype)
        merged.save_pretrained(str(work), safe_serialization=True)
        tok_src = adapter.path if (adapter.path / "tokenizer_config.json").is_file() else Path(base_path)
        AutoTokenizer.from_pretrained(str(tok_src)).save_pretrained(str(work))

    return build_once(target, f"merging token adapter {adapter.name} into {base_path}", build)
