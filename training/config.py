"""One LoRA fine-tuning run, as a frozen dataclass; loadable from YAML with CLI overrides."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from training.formats import DEFAULT_FORMAT, check_format

LORA_RANKS = (8, 16, 32, 64, 128, 256)
"""Ranks we train: the ones vLLM serves (``extractor.adapters.VLLM_LORA_RANKS``) in the usual range."""
QUANT_MODES = ("4bit", "8bit", "none")
NAMED_DEV_SPLITS = {"kind": ("_train", "_dev")}
_INTS = ("shots", "max_steps", "batch_size", "grad_accum", "lora_rank", "lora_alpha", "max_seq_len", "eval_steps",
         "eval_limit", "early_stopping_patience", "seed", "limit", "logging_steps")
_FLOATS = ("epochs", "lr", "lora_dropout")
_BOOLS = ("eval_f1", "resume", "keep_checkpoints", "gradient_checkpointing", "progress")


def default_schema(data: str) -> str:
    """``kind`` for KIND data (PER/ORG/LOC only), else ``italian_email``."""
    return "kind" if data.startswith("kind:") else "italian_email"


def default_eval(data: str) -> str | None:
    """The dev split that goes with a named train split (``kind:WN_train`` -> ``kind:WN_dev``), else None."""
    name, sep, rest = data.partition(":")
    if sep and name in NAMED_DEV_SPLITS:
        train_suffix, dev_suffix = NAMED_DEV_SPLITS[name]
        if rest.endswith(train_suffix):
            return f"{name}:{rest[: -len(train_suffix)]}{dev_suffix}"
    return None


def _coerce(name: str, value: Any, kind: type) -> Any:
    """YAML reads ``2e-4`` as a string and users write ``"16"``; accept those, refuse the rest clearly."""
    if value is None:
        return None
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "yes", "on", "1", "false", "no", "off", "0"):
            return value.strip().lower() in ("true", "yes", "on", "1")
        raise ValueError(f"{name} must be true or false, got {value!r}")
    try:
        number = None if isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        number = None
    if number is None:
        raise ValueError(f"{name} must be a number, got {value!r}")
    if kind is int:
        if number != int(number):
            raise ValueError(f"{name} must be a whole number, got {value!r}")
        return int(number)
    return number


def _slug(value: str) -> str:
    keep = "".join(c if c.isalnum() or c in "-_." else "-" for c in Path(value).name or value)
    return keep.strip("-.") or "model"


@dataclass(frozen=True)
class TrainConfig:
    """Everything one ``extract-entities train`` run needs.

    Attributes:
        data: training set spec (``kind:WN_train``, an export ``.jsonl``, ...), see
            :func:`training.data.load_dataset`.
        model: registry alias, hub id or local folder (``default``: the embedded model).
        eval: dev set spec for eval loss / early stopping; default: the dev split of a named
            train split (``kind:WN_train`` -> ``kind:WN_dev``), else none; ``none`` turns it off.
        out: adapter folder; default ``adapters/<model>-<data>-<format>``.
        format: ``json`` (what serving uses), ``alpaca`` or ``inst-tags``.
        schema: schema spec; default ``kind`` for KIND data, else ``italian_email``.
        shots: few-shot examples in the json prompt (use what you will serve with).
        epochs, max_steps: training length; ``max_steps`` (when set) wins.
        lr, batch_size, grad_accum: optimiser; effective batch = ``batch_size * grad_accum``.
        lora_rank, lora_alpha, lora_dropout, target_modules: LoRA; rank must be one vLLM serves,
            targets default to the registry's ``lora_targets`` for the model.
        quant: ``4bit`` (QLoRA nf4) / ``8bit`` with bitsandbytes on CUDA; falls back to ``none`` on CPU.
        max_seq_len: training examples whose prompt + completion is longer are skipped (counted).
        eval_steps: evaluate (and checkpoint) every N optimiser steps.
        eval_limit: first N dev examples only (eval loss runs every ``eval_steps``).
        eval_f1: after training, entity P/R/F1 of the adapter on the dev set through the serving
            path (starts a vLLM engine; json format only).
        early_stopping_patience: stop after N evaluations without eval-loss improvement (0: off).
        seed, limit: random seed; first N training examples only.
        resume: continue from the last checkpoint in ``out/checkpoints`` when there is one.
        keep_checkpoints: keep ``out/checkpoints`` after a successful run.
        data_root: folder with ``kind/`` and ``wikineural_it/`` (default ``$EXTRACT_ENTITIES_DATA``
            or ``../shared/data``).
        gradient_checkpointing: default on with CUDA, off on CPU.
        logging_steps: log training loss every N steps.
        progress: show the progress bar and loss logs.
    """

    data: str
    model: str = "default"
    eval: str | None = None
    out: Path | None = None
    format: str = DEFAULT_FORMAT
    schema: str | None = None
    shots: int = 0
    epochs: float = 1.0
    max_steps: int | None = None
    lr: float = 2e-4
    batch_size: int = 4
    grad_accum: int = 4
    lora_rank: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    target_modules: tuple[str, ...] | None = None
    quant: str = "none"
    max_seq_len: int = 2048
    eval_steps: int = 50
    eval_limit: int | None = 256
    eval_f1: bool = False
    early_stopping_patience: int = 3
    seed: int = 42
    limit: int | None = None
    resume: bool = True
    keep_checkpoints: bool = False
    data_root: Path | None = None
    gradient_checkpointing: bool | None = None
    logging_steps: int = 10
    progress: bool = True
    extra: dict[str, Any] = field(default_factory=dict)
    """Further ``SFTConfig`` arguments (warmup_ratio, weight_decay, lr_scheduler_type, ...)."""

    def __post_init__(self) -> None:
        def set_(name: str, value: Any) -> None:
            object.__setattr__(self, name, value)

        for name, kind in [(n, int) for n in _INTS] + [(n, float) for n in _FLOATS] + [(n, bool) for n in _BOOLS]:
            set_(name, _coerce(name, getattr(self, name), kind))
        if not self.data:
            raise ValueError("data is required: a dataset spec such as kind:WN_train or an export .jsonl")
        check_format(self.format)
        if self.schema is None:
            set_("schema", default_schema(self.data))
        if self.eval is None:
            set_("eval", default_eval(self.data))
        elif str(self.eval).strip().lower() in ("", "none", "no", "false"):
            set_("eval", "")  # explicitly none; "" survives replace(), where None would re-derive the default
        if self.out is None:
            set_("out", Path("adapters") / f"{_slug(self.model)}-{_slug(self.data.replace(':', '-'))}-{self.format}")
        set_("out", Path(self.out).expanduser())
        if self.data_root is not None:
            set_("data_root", Path(self.data_root).expanduser())
        if self.target_modules is not None:
            mods = (self.target_modules,) if isinstance(self.target_modules, str) else self.target_modules
            set_("target_modules", tuple(str(m) for m in mods))
            if not self.target_modules:
                raise ValueError("target_modules must name at least one module (or be left unset)")
        if self.lora_rank not in LORA_RANKS:
            raise ValueError(f"lora_rank {self.lora_rank} is not one vLLM serves: use one of "
                             f"{', '.join(map(str, LORA_RANKS))}")
        if self.quant not in QUANT_MODES:
            raise ValueError(f"quant must be one of {', '.join(QUANT_MODES)}, got {self.quant!r}")
        for name in ("batch_size", "grad_accum", "lora_alpha", "max_seq_len", "eval_steps", "logging_steps"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1")
        for name in ("shots", "early_stopping_patience"):
            if int(getattr(self, name)) < 0:
                raise ValueError(f"{name} must be >= 0")
        if self.max_steps is not None and self.max_steps < 1:
            raise ValueError("max_steps must be >= 1 (leave it unset to train for `epochs`)")
        if self.max_steps is None and self.epochs <= 0:
            raise ValueError("epochs must be > 0")
        if self.lr <= 0:
            raise ValueError("lr must be > 0")
        if not 0 <= self.lora_dropout < 1:
            raise ValueError("lora_dropout must be in [0, 1)")
        for name in ("limit", "eval_limit"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be >= 1 (leave it unset for all examples)")
        if self.eval_f1 and self.format != "json":
            raise ValueError("eval_f1 scores the adapter through the serving path, which prompts in the json "
                             f"format; it cannot score an adapter trained in the {self.format} format")
        if self.eval_f1 and not self.eval:
            raise ValueError("eval_f1 needs a dev set: pass eval")

    @classmethod
    def fields(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def from_yaml(cls, path: str | Path | None, **overrides: Any) -> TrainConfig:
        """Read a YAML mapping of field -> value; ``overrides`` that are not None win.

        Unknown keys are an error (a typo would otherwise be ignored silently).
        """
        values: dict[str, Any] = {}
        if path is not None:
            import yaml

            path = Path(path).expanduser()
            if not path.is_file():
                raise FileNotFoundError(f"config file {path} not found")
            try:
                doc = yaml.safe_load(path.read_text(encoding="utf-8"))
            except yaml.YAMLError as exc:
                raise ValueError(f"{path} is not valid YAML: {exc}") from exc
            if doc is None:
                doc = {}
            if not isinstance(doc, dict):
                raise ValueError(f"{path}: expected a mapping of option: value")
            values.update({str(k).replace("-", "_"): v for k, v in doc.items()})
        values.update({k: v for k, v in overrides.items() if v is not None})
        unknown = sorted(set(values) - set(cls.fields()))
        if unknown:
            raise ValueError(f"unknown training option(s) {', '.join(unknown)}; known: {', '.join(cls.fields())}")
        if "target_modules" in values and isinstance(values["target_modules"], list):
            values["target_modules"] = tuple(values["target_modules"])
        if "data" not in values:
            raise ValueError("data is required: pass --data or set data: in the config file")
        return cls(**values)

    def replace(self, **changes: Any) -> TrainConfig:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly values (paths as strings), for the adapter's metadata."""
        out = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            out[f.name] = str(value) if isinstance(value, Path) else list(value) if isinstance(value, tuple) else value
        return out
