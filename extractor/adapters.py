"""LoRA adapters: ``NAME=PATH`` specs, compatibility checks, stable LoRARequest ids, routing."""

from __future__ import annotations

import fnmatch
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .models import ResolvedModel

VLLM_LORA_RANKS = (1, 8, 16, 32, 64, 128, 256, 320, 512)
METADATA_FILE = "extract_entities.json"
"""Written by the trainer next to ``adapter_config.json``: base model, schema, prompt format."""
BASE = "base"
"""Route target meaning "no adapter"."""


@dataclass(frozen=True)
class Adapter:
    """A peft LoRA folder the engine serves, with the id vLLM knows it by."""

    name: str
    path: Path
    rank: int
    base_model: str | None
    metadata: dict[str, Any]

    @property
    def int_id(self) -> int:
        """Stable id derived from the name, so the same adapter keeps its id across runs."""
        return int.from_bytes(hashlib.sha256(self.name.encode()).digest()[:4], "big") % (2**31 - 1) + 1


def parse_pairs(values: tuple[str, ...] | list[str], what: str) -> list[tuple[str, str]]:
    """Split ``A=B`` options; a clear error for anything else."""
    pairs = []
    for value in values:
        left, sep, right = value.partition("=")
        if not sep or not left or not right:
            raise ConfigError(f"{what} must look like NAME=VALUE, got {value!r}")
        pairs.append((left.strip(), right.strip()))
    return pairs


def load_adapter(name: str, path: str | Path) -> Adapter:
    """Read a peft adapter folder; raises :class:`ConfigError` when it is not one."""
    folder = Path(path).expanduser()
    cfg_file = folder / "adapter_config.json"
    if not cfg_file.is_file():
        raise ConfigError(f"adapter {name}: {folder} is not a peft adapter folder (no adapter_config.json)")
    try:
        cfg = json.loads(cfg_file.read_text())
    except json.JSONDecodeError as exc:
        raise ConfigError(f"adapter {name}: {cfg_file} is not valid JSON ({exc})") from exc
    if cfg.get("peft_type", "LORA") != "LORA":
        raise ConfigError(f"adapter {name}: only LoRA adapters can be served, this one is {cfg.get('peft_type')}")
    rank = int(cfg.get("r", 8))
    if rank not in VLLM_LORA_RANKS:
        raise ConfigError(f"adapter {name}: rank {rank} is not one vLLM serves ({', '.join(map(str, VLLM_LORA_RANKS))})")
    meta_file = folder / METADATA_FILE
    meta = json.loads(meta_file.read_text()) if meta_file.is_file() else {}
    return Adapter(name, folder.resolve(), rank, cfg.get("base_model_name_or_path"), meta)


def _base_names(model: ResolvedModel) -> set[str]:
    names = {model.name, model.path, Path(model.path).name}
    if model.spec is not None:
        names |= {model.spec.alias, model.spec.checkpoint, model.spec.checkpoint.split("/")[-1]}
    return {n for n in names if n}


def check_compatible(adapter: Adapter, model: ResolvedModel, schema_fingerprint: str | None = None) -> None:
    """Refuse an adapter trained for another base model or another schema."""
    names = _base_names(model)
    # Our own metadata is authoritative; adapter_config's base path is machine-specific.
    declared = [adapter.metadata.get("base_model"), adapter.metadata.get("base_checkpoint")]
    declared = [d for d in declared if d] or [d for d in (adapter.base_model,) if d]
    if declared and not any(d in names or Path(str(d)).name in names for d in declared):
        raise ConfigError(
            f"adapter {adapter.name} was trained for base model {declared[0]}, not {model.name}: "
            f"pass --model {declared[0]} or use an adapter trained for {model.name}"
        )
    trained_fp = adapter.metadata.get("schema_fingerprint")
    if schema_fingerprint and trained_fp and trained_fp != schema_fingerprint:
        raise ConfigError(
            f"adapter {adapter.name} was trained for schema {adapter.metadata.get('schema')} "
            f"(fingerprint {trained_fp}), not the one requested: pass --schema {adapter.metadata.get('schema')}"
        )


@dataclass(frozen=True)
class Router:
    """Picks the adapter for each message from ``--route PATTERN=NAME`` rules (first match wins).

    A pattern is a shell glob matched against the message's folder, its source path and the
    source's file name. Unmatched messages go to the first adapter, or the base model if none.
    """

    rules: tuple[tuple[str, str], ...]
    default: str | None

    @classmethod
    def build(cls, routes: list[tuple[str, str]], adapters: Mapping[str, Adapter | None]) -> Router:
        for pattern, name in routes:
            if name != BASE and name not in adapters:
                raise ConfigError(
                    f"route {pattern}={name}: no adapter named {name} (known: {', '.join(adapters) or 'none'}; "
                    f"'{BASE}' means no adapter)"
                )
        default = next(iter(adapters), None)
        return cls(tuple(routes), default)

    def pick(self, source: str, folder: str | None) -> str | None:
        """Adapter name for a message, or ``None`` for the base model."""
        candidates = [c for c in (folder, source, Path(source).name) if c]
        for pattern, name in self.rules:
            if any(fnmatch.fnmatchcase(c, pattern) for c in candidates):
                return None if name == BASE else name
        return self.default
