"""What every training run shares: checkpoints, licence notes, label checks, LoRA targets, metadata.

Used by the generative trainer (:mod:`training.trainer`) and the token-classification trainer
(:mod:`training.token_trainer`).
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from extractor.adapters import METADATA_FILE
from extractor.errors import ConfigError
from extractor.models import ResolvedModel
from extractor.settings import Settings
from schemas import EntitySchema
from training.examples import Example

CHECKPOINTS = "checkpoints"
ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors")
LICENCE_NOTES = {
    "kind": "KIND annotations: CC BY-NC 4.0; adapter for non-commercial use",
    "wikineural": "WikiNEuRal: CC BY-NC-SA 4.0; adapter for non-commercial use",
}

Echo = Callable[[str], None]


def stderr_echo(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def licence_note(*specs: str | None) -> str | None:
    """The licence line for adapters trained on non-commercial data (KIND, WikiNEuRal), else None."""
    notes = []
    for spec in specs:
        name = (spec or "").partition(":")[0]
        if name in LICENCE_NOTES and LICENCE_NOTES[name] not in notes:
            notes.append(LICENCE_NOTES[name])
    return "; ".join(notes) or None


def check_labels(examples: Sequence[Example], schema_labels: Sequence[str], schema_name: str) -> list[str]:
    """Data labels the schema does not know (they are left out of the targets); error when none is known."""
    data_labels = sorted({s.label for ex in examples for s in ex.spans})
    unknown = [lab for lab in data_labels if lab not in schema_labels]
    if data_labels and len(unknown) == len(data_labels):
        raise ConfigError(f"none of the data's labels ({', '.join(data_labels)}) is in schema {schema_name} "
                          f"({', '.join(schema_labels)}): pass --schema with a matching schema")
    return unknown


def last_checkpoint(folder: Path) -> Path | None:
    """The newest ``checkpoint-N`` folder under ``folder`` that holds a trainer state, if any."""
    if not folder.is_dir():
        return None
    found = []
    for child in folder.iterdir():
        name, _, step = child.name.partition("-")
        if name == "checkpoint" and step.isdigit() and (child / "trainer_state.json").is_file():
            found.append((int(step), child))
    return max(found)[1] if found else None


def target_modules(model: Any, wanted: Sequence[str]) -> list[str]:
    """``wanted`` if every name matches a linear layer of ``model``; a clear error otherwise."""
    import torch

    linear = {name.rsplit(".", 1)[-1] for name, mod in model.named_modules() if isinstance(mod, torch.nn.Linear)}
    linear |= {name.rsplit(".", 1)[-1] for name, mod in model.named_modules()
               if type(mod).__name__ in ("Linear4bit", "Linear8bitLt")}
    missing = [m for m in wanted if m not in linear]
    if missing:
        raise ConfigError(f"LoRA target module(s) {', '.join(missing)} not in this model; its linear layers are "
                          f"{', '.join(sorted(linear))}")
    return list(wanted)


def cpu_has_fast_bf16() -> bool:
    """True on CPUs that run bf16 fast (AVX-512 or AMX)."""
    import torch

    return torch.backends.cpu.get_cpu_capability().startswith(("AVX512", "AMX"))


def fast_bf16() -> bool:
    """bf16 weights where the hardware runs them fast: CUDA with bf16, CPUs with AVX-512 or AMX."""
    import torch

    if torch.cuda.is_available():
        return torch.cuda.is_bf16_supported()
    return cpu_has_fast_bf16()


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("torch", "transformers", "peft", "trl"):  # those installed are listed
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    return out


def resume_point(ckpt_dir: Path, resume: bool, echo: Echo) -> Path | None:
    """The checkpoint to resume from (``resume``), or none after clearing old ones (``--restart``)."""
    found = last_checkpoint(ckpt_dir) if resume else None
    if not resume and ckpt_dir.exists():
        shutil.rmtree(ckpt_dir)
    if found is not None:
        echo(f"resuming from {found}")
    return found


def step_of(checkpoint: str | None) -> int | None:
    """``.../checkpoint-40`` -> 40 (the checkpoint whose weights were kept, with early stopping)."""
    step = Path(checkpoint).name.rpartition("-")[2] if checkpoint else ""
    return int(step) if step.isdigit() else None


def write_metadata(out: Path, metadata: dict[str, Any]) -> None:
    (out / METADATA_FILE).write_text(json.dumps(metadata, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def specs(value: str | None) -> list[str]:
    """The data set specs of a comma-separated option (``kind:WN_train,kind:FIC_train``)."""
    return [s.strip() for s in (value or "").split(",") if s.strip()]


def load_examples(value: str | None, root: Path | None, limit: int | None) -> list[Example]:
    """The examples of every spec in ``value`` (the first ``limit`` of each); none for ``None``."""
    from training.data import load_dataset

    return [ex for spec in specs(value) for ex in load_dataset(spec, root, limit)]


@dataclass(frozen=True)
class TrainingInputs:
    """What a training run reads before it builds a model: schema, base model, examples, labels.

    ``dev_sets`` holds each dev spec's examples under its spec, in the order ``eval`` names them.
    """

    schema: EntitySchema
    model: ResolvedModel
    train: list[Example]
    dev_sets: dict[str, list[Example]]
    labels: list[str]
    unknown: list[str]

    @property
    def eval(self) -> list[Example]:
        """Every dev example, the sets one after another."""
        return [ex for exs in self.dev_sets.values() for ex in exs]


def training_inputs(config: Any, settings: Settings) -> TrainingInputs:
    """Schema, base model and examples of a trainer config (``data``, ``eval``, ``schema``, ``model``...).

    Raises :class:`ConfigError` for an unknown schema or model and ``ValueError`` for empty data.
    """
    from extractor.models import resolve_model
    from schemas import load_schema

    schema = load_schema(config.schema)
    resolved = resolve_model(config.model, settings)
    train = load_examples(config.data, config.data_root, config.limit)
    if not train:
        raise ValueError(f"dataset {config.data} has no examples")
    dev_sets = {spec: load_examples(spec, config.data_root, config.eval_limit) for spec in specs(config.eval)}
    labels = list(schema.labels)
    return TrainingInputs(schema, resolved, train, dev_sets, labels, check_labels(train, labels, config.schema))
