"""Starting a run from a trained head adapter (``--init-adapter``): the checks, the peft load, the record.

Shared by the token and the sequence trainers: a further epoch (or a run of another length) begins
from the adapter's LoRA and head instead of a fresh LoRA and a new head.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from extractor.adapters import Adapter, check_compatible, load_adapter
from extractor.errors import ConfigError

PROVENANCE_KEYS = ("data", "steps", "epochs", "epochs_total", "lr", "created")
"""Metadata of the starting adapter copied into the new one's ``init_adapter``."""


def start_adapter(path: Path | None, resolved: Any, method: str, labels: Sequence[str],
                  same: dict[str, Any] | None = None, unrecorded: dict[str, Any] | None = None) -> Adapter | None:
    """The adapter ``path`` names, checked before any weights load: its ``method``, its head's ``labels``
    (same names, same order), its base model, and each metadata key of ``same`` (e.g. the pooling), read
    as ``unrecorded`` says where the adapter predates the key."""
    if path is None:
        return None
    adapter = load_adapter("init", path)
    meta = adapter.metadata
    if meta.get("method") != method:
        raise ConfigError(f"init adapter {path} is a {meta.get('method') or 'generative'} adapter, not a {method} "
                          f"one: start from an adapter this trainer wrote")
    trained = [str(label) for label in meta.get("labels") or ()]
    if trained != list(labels):
        raise ConfigError(f"init adapter {path} tags {', '.join(trained)}, not this run's labels {', '.join(labels)}: "
                          "start from an adapter trained for the same schema")
    for key, want in (same or {}).items():
        had = meta.get(key, (unrecorded or {}).get(key))
        if had != want:
            raise ConfigError(f"init adapter {path} was trained with {key} {had!r}, this run asks for "
                              f"{want!r}: pass --{key.replace('_', '-')} {had} or start afresh")
    check_compatible(adapter, resolved)
    return adapter


def load_start(model: Any, adapter: Adapter, echo: Callable[[str], None]) -> Any:
    """``model`` (the base with a new head) wrapped in ``adapter``'s trainable LoRA, its head loaded as saved."""
    import torch
    from peft import PeftModel

    echo(f"starting from adapter {adapter.path} ({adapter.metadata.get('steps')} steps, "
         f"{adapter.metadata.get('epochs')} epochs); its LoRA shape wins over the LoRA options")
    for name in json.loads((adapter.path / "adapter_config.json").read_text()).get("modules_to_save") or ():
        head = getattr(model, name, None)
        if isinstance(head, torch.nn.Module):
            head.float()  # the saved float32 head loads as it was, not rounded to bfloat16
    return PeftModel.from_pretrained(model, str(adapter.path), is_trainable=True)


def started_from(adapter: Adapter | None, epochs: float) -> dict[str, Any]:
    """Metadata of a run that trained ``epochs`` epochs: where it began and the epochs in total."""
    if adapter is None:
        return {"init_adapter": None, "epochs_total": round(epochs, 4)}
    meta = adapter.metadata
    before = float(meta.get("epochs_total") or meta.get("epochs") or 0)
    return {"init_adapter": {"path": str(adapter.path), **{k: meta[k] for k in PROVENANCE_KEYS if k in meta}},
            "epochs_total": round(epochs + before, 4)}
