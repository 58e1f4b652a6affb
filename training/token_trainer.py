"""LoRA fine-tuning of a bidirectional token classifier (the ``tokens`` method): one config in, one adapter out.

The base decoder is loaded as ``AutoModelForTokenClassification`` with ``config.is_causal = False``
(transformers builds a bidirectional mask from that flag), LoRA goes on the registry's target
modules and the classification head is trained in full (peft ``modules_to_save``, kept in float32).
Examples come from the usual loaders; labels are BIO over the schema's labels on the first subword
of each word (:mod:`extractor.tokens.spans`), the other subwords -100. Batches are padded and grouped
by length: the bidirectional mask ignores ``position_ids``, so packed examples would see each other.

Output layout::

    out/adapter_config.json, out/adapter_model.safetensors   # LoRA + head (modules_to_save)
    out/extract_entities.json                                # metadata: method "tokens", labels, scores
    out/checkpoints/checkpoint-N/                            # while training; removed on success
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from extractor.adapters import METADATA_FILE
from extractor.errors import ConfigError
from extractor.settings import Settings, load_settings
from extractor.tokens.classifier import TokenClassifier
from extractor.tokens.merge import METHOD
from training.adapter_start import load_start, start_adapter, started_from
from training.config import default_eval, default_schema
from training.examples import Example
from training.head_training import float32_head, make_trainer_class
from training.runs import (
    ADAPTER_FILES,
    CHECKPOINTS,
    Echo,
    fast_bf16,
    licence_note,
    load_examples,
    resume_point,
    specs,
    stderr_echo,
    step_of,
    target_modules,
    training_inputs,
    versions,
)
from training.token_rows import build_rows, score_dev_sets, score_examples

SELECTIONS = ("mean", "pooled")
"""How several dev sets score a checkpoint (see :class:`TokenTrainConfig`)."""


@dataclass(frozen=True)
class TokenTrainConfig:
    """One token-classification fine-tuning run.

    Attributes:
        data: training spec(s), comma-separated (``kind:WN_train,kind:FIC_train``, an export ``.jsonl``).
        model: registry alias, hub id or local folder of the base decoder.
        eval: dev spec(s); default the dev split of each named train split; ``none`` turns it off.
        test: test spec(s) scored once at the end (optional).
        schema: schema whose labels are tagged; default ``kind`` for KIND data, else ``italian_email``.
        out: adapter folder; default ``adapters/<model>-<data>-tokens``.
        epochs, max_steps: training length; ``max_steps`` (when set) wins.
        lr, batch_size, grad_accum: optimiser; effective batch = ``batch_size * grad_accum`` windows.
        lora_rank, lora_alpha, lora_dropout, target_modules: LoRA (targets default to the registry's).
        max_seq_len, overlap: window length in tokens (special tokens included) and overlap of long texts.
        eval_steps: dev loss + strict micro-F1 every N optimiser steps; save_steps (default eval_steps):
            checkpoint every N steps.
        eval_limit, limit: first N examples of each dev / training spec.
        early_stopping_patience: stop after N evaluations without F1 improvement (0: off).
        select: the dev score that picks the best checkpoint when ``eval`` names several sets: ``mean``,
            the mean of each set's strict micro-F1 (each domain counts the same), or ``pooled``, the
            micro-F1 over all their examples together.
        init_adapter: a token adapter of this base and these labels to start from (its LoRA and head),
            e.g. for a second epoch at a new learning rate; without it LoRA and head start fresh.
        resume: continue from the last checkpoint in ``out/checkpoints``; keep_checkpoints: keep them.
        data_root: folder with ``kind/`` and ``wikineural_it/`` (see :func:`training.data.load_dataset`).
        logging_steps: log loss, steps/s and examples/s every N steps; progress: show the progress bar.
        extra: further ``TrainingArguments`` (warmup_ratio, weight_decay, ...).
    """

    data: str
    model: str = "default"
    eval: str | None = None
    test: str | None = None
    schema: str | None = None
    out: Path | None = None
    epochs: float = 1.0
    max_steps: int | None = None
    lr: float = 2e-4
    batch_size: int = 16
    grad_accum: int = 1
    lora_rank: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    target_modules: tuple[str, ...] | None = None
    max_seq_len: int = 256
    overlap: int = 32
    eval_steps: int = 100
    save_steps: int | None = None
    eval_limit: int | None = 512
    limit: int | None = None
    early_stopping_patience: int = 3
    select: str = "mean"
    init_adapter: Path | None = None
    seed: int = 42
    resume: bool = True
    keep_checkpoints: bool = False
    data_root: Path | None = None
    logging_steps: int = 10
    progress: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        def set_(name: str, value: Any) -> None:
            object.__setattr__(self, name, value)

        if not specs(self.data):
            raise ValueError("data is required: a dataset spec such as kind:WN_train or an export .jsonl")
        first = specs(self.data)[0]
        if self.schema is None:
            set_("schema", default_schema(first))
        if self.eval is None:
            set_("eval", ",".join(d for d in (default_eval(s) for s in specs(self.data)) if d))
        elif str(self.eval).strip().lower() in ("", "none", "no", "false"):
            set_("eval", "")
        if self.out is None:
            slug = "".join(c if c.isalnum() or c in "-_." else "-" for c in f"{Path(self.model).name}-{self.data}")
            set_("out", Path("adapters") / f"{slug.strip('-.')}-tokens")
        set_("out", Path(self.out).expanduser())
        if self.data_root is not None:
            set_("data_root", Path(self.data_root).expanduser())
        if self.init_adapter is not None:
            set_("init_adapter", Path(self.init_adapter).expanduser())
        if self.select not in SELECTIONS:
            raise ValueError(f"select must be one of {', '.join(SELECTIONS)}, not {self.select!r}")
        if self.save_steps is None:
            set_("save_steps", self.eval_steps)
        if self.target_modules is not None:
            mods = (self.target_modules,) if isinstance(self.target_modules, str) else self.target_modules
            set_("target_modules", tuple(str(m) for m in mods))
        for name in ("batch_size", "grad_accum", "lora_rank", "lora_alpha", "eval_steps", "save_steps", "logging_steps"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1")
        if self.max_seq_len < 8 or not 0 <= self.overlap < self.max_seq_len // 2:
            raise ValueError("max_seq_len must be >= 8 and overlap in [0, max_seq_len / 2)")
        if self.max_steps is not None and self.max_steps < 1:
            raise ValueError("max_steps must be >= 1 (leave it unset to train for `epochs`)")
        if self.max_steps is None and self.epochs <= 0:
            raise ValueError("epochs must be > 0")
        if self.lr <= 0 or not 0 <= self.lora_dropout < 1:
            raise ValueError("lr must be > 0 and lora_dropout in [0, 1)")
        for name in ("limit", "eval_limit"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1 (leave it unset for all examples)")
        if self.eval and self.save_steps % self.eval_steps:
            raise ValueError("save_steps must be a multiple of eval_steps (the best checkpoint is kept)")

    def replace(self, **changes: Any) -> TokenTrainConfig:
        return dataclasses.replace(self, **changes)


def train_tokens(config: TokenTrainConfig, settings: Settings | None = None, echo: Echo = stderr_echo) -> Path:
    """Fine-tune a token-classification adapter as ``config`` says and return its folder (``config.out``).

    Raises :class:`~extractor.errors.ExtractError` subclasses for bad models/schemas,
    ``FileNotFoundError`` for missing data and ``ValueError`` for malformed data.
    """
    settings = settings or load_settings()
    import torch
    from datasets import Dataset
    from datasets.utils.tqdm import are_progress_bars_disabled, disable_progress_bars, enable_progress_bars
    from peft import LoraConfig, get_peft_model
    from transformers import AutoTokenizer, DataCollatorForTokenClassification, EarlyStoppingCallback, TrainingArguments

    from extractor.tokens.backends import load_token_model
    from extractor.tokens.spans import bio_labels

    assert config.out is not None and config.schema is not None
    out = config.out
    inputs = training_inputs(config, settings)
    schema, resolved, train_examples, eval_examples = inputs.schema, inputs.model, inputs.train, inputs.eval
    labels, unknown = inputs.labels, inputs.unknown
    if unknown:
        echo(f"labels not in schema {config.schema}, tagged O: {', '.join(unknown)}")
    bio = bio_labels(labels)

    start = start_adapter(config.init_adapter, resolved, METHOD, bio)  # refused before any rows or weights load
    tokenizer = AutoTokenizer.from_pretrained(resolved.path)
    if not tokenizer.is_fast:
        raise ConfigError(f"{resolved.name}: the token method needs a fast tokenizer (offset mappings)")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    tokenizer.padding_side = "right"  # positions 0.. on real tokens, as the serving backends give them
    train_rows = build_rows(train_examples, tokenizer, bio, labels, config.max_seq_len, config.overlap)
    eval_rows = build_rows(eval_examples, tokenizer, bio, labels, config.max_seq_len, config.overlap)
    for name, rows in (("training", train_rows), ("dev", eval_rows)):
        if rows.skipped:
            echo(f"skipped {rows.skipped} {name} examples whose spans do not fall on word boundaries or overlap")
    if not len(train_rows):
        raise ValueError("no training example left after tokenisation")
    has_eval = len(eval_rows) > 0

    bf16 = fast_bf16()
    try:
        model = load_token_model(resolved.path, "bfloat16" if bf16 else "float32", new_head=True, num_labels=len(bio),
                                 id2label=dict(enumerate(bio)), label2id={b: i for i, b in enumerate(bio)})
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot load model {resolved.name} from {resolved.path} for token classification: "
                          f"{exc}") from exc
    if start is None:
        targets = target_modules(model, config.target_modules or resolved.lora_targets)
        lora = LoraConfig(task_type="TOKEN_CLS", r=config.lora_rank, lora_alpha=config.lora_alpha,
                          lora_dropout=config.lora_dropout, target_modules=targets, bias="none")
        model = get_peft_model(model, lora)
    else:
        model = load_start(model, start, echo)
    lora_used = model.peft_config["default"]
    targets = sorted(lora_used.target_modules)
    float32_head(model)

    dev_sets = inputs.dev_sets
    selected = "eval_f1_mean" if config.select == "mean" and len(dev_sets) > 1 else "eval_f1"

    def dev_scores(live_model: Any, examples: Sequence[Example] | None = None) -> dict[str, float]:
        """Through the transformers backend on the live (peft) model, windows as in training; without
        ``examples``, the dev sets (pooled, each, and their mean)."""
        classifier = TokenClassifier.from_model(live_model, tokenizer, max_len=config.max_seq_len,
                                                overlap=config.overlap, batch_tokens=4096)
        if examples is None:
            return score_dev_sets(classifier, dev_sets, labels)
        return score_examples(classifier, examples, labels)

    ckpt_dir = out / CHECKPOINTS
    resume_from = resume_point(ckpt_dir, config.resume, echo)
    args: dict[str, Any] = {
        "output_dir": str(ckpt_dir), "per_device_train_batch_size": config.batch_size,
        "per_device_eval_batch_size": config.batch_size, "gradient_accumulation_steps": config.grad_accum,
        "learning_rate": config.lr, "num_train_epochs": config.epochs, "max_steps": config.max_steps or -1,
        "logging_steps": config.logging_steps, "eval_strategy": "steps" if has_eval else "no",
        "eval_steps": config.eval_steps, "save_strategy": "steps", "save_steps": config.save_steps,
        "save_total_limit": 2, "load_best_model_at_end": has_eval,
        "metric_for_best_model": selected if has_eval else None, "greater_is_better": True if has_eval else None,
        "seed": config.seed, "use_cpu": not torch.cuda.is_available(), "report_to": "none",
        "disable_tqdm": not config.progress, "dataloader_num_workers": 0, "label_names": ["labels"],
        "train_sampling_strategy": "group_by_length", "length_column_name": "length",
    }
    unknown_args = sorted(set(config.extra) - {f.name for f in dataclasses.fields(TrainingArguments)})
    if unknown_args:
        raise ConfigError(f"extra: {', '.join(unknown_args)} not a TrainingArguments field")
    args.update(config.extra)
    callbacks = []
    if has_eval and config.early_stopping_patience > 0:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=config.early_stopping_patience))
    bars_were_off = are_progress_bars_disabled()
    if not config.progress:
        disable_progress_bars()
    try:
        trainer = make_trainer_class()(
            model=model, args=TrainingArguments(**args), train_dataset=Dataset.from_dict(train_rows.columns),
            eval_dataset=Dataset.from_dict(eval_rows.columns) if has_eval else None, processing_class=tokenizer,
            data_collator=DataCollatorForTokenClassification(tokenizer), callbacks=callbacks, f1=dev_scores,
        )
        result = trainer.train(resume_from_checkpoint=str(resume_from) if resume_from else None)
    finally:
        if not bars_were_off:
            enable_progress_bars()
    state = trainer.state
    throughput = trainer.meter.total()
    metrics: dict[str, Any] = {"train_loss": result.training_loss}
    if has_eval:
        metrics["best_eval_f1"] = state.best_metric
        metrics["selected_on"] = selected
        metrics.update({f"dev_{k}": v for k, v in dev_scores(trainer.model).items()})
    test_examples = load_examples(config.test, config.data_root, None)
    if test_examples:
        metrics.update({f"test_{k}": v for k, v in dev_scores(trainer.model, test_examples).items()})

    out.mkdir(parents=True, exist_ok=True)
    for name in (*ADAPTER_FILES, METADATA_FILE, "README.md"):
        (out / name).unlink(missing_ok=True)
    trainer.model.save_pretrained(str(out))
    (out / "README.md").unlink(missing_ok=True)
    if resolved.spec is not None:  # a portable base id instead of this machine's cache path
        cfg_path = out / "adapter_config.json"
        adapter_cfg = json.loads(cfg_path.read_text())
        adapter_cfg["base_model_name_or_path"] = resolved.spec.checkpoint
        cfg_path.write_text(json.dumps(adapter_cfg, indent=2) + "\n")
    metadata: dict[str, Any] = {
        "method": METHOD,
        "labels": bio,
        "entity_labels": labels,
        "base_model": resolved.spec.alias if resolved.spec else resolved.path,
        "base_checkpoint": resolved.spec.checkpoint if resolved.spec else resolved.path,
        "architecture": type(trainer.model.get_base_model()).__name__,
        "schema": config.schema,
        "schema_fingerprint": schema.fingerprint(),
        "data": config.data, "eval_data": config.eval or None, "test_data": config.test or None,
        "limit": config.limit, "n_train": len(train_examples), "n_train_windows": len(train_rows),
        "n_eval": len(eval_examples), "skipped": train_rows.skipped,
        "steps": state.global_step, "best_step": step_of(state.best_model_checkpoint),
        "epochs": round(state.epoch or 0.0, 4), "resumed_from": resume_from.name if resume_from else None,
        **started_from(start, state.epoch or 0.0),
        "lora": {"r": lora_used.r, "alpha": lora_used.lora_alpha, "dropout": lora_used.lora_dropout,
                 "target_modules": targets, "modules_to_save": sorted(trainer.model.modules_to_save or ())},
        "max_seq_len": config.max_seq_len, "overlap": config.overlap, "lr": config.lr,
        "effective_batch_size": config.batch_size * config.grad_accum, "dtype": "bfloat16" if bf16 else "float32",
        "seed": config.seed,
        "metrics": {k: round(v, 6) if isinstance(v, float) else v for k, v in metrics.items()},
        "throughput": throughput,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": versions(),
    }
    note = licence_note(*specs(config.data), *specs(config.eval), *specs(config.test))
    if note:
        metadata["licence"] = note
    (out / METADATA_FILE).write_text(json.dumps(metadata, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if not config.keep_checkpoints and ckpt_dir.exists():
        shutil.rmtree(ckpt_dir)
    echo(f"token adapter written to {out} ({state.global_step} steps, {throughput['steps_per_s']} steps/s, "
         f"{throughput['examples_per_s']} examples/s" +
         (f", dev F1 {metrics['dev_f1']:.4f})" if has_eval else ")"))
    return out
