"""LoRA fine-tuning with trl's ``SFTTrainer``: one :class:`TrainConfig` in, one servable adapter folder out.

The prompt is rendered by the extractor's own :class:`~extractor.prompts.PromptBuilder` with the
model's tokenizer, and tokenised as the engine tokenises it at serving time (the prompt alone,
one BOS: :func:`~extractor.prompts.encode_prompt`); the completion follows, then the tokenizer's EOS id. Loss is on the
completion only. No token is ever added and the vocabulary is never resized, so the adapter is
plain LoRA on linear layers, which vLLM serves with multi-LoRA.

Output layout::

    out/adapter_config.json, out/adapter_model.safetensors   # the adapter, nothing else
    out/extract_entities.json                                # metadata checked when serving
    out/checkpoints/checkpoint-N/                            # while training; removed on success
"""

from __future__ import annotations

import dataclasses
import gc
import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from extractor.adapters import METADATA_FILE
from extractor.errors import ConfigError
from extractor.models import ResolvedModel
from extractor.prompt_check import METADATA_KEY as PROBE_KEY
from extractor.prompt_check import probe
from extractor.prompts import PromptBuilder, encode_prompt, template_adds_bos
from extractor.settings import Settings, load_settings
from training.config import TrainConfig
from training.examples import Example
from training.formats import Pair, to_pair
from training.runs import (
    ADAPTER_FILES,
    CHECKPOINTS,
    Echo,
    cpu_has_fast_bf16,
    licence_note,
    resume_point,
    stderr_echo,
    step_of,
    target_modules,
    training_inputs,
    versions,
    write_metadata,
)


def effective_quant(requested: str, cuda: bool) -> tuple[str, str | None]:
    """The quantisation actually used, and a message when it differs from the one requested."""
    if requested == "none" or cuda:
        return requested, None
    return "none", (
        f"--quant {requested} needs CUDA and bitsandbytes; no CUDA device here, so the base model is loaded "
        "unquantised (fp32 on CPU). The adapter is the same kind either way."
    )


def tokenize_pair(tokenizer: Any, prompt: str, completion: str) -> tuple[list[int], list[int]]:
    """``input_ids`` and ``completion_mask`` (1 on completion tokens and EOS) for one pair.

    The prompt is tokenised alone by :func:`~extractor.prompts.encode_prompt`, as the engine
    tokenises it (one BOS), so the model is trained on exactly the ids it will be served with. The completion takes the ids the
    joint tokenisation gives after the prompt; when a token would straddle the boundary, it is
    tokenised on its own instead. The EOS id ends every completion.
    """
    prompt_ids = encode_prompt(tokenizer, prompt)
    joint = list(tokenizer(prompt + completion, add_special_tokens=not template_adds_bos(tokenizer, prompt))["input_ids"])
    if joint[: len(prompt_ids)] == prompt_ids:
        completion_ids = joint[len(prompt_ids):]
    else:
        completion_ids = list(tokenizer(completion, add_special_tokens=False)["input_ids"])
    eos = tokenizer.eos_token_id
    if eos is None:
        raise ConfigError("the model's tokenizer has no EOS token, so the adapter could not learn to stop")
    if not completion_ids or completion_ids[-1] != eos:
        completion_ids.append(eos)
    return prompt_ids + completion_ids, [0] * len(prompt_ids) + [1] * len(completion_ids)


@dataclass
class Rows:
    """A tokenised split: trl's prompt-completion columns plus our ``input_ids``/``completion_mask``."""

    columns: dict[str, list[Any]]
    skipped_long: int = 0

    def __len__(self) -> int:
        return len(self.columns["input_ids"])


def build_rows(pairs: Sequence[Pair], tokenizer: Any, max_seq_len: int) -> Rows:
    """Tokenise ``pairs``; sequences longer than ``max_seq_len`` are skipped, never cut (a cut answer
    would teach the model to run on without EOS)."""
    cols: dict[str, list[Any]] = {"prompt": [], "completion": [], "input_ids": [], "completion_mask": []}
    skipped = 0
    for pair in pairs:
        ids, mask = tokenize_pair(tokenizer, pair.prompt, pair.completion)
        if len(ids) > max_seq_len:
            skipped += 1
            continue
        cols["prompt"].append(pair.prompt)
        cols["completion"].append(pair.completion)
        cols["input_ids"].append(ids)
        cols["completion_mask"].append(mask)
    return Rows(cols, skipped)


def make_pairs(examples: Sequence[Example], fmt: str, builder: PromptBuilder | None, labels: Sequence[str],
               max_entities: int) -> list[Pair]:
    return [to_pair(fmt, ex, builder, labels, max_entities) for ex in examples]


def _load_model(resolved: ResolvedModel, quant: str, cuda: bool, gradient_checkpointing: bool) -> Any:
    import torch
    from transformers import AutoModelForCausalLM

    kwargs: dict[str, Any] = {}
    if cuda:
        compute = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        kwargs["dtype"] = compute
        kwargs["device_map"] = {"": torch.cuda.current_device()}
        if quant != "none":
            try:
                import bitsandbytes  # noqa: F401
                from transformers import BitsAndBytesConfig
            except ImportError as exc:
                raise ConfigError(f"--quant {quant} needs bitsandbytes: pip install 'extract-entities[cuda-train]' "
                                  f"({exc})") from exc
            if quant == "4bit":
                kwargs["quantization_config"] = BitsAndBytesConfig(
                    load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                    bnb_4bit_compute_dtype=compute,
                )
            else:
                kwargs["quantization_config"] = BitsAndBytesConfig(load_in_8bit=True)
    else:
        # bf16 on CPUs with AVX-512 (about 5x faster per step than fp32 here); LoRA weights stay
        # fp32 (peft's autocast_adapter_dtype).
        kwargs["dtype"] = torch.bfloat16 if cpu_has_fast_bf16() else torch.float32
    try:
        model = AutoModelForCausalLM.from_pretrained(resolved.path, **kwargs)
    except OSError as exc:
        raise ConfigError(f"cannot load model {resolved.name} from {resolved.path}: {exc}") from exc
    if quant != "none":
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(
            model, use_gradient_checkpointing=gradient_checkpointing,
            gradient_checkpointing_kwargs={"use_reentrant": False},
        )
    return model


def _free_accelerator() -> None:
    gc.collect()
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    except ImportError:
        pass


def _clear_adapter(out: Path) -> None:
    for name in (*ADAPTER_FILES, METADATA_FILE, "README.md"):
        (out / name).unlink(missing_ok=True)


def _round(metrics: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, 6) if isinstance(v, float) else v for k, v in metrics.items()}


def train(config: TrainConfig, settings: Settings | None = None, echo: Echo = stderr_echo) -> Path:
    """Fine-tune a LoRA adapter as ``config`` says and return its folder (``config.out``).

    Raises :class:`~extractor.errors.ExtractError` subclasses for bad models/schemas/options,
    ``FileNotFoundError`` for missing data and ``ValueError`` for malformed data.
    """
    settings = settings or load_settings()
    import torch
    from datasets import Dataset
    from datasets.utils.tqdm import are_progress_bars_disabled, disable_progress_bars, enable_progress_bars
    from peft import LoraConfig
    from transformers import AutoTokenizer, EarlyStoppingCallback
    from trl import SFTConfig, SFTTrainer


    assert config.out is not None and config.schema is not None
    out = config.out
    unknown_args = sorted(set(config.extra) - {f.name for f in dataclasses.fields(SFTConfig)})
    if unknown_args:
        raise ConfigError(f"extra: {', '.join(unknown_args)} not an SFTConfig/TrainingArguments field")
    inputs = training_inputs(config, settings)
    schema, resolved, train_examples, eval_examples = inputs.schema, inputs.model, inputs.train, inputs.eval
    labels, unknown = inputs.labels, inputs.unknown
    if unknown:
        echo(f"labels not in schema {config.schema}, left out of the targets: {', '.join(unknown)}")

    cuda = torch.cuda.is_available()
    quant, message = effective_quant(config.quant, cuda)
    if message:
        echo(message)
    checkpointing = cuda if config.gradient_checkpointing is None else config.gradient_checkpointing

    tokenizer = AutoTokenizer.from_pretrained(resolved.path)
    if tokenizer.eos_token is None:
        raise ConfigError(f"the tokenizer of {resolved.name} has no EOS token; the adapter could not learn to stop")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token  # an existing token: the vocabulary stays as it is
    model = _load_model(resolved, quant, cuda, checkpointing)
    vocab = model.get_input_embeddings().weight.shape[0]
    if len(tokenizer) > vocab:
        raise ConfigError(f"{resolved.name}: the tokenizer has {len(tokenizer)} tokens but the model only {vocab} "
                          "embeddings; refusing to resize (vLLM serves LoRA on the base vocabulary)")
    targets = target_modules(model, config.target_modules or resolved.lora_targets)

    builder = PromptBuilder(schema, config.shots, resolved.prompt_format, tokenizer) if config.format == "json" else None
    train_rows = build_rows(make_pairs(train_examples, config.format, builder, labels, schema.max_entities),
                            tokenizer, config.max_seq_len)
    eval_rows = build_rows(make_pairs(eval_examples, config.format, builder, labels, schema.max_entities),
                           tokenizer, config.max_seq_len)
    for name, rows in (("training", train_rows), ("dev", eval_rows)):
        if rows.skipped_long:
            echo(f"skipped {rows.skipped_long} {name} examples longer than max_seq_len={config.max_seq_len} tokens")
    if not len(train_rows):
        raise ValueError(f"no training example fits in max_seq_len={config.max_seq_len} tokens")
    has_eval = len(eval_rows) > 0

    ckpt_dir = out / CHECKPOINTS
    resume_from = resume_point(ckpt_dir, config.resume, echo)

    args: dict[str, Any] = {
        "output_dir": str(ckpt_dir),
        "per_device_train_batch_size": config.batch_size,
        "per_device_eval_batch_size": config.batch_size,
        "gradient_accumulation_steps": config.grad_accum,
        "learning_rate": config.lr,
        "num_train_epochs": config.epochs,
        "max_steps": config.max_steps or -1,
        "logging_steps": config.logging_steps,
        "eval_strategy": "steps" if has_eval else "no",
        "eval_steps": config.eval_steps,
        "save_strategy": "steps",
        "save_steps": config.eval_steps,
        "save_total_limit": 2,
        "load_best_model_at_end": has_eval,
        "metric_for_best_model": "eval_loss" if has_eval else None,
        "greater_is_better": False if has_eval else None,
        "seed": config.seed,
        "bf16": cuda and torch.cuda.is_bf16_supported(),
        "fp16": cuda and not torch.cuda.is_bf16_supported(),
        "use_cpu": not cuda,
        "gradient_checkpointing": checkpointing,
        "gradient_checkpointing_kwargs": {"use_reentrant": False} if checkpointing else None,
        "optim": "paged_adamw_8bit" if quant != "none" else "adamw_torch",
        "completion_only_loss": True,
        "max_length": config.max_seq_len,
        "report_to": "none",
        "disable_tqdm": not config.progress,
        "dataloader_num_workers": 0,
    }
    args.update(config.extra)
    callbacks = []
    if has_eval and config.early_stopping_patience > 0:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=config.early_stopping_patience))
    lora = LoraConfig(r=config.lora_rank, lora_alpha=config.lora_alpha, lora_dropout=config.lora_dropout,
                      target_modules=targets, bias="none", task_type="CAUSAL_LM")
    bars_were_off = are_progress_bars_disabled()
    if not config.progress:
        disable_progress_bars()
    try:
        trainer = SFTTrainer(
            model=model,
            args=SFTConfig(**args),
            train_dataset=Dataset.from_dict(train_rows.columns),
            eval_dataset=Dataset.from_dict(eval_rows.columns) if has_eval else None,
            processing_class=tokenizer,
            peft_config=lora,
            callbacks=callbacks,
        )
        _check_completion_only(trainer.train_dataset, train_rows)
        result = trainer.train(resume_from_checkpoint=str(resume_from) if resume_from else None)
        metrics: dict[str, Any] = {"train_loss": result.training_loss}
        if has_eval:
            metrics["eval_loss"] = trainer.evaluate()["eval_loss"]
            if trainer.state.best_metric is not None:
                metrics["best_eval_loss"] = trainer.state.best_metric
    finally:
        if not bars_were_off:
            enable_progress_bars()
    state = trainer.state

    if trainer.model.get_input_embeddings().weight.shape[0] != vocab:
        raise RuntimeError("the vocabulary was resized during training; this adapter would not serve")
    out.mkdir(parents=True, exist_ok=True)
    _clear_adapter(out)
    trainer.model.save_pretrained(str(out), save_embedding_layers=False)
    (out / "README.md").unlink(missing_ok=True)  # peft's empty model card; our metadata file says it all
    if resolved.spec is not None:  # a portable base id instead of this machine's cache path
        cfg_path = out / "adapter_config.json"
        adapter_cfg = json.loads(cfg_path.read_text())
        adapter_cfg["base_model_name_or_path"] = resolved.spec.checkpoint
        cfg_path.write_text(json.dumps(adapter_cfg, indent=2) + "\n")

    metadata: dict[str, Any] = {
        "base_model": resolved.spec.alias if resolved.spec else resolved.path,
        "base_checkpoint": resolved.spec.checkpoint if resolved.spec else resolved.path,
        "schema": config.schema,
        "schema_fingerprint": schema.fingerprint(),
        "prompt_format": builder.prompt_format if builder else None,  # seed formats: their own prompt
        "format": config.format,
        "shots": config.shots,
        "labels": labels,
        "data": config.data,
        "eval_data": config.eval or None,
        "limit": config.limit,
        "n_train": len(train_rows),
        "n_eval": len(eval_rows),
        "skipped_long": train_rows.skipped_long,
        "steps": state.global_step,
        "best_step": step_of(state.best_model_checkpoint),
        "epochs": round(state.epoch or 0.0, 4),
        "lora": {"r": config.lora_rank, "alpha": config.lora_alpha, "dropout": config.lora_dropout,
                 "target_modules": targets},
        "quant": quant,
        "quant_requested": config.quant,
        "max_seq_len": config.max_seq_len,
        "lr": config.lr,
        "effective_batch_size": config.batch_size * config.grad_accum,
        "seed": config.seed,
        "metrics": _round(metrics),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": versions(),
    }
    if builder is not None:  # what serving checks it renders for this adapter (extractor.prompt_check)
        metadata[PROBE_KEY] = probe(builder.render, lambda prompt: encode_prompt(tokenizer, prompt))
    note = licence_note(config.data, config.eval)
    if note:
        metadata["licence"] = note
    write_metadata(out, metadata)

    del trainer, model
    _free_accelerator()
    if config.eval_f1 and config.eval:
        metadata["metrics"].update(_f1(config, out, settings))
        write_metadata(out, metadata)
    if not config.keep_checkpoints and ckpt_dir.exists():
        shutil.rmtree(ckpt_dir)
    echo(f"adapter written to {out} ({state.global_step} steps, " +
         ", ".join(f"{k} {v:.4f}" for k, v in metadata["metrics"].items() if isinstance(v, float)) + ")")
    return out


def _check_completion_only(dataset: Any, rows: Rows) -> None:
    """The prepared first row must have -100 labels on the prompt and the ids on the completion."""
    labels = list(dataset[0]["labels"])
    ids, mask = rows.columns["input_ids"][0], rows.columns["completion_mask"][0]
    expected = [t if m else -100 for t, m in zip(ids, mask, strict=True)][: len(labels)]
    if labels != expected:
        raise RuntimeError("trl did not build completion-only labels from completion_mask (trl version change?); "
                           "refusing to train on the prompt")


def _f1(config: TrainConfig, out: Path, settings: Settings) -> dict[str, Any]:
    """Entity P/R/F1 of the saved adapter on the dev set, through the serving path (starts vLLM)."""
    from training.evaluate import EvalConfig, evaluate

    assert config.eval is not None
    report = evaluate(EvalConfig(model=config.model, adapter=f"trained={out}", data=config.eval,
                                 limit=config.eval_limit, schema=config.schema, shots=config.shots,
                                 data_root=config.data_root, settings=settings))
    strict, partial = report.scores.strict.micro, report.scores.partial.micro
    return {"eval_precision": strict.precision, "eval_recall": strict.recall, "eval_f1": strict.f1,
            "eval_partial_f1": partial.f1, "eval_f1_examples": report.n_examples}
