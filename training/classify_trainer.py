"""Generative LoRA for message classes: the target is the label JSON the constrained decoder produces.

The prompt is the serving prompt: :class:`~extractor.prompts.PromptBuilder` over the ``none``
entity schema with the class schema (and its few-shot examples, drawn from the training split as
the evaluator draws them), tokenised by :func:`training.trainer.tokenize_pair`; the completion is
``{"<class>": "<label>"}`` then EOS, loss on the completion only. The metadata records the probe
prompt (:mod:`extractor.prompt_check`), so serving refuses another one. Texts whose prompt does not
fit ``max_seq_len`` are skipped (serving chunks them; a cut prompt would teach another input).
"""

from __future__ import annotations

import dataclasses
import shutil
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from extractor.classify import class_answer
from extractor.errors import ConfigError
from extractor.prompt_check import METADATA_KEY as PROBE_KEY
from extractor.prompt_check import probe
from extractor.prompts import PromptBuilder, encode_prompt
from extractor.settings import Settings, load_settings
from schemas import NO_ENTITIES
from training.classify_data import split_texts
from training.formats import Pair
from training.runs import (
    CHECKPOINTS,
    Echo,
    resume_point,
    specs,
    stderr_echo,
    step_of,
    target_modules,
    versions,
    write_metadata,
)


@dataclass(frozen=True)
class ClassTrainConfig:
    """One generative classification fine-tuning run (fields as :class:`training.sequence_trainer.SequenceTrainConfig`,
    plus ``shots``: few-shot examples in the prompt, from the training split)."""

    data: str
    classify: str | None = None
    model: str = "default"
    eval: str | None = None
    out: Path | None = None
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
    max_seq_len: int = 640
    eval_steps: int = 25
    eval_limit: int | None = 64
    limit: int | None = None
    early_stopping_patience: int = 3
    seed: int = 42
    resume: bool = True
    keep_checkpoints: bool = False
    data_root: Path | None = None
    logging_steps: int = 5
    progress: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from training.classify_data import class_dataset

        if len(specs(self.data)) != 1:
            raise ValueError("data must name one split: imdb:train, sentipolc:train or spamassassin:train")
        dataset, _ = class_dataset(self.data)
        if self.eval is None:
            object.__setattr__(self, "eval", f"{dataset.name}:dev")
        elif str(self.eval).strip().lower() in ("", "none", "no", "false"):
            object.__setattr__(self, "eval", "")
        if self.out is None:
            slug = "".join(c if c.isalnum() or c in "-_." else "-" for c in f"{Path(self.model).name}-{self.data}")
            object.__setattr__(self, "out", Path("adapters") / f"{slug.strip('-.')}-classes")
        object.__setattr__(self, "out", Path(self.out).expanduser())
        if self.target_modules is not None and isinstance(self.target_modules, str):
            object.__setattr__(self, "target_modules", (self.target_modules,))
        if not 0 <= self.shots <= 8 or self.max_seq_len < 64:
            raise ValueError("shots must be in [0, 8] and max_seq_len >= 64")
        if self.max_steps is not None and self.max_steps < 1:
            raise ValueError("max_steps must be >= 1 (leave it unset to train for `epochs`)")
        if self.max_steps is None and self.epochs <= 0:
            raise ValueError("epochs must be > 0")


def class_pairs(texts: Any, builder: PromptBuilder, name: str) -> list[Pair]:
    """(serving prompt, label JSON) for each labelled text."""
    return [Pair(builder.render(ex.text), class_answer(name, ex.label)) for ex in texts]


def train_generative_classes(config: ClassTrainConfig, settings: Settings | None = None,
                             echo: Echo = stderr_echo) -> Path:
    """Fine-tune a generative class adapter as ``config`` says and return its folder (``config.out``)."""
    settings = settings or load_settings()
    import torch
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import AutoTokenizer, EarlyStoppingCallback
    from trl import SFTConfig, SFTTrainer

    from extractor.models import resolve_model
    from schemas.classes import load_class_schema
    from training.classify_data import class_dataset, load_class_splits
    from training.classify_eval import pick_shots
    from training.trainer import _check_completion_only, _clear_adapter, _load_model, _round, build_rows

    assert config.out is not None
    out = config.out
    dataset, _ = class_dataset(config.data)
    schema = load_class_schema(config.classify) if config.classify else dataset.schema
    resolved = resolve_model(config.model, settings)
    train_texts = split_texts(config.data, config.data_root, config.limit)
    eval_texts = split_texts(config.eval, config.data_root, config.eval_limit)
    missing = sorted({ex.label for ex in [*train_texts, *eval_texts]} - set(schema.labels))
    if missing:
        raise ValueError(f"class schema {schema.name} lacks the data's labels {', '.join(missing)}")
    shots = pick_shots(load_class_splits(dataset.name, config.data_root)["train"], list(schema.labels), config.shots)
    schema = replace(schema, examples=shots)

    cuda = torch.cuda.is_available()
    tokenizer = AutoTokenizer.from_pretrained(resolved.path)
    if tokenizer.eos_token is None:
        raise ConfigError(f"the tokenizer of {resolved.name} has no EOS token; the adapter could not learn to stop")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = _load_model(resolved, "none", cuda, False)
    targets = target_modules(model, config.target_modules or resolved.lora_targets)
    builder = PromptBuilder(NO_ENTITIES, config.shots, resolved.prompt_format, tokenizer, (schema,))
    train_rows = build_rows(class_pairs(train_texts, builder, schema.name), tokenizer, config.max_seq_len)
    eval_rows = build_rows(class_pairs(eval_texts, builder, schema.name), tokenizer, config.max_seq_len)
    for what, rows in (("training", train_rows), ("dev", eval_rows)):
        if rows.skipped_long:
            echo(f"skipped {rows.skipped_long} {what} texts whose prompt exceeds max_seq_len={config.max_seq_len}")
    if not len(train_rows):
        raise ValueError(f"no training text fits in max_seq_len={config.max_seq_len} tokens")
    has_eval = len(eval_rows) > 0
    ckpt_dir = out / CHECKPOINTS
    resume_from = resume_point(ckpt_dir, config.resume, echo)
    args: dict[str, Any] = {
        "output_dir": str(ckpt_dir), "per_device_train_batch_size": config.batch_size,
        "per_device_eval_batch_size": config.batch_size, "gradient_accumulation_steps": config.grad_accum,
        "learning_rate": config.lr, "num_train_epochs": config.epochs, "max_steps": config.max_steps or -1,
        "logging_steps": config.logging_steps, "eval_strategy": "steps" if has_eval else "no",
        "eval_steps": config.eval_steps, "save_strategy": "steps", "save_steps": config.eval_steps,
        "save_total_limit": 2, "load_best_model_at_end": has_eval,
        "metric_for_best_model": "eval_loss" if has_eval else None, "greater_is_better": False if has_eval else None,
        "seed": config.seed, "bf16": cuda and torch.cuda.is_bf16_supported(), "use_cpu": not cuda,
        "optim": "adamw_torch", "completion_only_loss": True, "max_length": config.max_seq_len,
        "report_to": "none", "disable_tqdm": not config.progress, "dataloader_num_workers": 0,
    }
    unknown_args = sorted(set(config.extra) - {f.name for f in dataclasses.fields(SFTConfig)})
    if unknown_args:
        raise ConfigError(f"extra: {', '.join(unknown_args)} not an SFTConfig/TrainingArguments field")
    args.update(config.extra)
    callbacks = [EarlyStoppingCallback(early_stopping_patience=config.early_stopping_patience)] \
        if has_eval and config.early_stopping_patience > 0 else []
    lora = LoraConfig(r=config.lora_rank, lora_alpha=config.lora_alpha, lora_dropout=config.lora_dropout,
                      target_modules=targets, bias="none", task_type="CAUSAL_LM")
    trainer = SFTTrainer(model=model, args=SFTConfig(**args), train_dataset=Dataset.from_dict(train_rows.columns),
                         eval_dataset=Dataset.from_dict(eval_rows.columns) if has_eval else None,
                         processing_class=tokenizer, peft_config=lora, callbacks=callbacks)
    _check_completion_only(trainer.train_dataset, train_rows)
    result = trainer.train(resume_from_checkpoint=str(resume_from) if resume_from else None)
    metrics: dict[str, Any] = {"train_loss": result.training_loss}
    if has_eval:
        metrics["eval_loss"] = trainer.evaluate()["eval_loss"]
    state = trainer.state
    out.mkdir(parents=True, exist_ok=True)
    _clear_adapter(out)
    trainer.model.save_pretrained(str(out), save_embedding_layers=False)
    (out / "README.md").unlink(missing_ok=True)
    metadata: dict[str, Any] = {
        "base_model": resolved.spec.alias if resolved.spec else resolved.path,
        "base_checkpoint": resolved.spec.checkpoint if resolved.spec else resolved.path,
        "schema": NO_ENTITIES.name, "schema_fingerprint": NO_ENTITIES.fingerprint(),
        "prompt_format": builder.prompt_format, "format": "json", "shots": config.shots,
        "class_schema": schema.name, "labels": list(schema.labels), "task": "classify",
        "data": config.data, "eval_data": config.eval or None, "limit": config.limit,
        "n_train": len(train_rows), "n_eval": len(eval_rows), "skipped_long": train_rows.skipped_long,
        "steps": state.global_step, "best_step": step_of(state.best_model_checkpoint),
        "epochs": round(state.epoch or 0.0, 4), "resumed_from": resume_from.name if resume_from else None,
        "lora": {"r": config.lora_rank, "alpha": config.lora_alpha, "dropout": config.lora_dropout,
                 "target_modules": targets},
        "max_seq_len": config.max_seq_len, "lr": config.lr,
        "effective_batch_size": config.batch_size * config.grad_accum, "seed": config.seed,
        "metrics": _round(metrics), "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": versions(), "licence": "research/evaluation data: adapter for research use",
        PROBE_KEY: probe(builder.render, lambda prompt: encode_prompt(tokenizer, prompt)),
    }
    write_metadata(out, metadata)
    if not config.keep_checkpoints and ckpt_dir.exists():
        shutil.rmtree(ckpt_dir)
    echo(f"class adapter written to {out} ({state.global_step} steps, train loss {result.training_loss:.4f})")
    return out
