"""``extract-entities train``: options mirror :class:`training.config.TrainConfig`.

Only click is imported at module level, so ``extract-entities --help`` stays fast; torch, trl
and peft are imported when a run starts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

FORMAT_CHOICES = ("json", "alpaca", "inst-tags")
QUANT_CHOICES = ("4bit", "8bit", "none")


TOKEN_SELECT = ("mean", "pooled")
"""``--select`` values of the token trainer (how several dev sets' F1s combine)."""
SEQUENCE_SELECT = ("accuracy", "macro_f1")
"""``--select`` values of the sequence trainer (which dev score)."""


@click.command("train")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="YAML file of options (see examples/train.yaml); command-line options win.")
@click.option("-m", "--model", default=None, help="Registry alias, hub id or local folder [default: default].")
@click.option("--data", default=None, help="Training set: kind:WN_train, kind:FIC_train, or an export .jsonl/.tsv/...")
@click.option("--eval", "eval_", default=None, help="Dev set for eval loss [default: kind:X_dev for kind:X_train].")
@click.option("--data-root", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder with kind/ and wikineural_it/ (default $EXTRACT_ENTITIES_DATA or ../shared/data).")
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Adapter folder [default: adapters/<model>-<data>-<format>].")
@click.option("--format", "format_", type=click.Choice(FORMAT_CHOICES), default=None,
              help="Target format [default: json, the one serving uses].")
@click.option("--schema", default=None, help="Schema [default: kind for KIND data, else italian_email].")
@click.option("--shots", type=click.IntRange(0, 8), default=None, help="Few-shot examples in the prompt [default: 0].")
@click.option("--epochs", type=click.FloatRange(min=0, min_open=True), default=None, help="Epochs [default: 1].")
@click.option("--max-steps", type=click.IntRange(1), default=None, help="Stop after N optimiser steps (wins over --epochs).")
@click.option("--lr", type=click.FloatRange(min=0, min_open=True), default=None, help="Learning rate [default: 2e-4].")
@click.option("--batch-size", type=click.IntRange(1), default=None, help="Per-device batch size [default: 4].")
@click.option("--grad-accum", type=click.IntRange(1), default=None, help="Gradient accumulation steps [default: 4].")
@click.option("--lora-rank", type=click.Choice(["8", "16", "32", "64", "128", "256"]), default=None,
              help="LoRA rank, one vLLM serves [default: 16].")
@click.option("--lora-alpha", type=click.IntRange(1), default=None, help="LoRA alpha [default: 32].")
@click.option("--lora-dropout", type=click.FloatRange(0, 1, max_open=True), default=None, help="[default: 0.05]")
@click.option("--target-modules", default=None, metavar="A,B,...",
              help="LoRA target modules [default: the registry's for the model].")
@click.option("--quant", type=click.Choice(QUANT_CHOICES), default=None,
              help="QLoRA 4bit nf4 / 8bit with bitsandbytes on CUDA; CPU falls back to none [default: none].")
@click.option("--max-seq-len", type=click.IntRange(64), default=None,
              help="Skip examples longer than this many tokens [default: 2048].")
@click.option("--eval-steps", type=click.IntRange(1), default=None, help="Evaluate and checkpoint every N steps [default: 50].")
@click.option("--eval-limit", type=click.IntRange(1), default=None, help="First N dev examples [default: 256].")
@click.option("--eval-f1", is_flag=True, default=None,
              help="After training, entity F1 on the dev set through the serving path (starts vLLM).")
@click.option("--early-stopping-patience", type=click.IntRange(0), default=None,
              help="Stop after N evaluations without improvement; 0 = off [default: 3].")
@click.option("--seed", type=int, default=None, help="[default: 42]")
@click.option("--limit", type=click.IntRange(1), default=None, help="First N training examples only.")
@click.option("--resume/--restart", default=None, help="Continue from the last checkpoint in OUT/checkpoints [default: resume].")
@click.option("--keep-checkpoints", is_flag=True, default=None, help="Keep OUT/checkpoints after success.")
@click.option("--method", type=click.Choice(["generative", "tokens", "sequence"]), default="generative",
              show_default=True,
              help="generative: LoRA on the prompt -> JSON completion; tokens: a bidirectional token classifier "
                   "(is_causal off, BIO head + LoRA); sequence (--task classify): a bidirectional message "
                   "classifier (class head + LoRA). Both classifiers are served merged by vLLM's pooling runner.")
@click.option("--task", type=click.Choice(["entities", "classify"]), default="entities", show_default=True,
              help="entities: spans; classify: message classes (--data imdb:train, sentipolc:train, "
                   "spamassassin:train).")
@click.option("--classify", default=None, metavar="NAME",
              help="--task classify: class schema (polarity, sentiment, spam, .json, module:Class) "
                   "[default: the data set's].")
@click.option("--init-adapter", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="--method tokens, or sequence --task classify: start from an adapter of that method (its LoRA "
                   "and head) for a further pass; --seed gives it a new order of the texts.")
@click.option("--select", type=click.Choice([*TOKEN_SELECT, *SEQUENCE_SELECT]), default=None,
              help="Which dev score keeps the best checkpoint. --method tokens with several --eval sets: the mean "
                   "of their F1s or the F1 of all their examples pooled [default: mean]; --method sequence: "
                   "accuracy or macro_f1 (rare classes count as much as common ones) [default: accuracy].")
@click.option("--class-weights", type=click.Choice(["none", "balanced"]), default=None,
              help="--task classify --method sequence: weigh each class's loss by n / (classes * n_class) "
                   "[default: none].")
@click.option("--pooling", type=click.Choice(["mean", "last"]), default=None,
              help="--task classify --method sequence: the class head reads the mean of its per-token logits "
                   "or the last token's [default: mean].")
@click.option("--reads", type=click.Choice(["subject+body", "body"]), default=None,
              help="--task classify --method sequence: what the head reads of a message, its Subject line and "
                   "body or the body alone; served the same [default: subject+body].")
@click.option("--sweep-min-score", "sweep", default=None, metavar="LABEL",
              help="--task classify --method sequence: at the end, pick a minimum score for LABEL on the dev "
                   "split (least --sweep-cost) and record it in the adapter, which is then served with it.")
@click.option("--sweep-cost", type=click.FloatRange(0.0, min_open=True), default=None,
              help="With --sweep-min-score: what a dev text of another class given LABEL costs (a ham mail lost "
                   "to spam), any other error costing 1 [default: 9].")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def train(config_file: Path | None, eval_: str | None, format_: str | None, lora_rank: str | None,
          target_modules: str | None, quiet: bool, method: str, task: str, classify: str | None, **kw: Any) -> None:
    """Fine-tune a LoRA adapter that `extract-entities --adapter NAME=OUT` can serve.

    \b
    extract-entities train --data kind:WN_train --max-steps 200 -o adapters/kind-wn
    extract-entities train --config examples/train.yaml --quant 4bit     # QLoRA on CUDA
    extract-entities train --task classify --method sequence --data imdb:train --max-steps 60
    """
    from extractor.errors import ExtractError
    from training.config import TrainConfig

    if task == "entities" and (method == "sequence" or classify):
        raise click.ClickException("--method sequence and --classify train a message classifier: add --task classify")
    # Options only one method's trainer takes (--method sequence implies --task classify, checked above).
    select = kw.get("select")
    if select is not None and method != ("tokens" if select in TOKEN_SELECT else "sequence"):
        owner = "tokens" if select in TOKEN_SELECT else "sequence --task classify"
        raise click.ClickException(f"--select {select} is an option of --method {owner} "
                                   f"(tokens: {', '.join(TOKEN_SELECT)}; sequence: {', '.join(SEQUENCE_SELECT)})")
    owners = {"init_adapter": ("tokens", "sequence"), "pooling": ("sequence",), "reads": ("sequence",),
              "class_weights": ("sequence",), "sweep": ("sequence",), "sweep_cost": ("sequence",)}
    for name, methods in owners.items():
        if method not in methods and kw.pop(name) is not None:
            flag = "--sweep-min-score" if name == "sweep" else f"--{name.replace('_', '-')}"
            raise click.ClickException(f"{flag} is an option of --method " +
                                       " or ".join(f"{m} --task classify" if m == "sequence" else m for m in methods))
    if task == "classify":
        from training.classify_cli import train_classify

        train_classify(method, classify, config_file, eval_, format_, lora_rank, target_modules, quiet, kw)
        return
    if method == "tokens":
        _train_tokens(config_file, eval_, format_, lora_rank, target_modules, quiet, kw)
        return
    overrides = dict(kw, eval=eval_, format=format_, lora_rank=int(lora_rank) if lora_rank else None,
                     target_modules=tuple(m.strip() for m in target_modules.split(",") if m.strip())
                     if target_modules else None,
                     progress=False if quiet else None)
    try:
        config = TrainConfig.from_yaml(config_file, **overrides)
    except (ValueError, TypeError, FileNotFoundError) as exc:
        raise click.ClickException(_one_line(exc)) from None
    try:
        from training.trainer import train as run_training

        out = run_training(config)
    except (ExtractError, FileNotFoundError) as exc:
        raise click.ClickException(_one_line(exc)) from None
    except ValueError as exc:
        raise click.ClickException(f"bad training data or option: {_one_line(exc)}") from None
    click.echo(str(out))


GENERATIVE_ONLY = ("format_", "shots", "quant", "eval_f1", "config_file")
"""Options of the generative trainer that the token trainer has no use for."""


def _train_tokens(config_file: Path | None, eval_: str | None, format_: str | None, lora_rank: str | None,
                  target_modules: str | None, quiet: bool, kw: dict[str, Any]) -> None:
    from extractor.errors import ExtractError
    from training.token_trainer import TokenTrainConfig, train_tokens

    given = {"config_file": config_file, "format_": format_, **kw}
    unused = [name.rstrip("_").replace("_", "-") for name in GENERATIVE_ONLY if given.get(name)]
    if unused:
        raise click.ClickException(f"--method tokens does not take --{', --'.join(unused)}")
    if not kw.get("data"):
        raise click.ClickException("--method tokens needs --data (e.g. kind:WN_train,kind:FIC_train)")
    fields = {"model", "data", "out", "schema", "epochs", "max_steps", "lr", "batch_size", "grad_accum", "lora_alpha",
              "lora_dropout", "max_seq_len", "eval_steps", "eval_limit", "early_stopping_patience", "seed", "limit",
              "resume", "keep_checkpoints", "data_root", "init_adapter", "select"}
    options = {k: v for k, v in kw.items() if k in fields and v is not None}
    if eval_ is not None:
        options["eval"] = eval_
    if lora_rank:
        options["lora_rank"] = int(lora_rank)
    if target_modules:
        options["target_modules"] = tuple(m.strip() for m in target_modules.split(",") if m.strip())
    try:
        out = train_tokens(TokenTrainConfig(progress=not quiet, **options))
    except (ExtractError, FileNotFoundError) as exc:
        raise click.ClickException(_one_line(exc)) from None
    except ValueError as exc:
        raise click.ClickException(f"bad training data or option: {_one_line(exc)}") from None
    click.echo(str(out))


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
