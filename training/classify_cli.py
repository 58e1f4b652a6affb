"""``extract-entities train --task classify``: the option checks and the call into the right trainer.

``--method sequence`` trains the bidirectional class head (:mod:`training.sequence_trainer`),
``--method generative`` a LoRA whose target is the label JSON the constrained decoder produces
(:mod:`training.classify_trainer`). Click is the only import at module level.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

COMMON = {"model", "data", "out", "epochs", "max_steps", "lr", "batch_size", "grad_accum", "lora_alpha",
          "lora_dropout", "max_seq_len", "eval_steps", "eval_limit", "early_stopping_patience", "seed", "limit",
          "resume", "keep_checkpoints", "data_root"}
"""Options both classification trainers take (their config fields of the same name)."""
REFUSED = {"sequence": ("format_", "shots", "quant", "eval_f1", "config_file", "schema"),
           "generative": ("format_", "quant", "eval_f1", "config_file", "schema")}
"""Options of ``train`` a classification trainer has no use for, by method."""


def train_classify(method: str, classify: str | None, config_file: Path | None, eval_: str | None,
                   format_: str | None, lora_rank: str | None, target_modules: str | None, quiet: bool,
                   kw: dict[str, Any]) -> None:
    from extractor.errors import ExtractError

    if method == "tokens":
        raise click.ClickException("--task classify trains --method sequence (a class head) or --method generative "
                                   "(the label JSON); tokens tags entities")
    given = {"config_file": config_file, "format_": format_, **kw}
    unused = [name.rstrip("_").replace("_", "-") for name in REFUSED[method] if given.get(name)]
    if unused:
        raise click.ClickException(f"--task classify --method {method} does not take --{', --'.join(unused)}")
    if not kw.get("data"):
        raise click.ClickException("--task classify needs --data imdb:train, sentipolc:train or spamassassin:train")
    options = {k: v for k, v in kw.items() if k in COMMON and v is not None}
    if eval_ is not None:
        options["eval"] = eval_
    if lora_rank:
        options["lora_rank"] = int(lora_rank)
    if target_modules:
        options["target_modules"] = tuple(m.strip() for m in target_modules.split(",") if m.strip())
    if classify:
        options["classify"] = classify
    try:
        if method == "sequence":
            from training.sequence_trainer import SequenceTrainConfig, train_sequence

            options.update({k: kw[k] for k in ("pooling", "reads", "select", "class_weights", "init_adapter",
                                               "sweep", "sweep_cost") if kw.get(k) is not None})
            out = train_sequence(SequenceTrainConfig(progress=not quiet, **options))
        else:
            from training.classify_trainer import ClassTrainConfig, train_generative_classes

            if kw.get("shots") is not None:
                options["shots"] = kw["shots"]
            out = train_generative_classes(ClassTrainConfig(progress=not quiet, **options))
    except (ExtractError, FileNotFoundError) as exc:
        raise click.ClickException(" ".join(str(exc).split())) from None
    except ValueError as exc:
        raise click.ClickException(f"bad training data or option: {' '.join(str(exc).split())}") from None
    click.echo(str(out))
