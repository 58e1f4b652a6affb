"""Weightless sequence-classification adapter folders for the serving checks that fail before any merge."""

from __future__ import annotations

import json
from pathlib import Path


def weightless_adapter(root: Path, metadata: dict) -> tuple[Path, Path]:
    """A base folder (an empty ``config.json``) and an adapter folder naming it, with ``metadata``."""
    base = root / "base"
    base.mkdir()
    (base / "config.json").write_text("{}")
    folder = root / "a"
    folder.mkdir()
    (folder / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA", "r": 8,
                                                            "base_model_name_or_path": str(base)}))
    (folder / "extract_entities.json").write_text(json.dumps(metadata))
    return base, folder
