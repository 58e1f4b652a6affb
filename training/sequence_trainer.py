"""LoRA fine-tuning of a bidirectional sequence classifier (the ``sequence`` method): one config in, one adapter out.

The base decoder is loaded as ``AutoModelForSequenceClassification`` with ``config.is_causal =
False``; LoRA goes on the registry's target modules and the class head (``score``, started at zero)
is trained in full (peft ``modules_to_save``, float32). The head reads the text pooled as ``pooling`` says
(default the mean of its per-token logits; :func:`extractor.sequence.classifier.pooled_logits`, the
served code); inputs never hold the pad id and long texts are cut to head + tail
(:func:`extractor.sequence.classifier.encode_for_head`), exactly as served. Examples are the labelled texts of
:mod:`training.classify_data`, a message read as ``reads`` says (:mod:`extractor.message_input`).

Output layout::

    out/adapter_config.json, out/adapter_model.safetensors   # LoRA + head (modules_to_save)
    out/extract_entities.json                                # metadata: method "sequence", class schema, labels
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
from extractor.message_input import READS, SUBJECT_BODY
from extractor.sequence.classifier import POOLINGS, UNRECORDED, SequenceClassifier, pooled_logits
from extractor.sequence.merge import AUTO_CLASS, METHOD
from extractor.settings import Settings, load_settings
from training.adapter_start import load_start, start_adapter, started_from
from training.class_sweep import check_sweep_label
from training.classify_data import LabelledText, class_dataset, split_texts
from training.head_training import float32_head, make_trainer_class
from training.runs import (
    ADAPTER_FILES,
    CHECKPOINTS,
    Echo,
    fast_bf16,
    resume_point,
    specs,
    stderr_echo,
    step_of,
    versions,
)
from training.runs import target_modules as check_targets
from training.sequence_dev import CLASS_WEIGHTINGS, accuracy, class_weights, dev_decision, encode_rows

SELECT_METRICS = ("accuracy", "macro_f1")
"""Dev scores a run can keep its best checkpoint on."""


@dataclass(frozen=True)
class SequenceTrainConfig:
    """One sequence-classification fine-tuning run.

    Attributes:
        data: training split, ``imdb:train``, ``sentipolc:train`` or ``spamassassin:train``.
        classify: class schema (built-in name, ``.json``, ``module:Class``); default the data set's.
        model: registry alias, hub id or local folder of the base decoder.
        eval: dev split (default the data set's ``:dev``; ``none``: off); test: scored once at the end.
        out: adapter folder; default ``adapters/<model>-<data>-sequence``.
        epochs, max_steps: training length; ``max_steps`` (when set) wins.
        lr, batch_size, grad_accum: optimiser; effective batch = ``batch_size * grad_accum`` texts.
        head_lr: learning rate of the class head (default ``lr``).
        pooling: how the head reads a text, ``mean`` (every token's logits averaged) or ``last`` (the
            last real token's); recorded in the metadata, so serving pools the same way.
        reads: what the head reads of a message, ``subject+body`` or ``body``; recorded, served the same.
        lora_rank, lora_alpha, lora_dropout, target_modules: LoRA (targets default to the registry's).
        max_seq_len: tokens per text; longer texts keep head + tail (training cost grows with it).
        eval_steps: dev loss + accuracy every N steps; save_steps (default eval_steps): checkpoint every N.
        eval_limit, limit: a fixed stratified subset of N dev / training texts.
        select: the dev score that picks the kept checkpoint and drives early stopping, ``accuracy`` or
            ``macro_f1`` (the mean of the per-class F1s: a rare class counts as much as a common one).
        class_weights: ``none``, or ``balanced``: each class's cross-entropy weighted by
            ``n / (classes * n_class)`` over the training texts, so rare classes are not drowned out.
        early_stopping_patience: stop after N evaluations without a gain in ``select`` (0: off).
        sweep: a label whose minimum score is picked on the dev split at the end
            (:func:`training.sequence_dev.dev_decision`) and recorded (``min_scores``), so the adapter is
            served with it; ``sweep_cost``: what a dev text of another class given it costs, other errors 1.
        init_adapter: a sequence adapter of this base, labels and pooling to start from (its LoRA and head;
            its LoRA shape wins over the LoRA options): a further pass (a new ``seed``, a new order).
        resume: continue from the last checkpoint in ``out/checkpoints``; keep_checkpoints: keep them.
        data_root: the shared data folder; logging_steps, progress, extra: as for the token trainer.
    """

    data: str
    classify: str | None = None
    model: str = "default"
    eval: str | None = None
    test: str | None = None
    out: Path | None = None
    epochs: float = 1.0
    max_steps: int | None = None
    lr: float = 1e-4
    head_lr: float | None = None
    pooling: str = "mean"
    reads: str = SUBJECT_BODY
    batch_size: int = 8
    grad_accum: int = 2
    lora_rank: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    target_modules: tuple[str, ...] | None = None
    max_seq_len: int = 256
    eval_steps: int = 25
    save_steps: int | None = None
    eval_limit: int | None = 100
    limit: int | None = None
    select: str = "accuracy"
    class_weights: str = "none"
    early_stopping_patience: int = 3
    sweep: str | None = None
    sweep_cost: float = 9.0
    init_adapter: Path | None = None
    seed: int = 42
    resume: bool = True
    keep_checkpoints: bool = False
    data_root: Path | None = None
    logging_steps: int = 5
    progress: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        def set_(name: str, value: Any) -> None:
            object.__setattr__(self, name, value)

        if len(specs(self.data)) != 1:
            raise ValueError("data must name one split: imdb:train, sentipolc:train or spamassassin:train")
        dataset, _ = class_dataset(self.data)
        if self.eval is None:
            set_("eval", f"{dataset.name}:dev")
        elif str(self.eval).strip().lower() in ("", "none", "no", "false"):
            set_("eval", "")
        if self.out is None:
            slug = "".join(c if c.isalnum() or c in "-_." else "-" for c in f"{Path(self.model).name}-{self.data}")
            set_("out", Path("adapters") / f"{slug.strip('-.')}-sequence")
        set_("out", Path(self.out).expanduser())
        for name in ("data_root", "init_adapter"):
            if getattr(self, name) is not None:
                set_(name, Path(getattr(self, name)).expanduser())
        if self.save_steps is None:
            set_("save_steps", self.eval_steps)
        if self.target_modules is not None:
            mods = (self.target_modules,) if isinstance(self.target_modules, str) else self.target_modules
            set_("target_modules", tuple(str(m) for m in mods))
        for name in ("batch_size", "grad_accum", "lora_rank", "lora_alpha", "eval_steps", "save_steps", "logging_steps"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1")
        if self.max_seq_len < 8:
            raise ValueError("max_seq_len must be >= 8")
        if self.max_steps is not None and self.max_steps < 1:
            raise ValueError("max_steps must be >= 1 (leave it unset to train for `epochs`)")
        if self.max_steps is None and self.epochs <= 0:
            raise ValueError("epochs must be > 0")
        if self.head_lr is None:
            set_("head_lr", self.lr)
        if self.pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {', '.join(POOLINGS)}")
        if self.reads not in READS:
            raise ValueError(f"reads must be one of {', '.join(READS)}")
        if self.select not in SELECT_METRICS:
            raise ValueError(f"select must be one of {', '.join(SELECT_METRICS)}")
        if self.class_weights not in CLASS_WEIGHTINGS:
            raise ValueError(f"class_weights must be one of {', '.join(CLASS_WEIGHTINGS)}")
        if self.lr <= 0 or self.head_lr <= 0 or not 0 <= self.lora_dropout < 1:
            raise ValueError("lr and head_lr must be > 0 and lora_dropout in [0, 1)")
        for name in ("limit", "eval_limit"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1 (leave it unset for all examples)")
        if self.sweep is not None and (not self.eval or self.sweep_cost <= 0):
            raise ValueError("sweep needs a dev split (eval) and a sweep_cost > 0")
        if self.eval and self.save_steps % self.eval_steps:
            raise ValueError("save_steps must be a multiple of eval_steps (the best checkpoint is kept)")

    def replace(self, **changes: Any) -> SequenceTrainConfig:
        return dataclasses.replace(self, **changes)


def zero_head(model: Any) -> None:
    """Start the new class head at zero: every class equally likely (loss log(n)). A random head on the
    decoder's large final hidden states starts with logits of several units and a loss far above chance."""
    import torch

    head = getattr(model, "score", None)
    if not isinstance(head, torch.nn.Linear):
        raise ConfigError(f"{type(model).__name__} has no linear 'score' head; the sequence method needs one")
    with torch.no_grad():
        head.weight.zero_()
        if head.bias is not None:
            head.bias.zero_()


def optimizer(model: Any, config: SequenceTrainConfig) -> Any:
    """AdamW with the LoRA weights at ``lr`` and the head (``modules_to_save``) at ``head_lr``."""
    import torch

    trained = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    head = [p for n, p in trained if "modules_to_save" in n]
    if not head:
        raise ConfigError("the class head is not trained (no modules_to_save): peft did not keep it")
    return torch.optim.AdamW([{"params": [p for n, p in trained if "modules_to_save" not in n], "lr": config.lr},
                              {"params": head, "lr": config.head_lr}], weight_decay=0.0)


def train_sequence(config: SequenceTrainConfig, settings: Settings | None = None, echo: Echo = stderr_echo) -> Path:
    """Fine-tune a sequence-classification adapter as ``config`` says and return its folder (``config.out``).

    Raises :class:`~extractor.errors.ExtractError` subclasses for bad models/schemas,
    ``FileNotFoundError`` for missing data and ``ValueError`` for malformed data or labels.
    """
    settings = settings or load_settings()
    import torch
    from datasets import Dataset
    from peft import LoraConfig, get_peft_model
    from transformers import AutoTokenizer, DataCollatorWithPadding, EarlyStoppingCallback, TrainingArguments

    from extractor.models import resolve_model
    from extractor.tokens.backends import load_bidirectional
    from schemas.classes import load_class_schema

    assert config.out is not None
    out = config.out
    dataset, _ = class_dataset(config.data)
    schema = load_class_schema(config.classify) if config.classify else dataset.schema
    check_sweep_label(config.sweep, schema.labels)  # before any data or weights load
    resolved = resolve_model(config.model, settings)
    train_texts = split_texts(config.data, config.data_root, config.limit, config.reads)
    eval_texts = split_texts(config.eval, config.data_root, config.eval_limit, config.reads)
    missing = sorted({ex.label for ex in [*train_texts, *eval_texts]} - set(schema.labels))
    if missing:
        raise ValueError(f"class schema {schema.name} lacks the data's labels {', '.join(missing)}")
    labels = list(schema.labels)
    label_ids = {lab: i for i, lab in enumerate(labels)}
    start = start_adapter(config.init_adapter, resolved, METHOD, labels, {"pooling": config.pooling, "reads": config.reads},
                          UNRECORDED)

    tokenizer = AutoTokenizer.from_pretrained(resolved.path)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    tokenizer.padding_side = "right"
    pad_id = int(tokenizer.pad_token_id)
    train_rows = encode_rows(train_texts, tokenizer, label_ids, config.max_seq_len, pad_id)
    eval_rows = encode_rows(eval_texts, tokenizer, label_ids, config.max_seq_len, pad_id)
    has_eval = bool(eval_texts)

    bf16 = fast_bf16()
    try:
        model = load_bidirectional(resolved.path, AUTO_CLASS, "bfloat16" if bf16 else "float32", new_head=True,
                                   num_labels=len(labels), id2label=dict(enumerate(labels)), label2id=label_ids,
                                   pad_token_id=pad_id)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot load model {resolved.name} from {resolved.path} for sequence classification: "
                          f"{exc}") from exc
    zero_head(model)
    if start is None:
        targets = check_targets(model, config.target_modules or resolved.lora_targets)
        model = get_peft_model(model, LoraConfig(task_type="SEQ_CLS", r=config.lora_rank, lora_alpha=config.lora_alpha,
                                                 lora_dropout=config.lora_dropout, target_modules=targets, bias="none"))
    else:
        model = load_start(model, start, echo)
    lora_used = model.peft_config["default"]
    targets = sorted(lora_used.target_modules)
    float32_head(model)

    def live(model_now: Any) -> SequenceClassifier:
        return SequenceClassifier.from_model(model_now, tokenizer, max_len=config.max_seq_len, batch_tokens=4096,
                                             pooling=config.pooling)

    def dev_scores(live_model: Any, texts: Sequence[LabelledText] = eval_texts) -> dict[str, float]:
        return accuracy(live(live_model), texts)

    ckpt_dir = out / CHECKPOINTS
    resume_from = resume_point(ckpt_dir, config.resume, echo)
    args: dict[str, Any] = {
        "output_dir": str(ckpt_dir), "per_device_train_batch_size": config.batch_size,
        "per_device_eval_batch_size": config.batch_size, "gradient_accumulation_steps": config.grad_accum,
        "learning_rate": config.lr, "num_train_epochs": config.epochs, "max_steps": config.max_steps or -1,
        "logging_steps": config.logging_steps, "eval_strategy": "steps" if has_eval else "no",
        "eval_steps": config.eval_steps, "save_strategy": "steps", "save_steps": config.save_steps,
        "save_total_limit": 2, "load_best_model_at_end": has_eval,
        "metric_for_best_model": f"eval_{config.select}" if has_eval else None, "greater_is_better": True if has_eval else None,
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
    weights = class_weights(train_texts, labels, config.class_weights)
    trainer = _pooled_trainer_class(config.pooling, weights)(
        model=model, args=TrainingArguments(**args), optimizers=(optimizer(model, config), None),
        train_dataset=Dataset.from_dict(train_rows),
        eval_dataset=Dataset.from_dict(eval_rows) if has_eval else None, processing_class=tokenizer,
        data_collator=DataCollatorWithPadding(tokenizer), callbacks=callbacks, f1=dev_scores,
    )
    result = trainer.train(resume_from_checkpoint=str(resume_from) if resume_from else None)
    state = trainer.state
    metrics: dict[str, Any] = {"train_loss": result.training_loss}
    decision: dict[str, Any] = {}  # the minimum score picked on dev, when config.sweep asks
    if has_eval:
        metrics[f"best_eval_{config.select}"] = state.best_metric
        final, decision = dev_decision(live(trainer.model), eval_texts, config.sweep, config.sweep_cost)
        metrics.update({f"dev_{k}": v for k, v in final.items()})
    test_texts = split_texts(config.test, config.data_root, None, config.reads)
    if test_texts:
        metrics.update({f"test_{k}": v for k, v in dev_scores(trainer.model, test_texts).items()})
    _save(trainer, out, resolved)
    metadata: dict[str, Any] = {
        "method": METHOD, "class_schema": schema.name, "labels": labels, "pad_token_id": pad_id,
        "base_model": resolved.spec.alias if resolved.spec else resolved.path,
        "base_checkpoint": resolved.spec.checkpoint if resolved.spec else resolved.path,
        "architecture": type(trainer.model.get_base_model()).__name__,
        "data": config.data, "eval_data": config.eval or None, "test_data": config.test or None,
        "limit": config.limit, "n_train": len(train_texts), "n_eval": len(eval_texts),
        "steps": state.global_step, "best_step": step_of(state.best_model_checkpoint),
        "epochs": round(state.epoch or 0.0, 4), "resumed_from": resume_from.name if resume_from else None,
        **started_from(start, state.epoch or 0.0),
        "lora": {"r": lora_used.r, "alpha": lora_used.lora_alpha, "dropout": lora_used.lora_dropout,
                 "target_modules": targets, "modules_to_save": sorted(trainer.model.modules_to_save or ())},
        "max_seq_len": config.max_seq_len, "pooling": config.pooling, "reads": config.reads, "lr": config.lr,
        "head_lr": config.head_lr,
        "select": config.select, "class_weights": dict(zip(labels, weights, strict=True)) if weights else None,
        "effective_batch_size": config.batch_size * config.grad_accum, "dtype": "bfloat16" if bf16 else "float32",
        "seed": config.seed, "metrics": {k: round(v, 6) if isinstance(v, float) else v for k, v in metrics.items()},
        **decision, "throughput": trainer.meter.total(), "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": versions(), "licence": "research/evaluation data: adapter for research use",
    }
    (out / METADATA_FILE).write_text(json.dumps(metadata, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if not config.keep_checkpoints and ckpt_dir.exists():
        shutil.rmtree(ckpt_dir)
    rates = metadata["throughput"]
    dev = (f", kept step {metadata['best_step']} on dev {config.select}: accuracy {metrics['dev_accuracy']:.4f}, "
           f"macro-F1 {metrics['dev_macro_f1']:.4f}" if has_eval else "")
    if decision:
        dev += f", minimum score recorded: {decision['min_scores'] or 'none (the argmax is best)'}"
    echo(f"sequence adapter written to {out} ({state.global_step} steps, {rates['steps_per_s']} steps/s, "
         f"{rates['examples_per_s']} texts/s{dev})")
    return out


def _pooled_trainer_class(pooling: str, weights: Sequence[float] | None = None) -> type:
    """The token trainer's class (throughput logs, live dev scores) with the loss on the served pooling,
    its cross-entropy weighted per class by ``weights`` (labels order) when given."""
    import torch

    base = make_trainer_class()
    weight = torch.tensor(list(weights), dtype=torch.float32) if weights else None

    class PooledTrainer(base):  # type: ignore[misc, valid-type]
        def compute_loss(self, model: Any, inputs: dict[str, Any], return_outputs: bool = False,
                         num_items_in_batch: Any = None) -> Any:
            from transformers.modeling_outputs import SequenceClassifierOutput

            logits = pooled_logits(model, inputs["input_ids"], inputs["attention_mask"], pooling)
            loss = torch.nn.functional.cross_entropy(
                logits.float(), inputs["labels"], weight=None if weight is None else weight.to(logits.device))
            return (loss, SequenceClassifierOutput(loss=loss, logits=logits)) if return_outputs else loss

    return PooledTrainer


def _save(trainer: Any, out: Path, resolved: Any) -> None:
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
