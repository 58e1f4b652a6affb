"""The model registry (data, not code branches) and the one resolver from ``--model`` to weights."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import default_model
from .errors import ModelNotFoundError
from .settings import Settings

_DENSE = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
_ATTENTION = ("q_proj", "k_proj", "v_proj", "o_proj")


@dataclass(frozen=True)
class ModelSpec:
    """One registry entry.

    Attributes:
        alias: the short name users type.
        checkpoint: hub id of the checkpoint (what users download).
        prompt_format: ``chat`` (tokenizer's chat template) or ``alpaca`` (base models).
        lora_targets: modules LoRA adapts; Mixtral: attention only (vLLM cannot serve expert LoRA).
        context_length: tokens the model was trained for.
        notes: one line shown by ``extract-entities models``.
    """

    alias: str
    checkpoint: str
    prompt_format: str
    lora_targets: tuple[str, ...]
    context_length: int
    notes: str = ""


REGISTRY: dict[str, ModelSpec] = {
    spec.alias: spec
    for spec in (
        ModelSpec("default", default_model.UPSTREAM, "chat", _DENSE, 32768,
                  "embedded: Qwen2.5-Coder-0.5B-Instruct from registry wheels, runs on a laptop CPU"),
        ModelSpec("llama2-7b", "meta-llama/Llama-2-7b-chat-hf", "chat", _DENSE, 4096, "Llama-2 7B chat"),
        ModelSpec("llama3-8b", "meta-llama/Meta-Llama-3-8B-Instruct", "chat", _DENSE, 8192, "Llama-3 8B instruct"),
        ModelSpec("phi-1.5", "microsoft/phi-1_5", "alpaca", ("q_proj", "k_proj", "v_proj", "dense", "fc1", "fc2"), 2048,
                  "Phi-1.5 base (no chat template: alpaca-style prompt)"),
        ModelSpec("mistral-7b", "mistralai/Mistral-7B-Instruct-v0.2", "chat", _DENSE, 32768, "Mistral 7B instruct v0.2"),
        ModelSpec("mixtral", "mistralai/Mixtral-8x7B-Instruct-v0.1", "chat", _ATTENTION, 32768,
                  "Mixtral 8x7B instruct; LoRA on attention only"),
        ModelSpec("gemma-7b", "google/gemma-7b-it", "chat", _DENSE, 8192, "Gemma 7B instruct"),
        ModelSpec("llama3.2-1b", "meta-llama/Llama-3.2-1B-Instruct", "chat", _DENSE, 131072, "Llama-3.2 1B instruct"),
    )
}


@dataclass(frozen=True)
class ResolvedModel:
    """What ``--model`` resolved to: a local folder or a hub id, plus its registry entry."""

    name: str
    path: str
    spec: ModelSpec | None
    local: bool

    @property
    def prompt_format(self) -> str:
        return self.spec.prompt_format if self.spec else "chat"

    @property
    def lora_targets(self) -> tuple[str, ...]:
        return self.spec.lora_targets if self.spec else _DENSE


def local_folder(spec: ModelSpec, settings: Settings) -> Path | None:
    """The folder holding ``spec``'s weights on this machine, if any."""
    if spec.alias == "default":
        return default_model.default_model_dir(settings.models_dir) if default_model.is_ready(settings.models_dir) else None
    for name in (spec.alias, spec.checkpoint.replace("/", "--"), spec.checkpoint.split("/")[-1]):
        folder = settings.models_dir / name
        if (folder / "config.json").is_file():
            return folder
    return None


def find_spec(name: str) -> ModelSpec | None:
    """Registry entry by alias or checkpoint id."""
    if name in REGISTRY:
        return REGISTRY[name]
    return next((s for s in REGISTRY.values() if s.checkpoint == name), None)


def resolve_model(name: str | None, settings: Settings, *, prepare_default: bool = True) -> ResolvedModel:
    """Resolve an alias, checkpoint id or local folder to weights the engine can load.

    The default model is converted on first use. Missing weights with no hub raise
    :class:`ModelNotFoundError` naming the folder to put them in.
    """
    name = name or "default"
    spec = find_spec(name)
    if spec is not None and spec.alias == "default":
        folder = (
            default_model.ensure_default_model(settings.models_dir)
            if prepare_default
            else default_model.default_model_dir(settings.models_dir)
        )
        return ResolvedModel("default", str(folder), spec, True)
    if spec is None:
        path = Path(name).expanduser()
        if path.exists():
            if not (path / "config.json").is_file():
                raise ModelNotFoundError(f"{path} is not a model folder (no config.json)")
            return ResolvedModel(name, str(path.resolve()), _spec_from_folder(path), True)
        if "/" not in name:
            raise ModelNotFoundError(
                f"unknown model {name!r}: use an alias ({', '.join(REGISTRY)}), a hub id like org/name, or a local folder"
            )
        return _hub_or_fail(name, None, settings)
    folder = local_folder(spec, settings)
    if folder is not None:
        return ResolvedModel(spec.alias, str(folder), spec, True)
    return _hub_or_fail(spec.checkpoint, spec, settings)


def _spec_from_folder(path: Path) -> ModelSpec | None:
    """A folder converted by us or named after an alias keeps that alias's recipe."""
    if (path / ".converted").exists():
        return REGISTRY["default"]
    return REGISTRY.get(path.name)


def _hub_or_fail(checkpoint: str, spec: ModelSpec | None, settings: Settings) -> ResolvedModel:
    where = settings.models_dir / (spec.alias if spec else checkpoint.replace("/", "--"))
    hint = f"download {checkpoint} into {where} (or pass --model /path/to/folder)"
    if settings.offline:
        raise ModelNotFoundError(f"weights for {spec.alias if spec else checkpoint} are not on this machine and the hub is off: {hint}")
    try:
        from huggingface_hub import hf_hub_download

        hf_hub_download(checkpoint, "config.json")
    except Exception as exc:  # no network, gated repo, unknown id: all end the same way
        raise ModelNotFoundError(
            f"weights for {spec.alias if spec else checkpoint} are not on this machine and the hub cannot be reached "
            f"({type(exc).__name__}): {hint}"
        ) from exc
    return ResolvedModel(spec.alias if spec else checkpoint, checkpoint, spec, False)
