"""Environment variables, read in exactly one place."""

from __future__ import annotations

import getpass
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    """Process-wide settings taken from the environment.

    Attributes:
        cache_dir: where converted models, merged adapters and state live
            (``EXTRACT_ENTITIES_CACHE``, else ``$XDG_CACHE_HOME/extract-entities``).
        models_dir: where local checkpoints for registry aliases are looked up
            (``EXTRACT_ENTITIES_MODELS``, else ``<cache_dir>/models``).
        offline: never try a model hub (``HF_HUB_OFFLINE=1`` or ``EXTRACT_ENTITIES_OFFLINE=1``).
        kv_cache_bytes: KV-cache size handed to vLLM (``EXTRACT_ENTITIES_KV_CACHE_BYTES``).
        vllm_cache_dir: where vLLM keeps its compiled models (``VLLM_CACHE_ROOT``, else
            ``$XDG_CACHE_HOME/vllm``); read to tell a first, compiling start from a later one.
        inductor_cache_dir: where torch Inductor keeps compiled kernels (``TORCHINDUCTOR_CACHE_DIR``,
            else ``<tmp>/torchinductor_<user>``), which vLLM's CPU backend reuses on later starts.
        api_key: bearer token for a ``--server`` (``EXTRACT_ENTITIES_API_KEY``); never printed.
    """

    cache_dir: Path
    models_dir: Path
    offline: bool
    kv_cache_bytes: int | None
    vllm_cache_dir: Path
    inductor_cache_dir: Path
    api_key: str | None = field(default=None, repr=False)


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Build :class:`Settings` from ``environ`` (default: ``os.environ``)."""
    env = os.environ if environ is None else environ
    base = Path(env.get("XDG_CACHE_HOME") or Path.home() / ".cache").expanduser()
    if env.get("EXTRACT_ENTITIES_CACHE"):
        cache = Path(env["EXTRACT_ENTITIES_CACHE"]).expanduser()
    else:
        cache = base / "extract-entities"
    models = Path(env["EXTRACT_ENTITIES_MODELS"]).expanduser() if env.get("EXTRACT_ENTITIES_MODELS") else cache / "models"
    kv = env.get("EXTRACT_ENTITIES_KV_CACHE_BYTES")
    return Settings(
        cache_dir=cache,
        models_dir=models,
        offline=_truthy(env.get("HF_HUB_OFFLINE")) or _truthy(env.get("EXTRACT_ENTITIES_OFFLINE")),
        kv_cache_bytes=int(kv) if kv else None,
        vllm_cache_dir=Path(env["VLLM_CACHE_ROOT"]).expanduser() if env.get("VLLM_CACHE_ROOT") else base / "vllm",
        inductor_cache_dir=(Path(env["TORCHINDUCTOR_CACHE_DIR"]).expanduser() if env.get("TORCHINDUCTOR_CACHE_DIR")
                            else Path(tempfile.gettempdir()) / f"torchinductor_{getpass.getuser()}"),
        api_key=env.get("EXTRACT_ENTITIES_API_KEY") or None,
    )
