"""``--merge``: fold one LoRA adapter into the base weights (peft ``merge_and_unload``), cached.

On vLLM's CPU backend LoRA serving costs several times the base model (benchmarks/RESULTS.md); a merged model runs at base speed with the
same outputs. The merged folder is keyed by the base folder and the adapter's weights hash.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from .adapters import Adapter
from .errors import ConfigError

log = logging.getLogger(__name__)


def _weights_hash(adapter: Adapter) -> str:
    digest = hashlib.sha256()
    for name in ("adapter_config.json", "adapter_model.safetensors", "adapter_model.bin"):
        f = adapter.path / name
        if f.is_file():
            digest.update(f.read_bytes())
    return digest.hexdigest()[:16]


def merged_model_dir(base_path: str, adapter: Adapter, cache_dir: Path) -> Path:
    """Where the merge of ``adapter`` into ``base_path`` is cached (may not exist yet)."""
    base_key = hashlib.sha256(str(Path(base_path).resolve()).encode()).hexdigest()[:12]
    return cache_dir / "merged" / f"{adapter.name}-{base_key}-{_weights_hash(adapter)}"


def build_once(target: Path, what: str, build: Callable[[Path], None]) -> Path:
    """``target`` (a model folder), built by ``build(work_dir)`` on first use, atomically and under a lock.

    Concurrent callers wait for the first; a crash mid-build leaves no half-written ``target``.
    """
    if (target / "config.json").is_file():
        return target
    from filelock import FileLock

    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock"):
        if (target / "config.json").is_file():
            return target
        log.warning("%s (once)", what)
        work = Path(tempfile.mkdtemp(prefix=".merge-", dir=target.parent))
        try:
            build(work)
            if target.exists():
                shutil.rmtree(target)
            work.replace(target)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return target


def merge_adapter(base_path: str, adapter: Adapter, cache_dir: Path) -> Path:
    """Return a folder with ``adapter`` merged into ``base_path``; builds it on first use."""
    target = merged_model_dir(base_path, adapter, cache_dir)
    if (target / "config.json").is_file():
        return target
    if not Path(base_path).is_dir():
        raise ConfigError(f"--merge needs local base weights; {base_path} is not a folder")

    def build(work: Path) -> None:
        import torch
        from peft import PeftModel
        from transformers import AutoModelForCausalLM, AutoTokenizer

        base = AutoModelForCausalLM.from_pretrained(base_path, dtype=torch.bfloat16)
        merged = PeftModel.from_pretrained(base, str(adapter.path)).merge_and_unload()
        merged.save_pretrained(str(work), safe_serialization=True)
        AutoTokenizer.from_pretrained(base_path).save_pretrained(str(work))

    return build_once(target, f"merging adapter {adapter.name} into {base_path}", build)
