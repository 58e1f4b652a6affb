"""What to start ``vllm serve`` on for an adapter: its merged folder and the command line.

A generative adapter can be served as a LoRA module of the base (``--enable-lora --lora-modules``)
or merged; a token-classification adapter only merged (vLLM refuses LoRA adapters with head
weights for ``token_classify``), on the pooling runner with the causal mask off.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from pathlib import Path

from ..adapters import check_compatible, load_adapter
from ..models import resolve_model
from ..settings import Settings

DEFAULT_TOKEN_MAX_LEN = 512


@dataclass(frozen=True)
class ServePlan:
    """A merged folder and the arguments of ``vllm serve`` that serve it under the adapter's name."""

    folder: Path
    name: str
    method: str
    args: tuple[str, ...]

    def command(self) -> str:
        return shlex.join(("vllm", "serve", str(self.folder), *self.args))


def serve_args(name: str, method: str, max_model_len: int | None = None) -> tuple[str, ...]:
    """``vllm serve`` options (after the folder) for a merged adapter served as ``name``."""
    args: tuple[str, ...] = ("--served-model-name", name)
    if method == "tokens":
        args += ("--runner", "pooling", "--hf-overrides", json.dumps({"is_causal": False}),
                 "--max-model-len", str(max_model_len or DEFAULT_TOKEN_MAX_LEN))
    elif max_model_len:
        args += ("--max-model-len", str(max_model_len))
    return args


def plan_serving(model_name: str, adapter_spec: str, settings: Settings) -> ServePlan:
    """Merge ``NAME=PATH`` into ``model_name`` (cached, built once) and say how to serve it."""
    from ..merge import merge_adapter
    from ..tokens.merge import is_token_adapter, merge_token_adapter

    name, _, path = adapter_spec.partition("=")
    adapter = load_adapter(name.strip(), path.strip() or name.strip())
    model = resolve_model(model_name, settings)
    check_compatible(adapter, model, None)
    if is_token_adapter(adapter):
        folder = merge_token_adapter(model.path, adapter, settings.cache_dir)
        window = adapter.metadata.get("max_seq_len")
        return ServePlan(folder, adapter.name, "tokens",
                         serve_args(adapter.name, "tokens", window if isinstance(window, int) else None))
    folder = merge_adapter(model.path, adapter, settings.cache_dir)
    return ServePlan(folder, adapter.name, "generative", serve_args(adapter.name, "generative"))
