"""``extract-entities evaluate`` and ``leaderboard``, registered through the ``extract_entities.commands``
entry point group (pyproject.toml), like ``train``: the extractor does not import training.

Only click is imported at module level, so ``extract-entities --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from extractor.cli.options import options_of
from extractor.config import EngineOptions, take


@click.command()
@click.option("--task", type=click.Choice(["entities", "classify"]), default="entities", show_default=True,
              help="entities: span P/R/F1; classify: message classes (--data imdb:test, sentipolc:test, "
                   "spamassassin:test) with accuracy, per-class P/R/F1, macro-F1 and a confusion matrix.")
@click.option("--classify", default=None, metavar="NAME",
              help="--task classify: class schema to prompt with [default: the data set's].")
@click.option("-m", "--model", default="default", show_default=True,
              help="Registry alias, hub id or local folder ('none' with mailgold: the recognizers alone).")
@click.option("--adapter", default=None, metavar="NAME=PATH",
              help="peft LoRA adapter to evaluate (--task classify: generative, or a sequence classifier).")
@click.option("--method", type=click.Choice(["generative", "tokens", "sequence"]), default=None,
              help="Extraction method [default: the adapter's (tokens / sequence for a token / sequence "
                   "classification adapter), else generative].")
@click.option("--merge", is_flag=True, help="Serve the adapter merged into the base weights.")
@click.option("--data", default="kind:WN_test", show_default=True,
              help="kind:WN_test, kind:FIC_test, wikineural:test, mailgold:FOLDER (our e-mail gold set, e.g. "
                   "mailgold:examples/gold), or a .tsv/.conllu/.jsonl/.csv file.")
@click.option("--split", type=click.Choice(["dev", "test", "all"]), default="test", show_default=True,
              help="mailgold: which split to score (dev is for tuning rules and prompts, never test).")
@click.option("--keep-quotes/--strip-quotes", default=True, show_default=True,
              help="mailgold: keep quoted reply history in the texts (the gold counts entities in it).")
@click.option("--recognizers", type=click.Choice(["on", "off"]), default="on", show_default=True,
              help="Merge the exact recognizers' spans (pattern labels) with the model's.")
@click.option("--prompt-labels", type=click.Choice(["all", "rest"]), default="all", show_default=True,
              help="Ask the model for every label, or (with recognizers on) only those no recognizer owns.")
@click.option("--data-root", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder with kind/ and wikineural_it/ (default $EXTRACT_ENTITIES_DATA or ../shared/data).")
@click.option("--shots", default=None, type=click.IntRange(0, 8), help="Few-shot examples [default: the adapter's, else 0].")
@click.option("--limit", default=None, type=click.IntRange(1), help="Only the first N examples.")
@click.option("--schema", default=None, help="Schema to prompt with (default: the adapter's, else italian_email).")
@click.option("--max-tokens", default=384, show_default=True, type=click.IntRange(16))
@click.option("--min-score", "min_scores", multiple=True, metavar="LABEL=P",
              help="--task classify, a sequence adapter: give LABEL only when its probability reaches P "
                   "(repeatable) [default: the adapter's].")
@click.option("--sweep-min-score", "sweep", default=None, metavar="LABEL",
              help="--task classify, a sequence adapter, on a dev split: score minimum scores on LABEL from one "
                   "pass and pick the least costly (--sweep-cost); serve the pick with --min-score.")
@click.option("--sweep-cost", default=9.0, show_default=True, type=click.FloatRange(0.0, min_open=True),
              help="With --sweep-min-score: what a text of another class given LABEL costs (a ham mail lost to "
                   "spam), any other error costing 1.")
@options_of(EngineOptions)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Report JSON (a Markdown table is written beside it as .md).")
@click.option("-q", "--quiet", is_flag=True, help="No progress display (texts done, msg/s, ETA) on stderr.")
def evaluate(output: Path | None, recognizers: str, task: str, classify: str | None, quiet: bool, **kw: Any) -> None:
    """Entity-level P/R/F1 of a model (+ adapter) through the serving path (--model none: recognizers alone).

    With --task classify: message classification scores (a PNG confusion matrix beside -o's JSON).
    """
    if task == "classify":
        _evaluate_classes(output, classify, dict(kw, progress=not quiet))
        return
    given = [flag for name, flag in CLASSIFY_ONLY.items() if kw.pop(name)]
    if given:
        raise click.ClickException(f"{given[0]} is an option of --task classify")
    kw.pop("sweep_cost")
    from training.evaluate import EvalConfig
    from training.evaluate import evaluate as run_evaluation
    from training.mail_eval import evaluate_mail, is_mail_gold

    config = EvalConfig(recognizers=recognizers == "on", engine=take(EngineOptions, kw), progress=not quiet, **kw)
    try:
        report = evaluate_mail(config) if is_mail_gold(config.data) else run_evaluation(config)
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from None
    if output is not None:
        report.to_json(output)
        output.with_suffix(".md").write_text(report.to_markdown(), encoding="utf-8")
        click.echo(f"wrote {output} and {output.with_suffix('.md')}", err=True)
    click.echo(report.to_markdown())


CLASSIFY_OPTIONS = ("model", "adapter", "merge", "data", "shots", "limit", "max_tokens", "data_root", "progress",
                    "sweep", "sweep_cost")
CLASSIFY_ONLY = {"min_scores": "--min-score", "sweep": "--sweep-min-score"}
"""Options only ``--task classify`` takes, by parameter (``sweep_cost`` has a default, so it is not checked)."""


def _evaluate_classes(output: Path | None, classify: str | None, kw: dict[str, Any]) -> None:
    from extractor.class_decision import parse_min_scores
    from extractor.errors import ExtractError
    from training.classify_eval import ClassEvalConfig, evaluate_classes

    if kw["data"] == "kind:WN_test":  # the entity default: classification data must be named
        raise click.ClickException("--task classify needs --data imdb:test, sentipolc:test or spamassassin:test")
    chosen = {k: v for k, v in kw.items() if k in CLASSIFY_OPTIONS and v is not None}  # None: the config's default
    try:
        config = ClassEvalConfig(classify=classify, engine=take(EngineOptions, kw),
                                 min_scores=parse_min_scores(kw["min_scores"]), **chosen)
        report = evaluate_classes(config)
    except (ExtractError, FileNotFoundError, ValueError) as exc:
        raise click.ClickException(" ".join(str(exc).split())) from None
    if output is not None:
        report.to_json(output)
        output.with_suffix(".md").write_text(report.to_markdown(), encoding="utf-8")
        report.plot_confusion(output.with_suffix(".png"))
        click.echo(f"wrote {output}, {output.with_suffix('.md')} and {output.with_suffix('.png')}", err=True)
    click.echo(report.to_markdown())


@click.command()
@click.argument("reports", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Markdown file (default stdout).")
@click.option("--plot", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Bar chart PNG.")
def leaderboard(reports: tuple[Path, ...], output: Path | None, plot: Path | None) -> None:
    """One row per model/adapter/shots from evaluation reports, best F1 first."""
    from training.leaderboard import build_leaderboard, plot_leaderboard

    try:
        table = build_leaderboard(reports)
        if plot is not None:
            plot_leaderboard(reports, plot)
    except (ValueError, KeyError) as exc:
        raise click.ClickException(f"cannot read reports: {exc}") from None
    if output is None:
        click.echo(table)
    else:
        output.write_text(table, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)
