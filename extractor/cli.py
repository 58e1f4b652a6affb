"""The ``extract-entities`` command: parses options, calls the library, maps errors to one line."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path
from typing import Any

import click

from .errors import ExtractError

SUBCOMMANDS = ("extract", "models", "view", "evaluate", "leaderboard", "train")
EAGER_OPTION = click.option(
    "--eager", is_flag=True,
    help="Skip torch.compile: ~3x faster engine start on CPU, 10-15% slower per token (small jobs).")
LOOP_STOP_OPTION = click.option(
    "--loop-stop/--no-loop-stop", default=True, show_default=True,
    help="End a completion that keeps repeating the same entities instead of running it to --max-tokens.")


class DefaultGroup(click.Group):
    """A group whose first argument, when it is not a subcommand, is an input of ``extract``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h", "--version"):
            args = ["extract", *args]
        return super().parse_args(ctx, args)


def _fail(exc: ExtractError) -> click.ClickException:
    return click.ClickException(str(exc))


@click.group(cls=DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="extract-entities")
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug).")
def main(verbose: int) -> None:
    """Pull named entities out of mailboxes with open LLMs served by vLLM.

    \b
    extract-entities mailbox.mbox --model mixtral -o entities.jsonl
    extract-entities ~/Maildir/ --adapter fatture=adapters/fatture --route "PEC=pec" -o out.jsonl
    extract-entities examples/italian.mbox      # embedded default model, JSONL on stdout
    """
    from .logs import configure_logging

    configure_logging(verbose)


@main.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("-m", "--model", default="default", show_default=True, help="Registry alias, hub id or local folder.")
@click.option("--adapter", "adapters", multiple=True, metavar="NAME=PATH", help="peft LoRA folder (repeatable).")
@click.option("--route", "routes", multiple=True, metavar="PATTERN=NAME",
              help="Glob on folder/file picking the adapter (NAME 'base' = none). First match wins.")
@click.option("--merge", is_flag=True, help="Merge the single --adapter into the base weights (base-model speed).")
@click.option("--schema", default=None, help="Built-in name (italian_email, kind), JSON Schema file, or module:Class.")
@click.option("--shots", default=2, show_default=True, type=click.IntRange(0, 8), help="Few-shot examples in the prompt.")
@click.option("--decoding-backend", type=click.Choice(["outlines", "xgrammar", "guidance"]), default="outlines",
              show_default=True, help="vLLM structured-outputs backend for JSON-schema decoding.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="JSONL output (default stdout).")
@click.option("--errors", "errors_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Error records (default OUTPUT.errors.jsonl, or stderr).")
@click.option("--resume/--restart", default=True, show_default=True,
              help="Skip messages already in OUTPUT, or start over.")
@click.option("--batch-size", default=64, show_default=True, type=click.IntRange(1), help="Messages per engine pass.")
@click.option("--max-tokens", default=512, show_default=True, type=click.IntRange(16), help="Bound on each completion.")
@click.option("--max-model-len", default=4096, show_default=True, type=click.IntRange(256), help="Context per sequence.")
@EAGER_OPTION
@LOOP_STOP_OPTION
@click.option("--keep-ungrounded", is_flag=True, help="Keep entities not found in the text, flagged.")
@click.option("--keep-quotes", is_flag=True, help="Keep quoted reply history in the text.")
@click.option("--header-entities", is_flag=True, help="Add From/To/Cc names and addresses as entities.")
@click.option("--validate", type=click.Choice(["flag", "drop", "off"]), default="flag", show_default=True,
              help="Check codice fiscale, partita IVA and IBAN.")
@click.option("--recognizers", type=click.Choice(["on", "off"]), default="on", show_default=True,
              help="Exact recognizers for EMAIL, PHONE, IBAN, CODICE_FISCALE, PARTITA_IVA, MONEY and DATE, "
                   "merged with the model's spans (the recognizer wins for these labels).")
@click.option("--no-text", is_flag=True, help="Leave the message text out of records.")
@click.option("--watch", is_flag=True, help="IMAP: keep polling (IDLE when offered).")
@click.option("--interval", default=60.0, show_default=True, type=click.FloatRange(1), help="IMAP: seconds between polls.")
@click.option("--insecure", is_flag=True, help="IMAP: do not verify the server's TLS certificate.")
@click.option("--ca-file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="IMAP: trust this CA.")
@click.option("--mark-seen", is_flag=True, help="IMAP: set \\Seen on messages once extracted.")
@click.option("-q", "--quiet", is_flag=True, help="No progress, no notes and no summary line.")
@click.option("--summary-json", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path), default=None,
              help="Write the run's summary as JSON to this file ('-' for stderr).")
def extract(inputs: tuple[str, ...], adapters: tuple[str, ...], routes: tuple[str, ...], errors_path: Path | None,
            resume: bool, no_text: bool, quiet: bool, summary_json: Path | None, recognizers: str,
            **kw: Any) -> None:
    """Extract entities from INPUTS (mbox, Maildir, .eml files or folders, imap:// URLs) to JSONL."""
    from .runner import RunConfig, errors_path_of, run

    config = RunConfig(inputs=inputs, adapters=adapters, routes=routes, errors=errors_path, restart=not resume,
                       include_text=not no_text, progress=not quiet, recognizers=recognizers == "on", **kw)
    stop = threading.Event()
    _install_stop_handlers(stop)
    notify = None if quiet else (lambda note: click.echo(note, err=True))
    try:
        summary = run(config, stop, notify=notify)
    except ExtractError as exc:
        raise _fail(exc) from None
    if not quiet:
        where = errors_path_of(config)
        click.echo(summary.line(str(where) if where else "stderr"), err=True)
    if summary_json is not None:
        text = json.dumps(summary.to_dict())
        if str(summary_json) == "-":
            click.echo(text, err=True)
        else:
            summary_json.write_text(text + "\n", encoding="utf-8")


def _install_stop_handlers(stop: threading.Event) -> None:
    """SIGTERM/SIGINT set ``stop``: the source stops, the batch in hand is finished, state persists."""
    def handler(signum: int, frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)


@main.command()
def models() -> None:
    """List model aliases and whether their weights are on this machine."""
    from .models import REGISTRY, local_folder
    from .settings import load_settings

    settings = load_settings()
    click.echo(f"{'alias':<12} {'checkpoint':<40} {'local':<6} notes")
    for spec in REGISTRY.values():
        folder = local_folder(spec, settings)
        click.echo(f"{spec.alias:<12} {spec.checkpoint:<40} {'yes' if folder else 'no':<6} {spec.notes}")
    click.echo(f"\nlocal weights are looked up in {settings.models_dir}/<alias> (EXTRACT_ENTITIES_MODELS overrides)")


@main.command()
@click.argument("jsonl", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="HTML file to write.")
def view(jsonl: Path, output: Path) -> None:
    """Render an output JSONL as a self-contained HTML report with entities highlighted."""
    from .view import write_view

    try:
        n = write_view(jsonl, output)
    except ExtractError as exc:
        raise _fail(exc) from None
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"cannot render {jsonl}: {exc}") from None
    click.echo(f"wrote {output} ({n} messages)", err=True)


@main.command()
@click.option("-m", "--model", default="default", show_default=True,
              help="Registry alias, hub id or local folder ('none' with mailgold: the recognizers alone).")
@click.option("--adapter", default=None, metavar="NAME=PATH", help="peft LoRA adapter to evaluate.")
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
@click.option("--shots", default=0, show_default=True, type=click.IntRange(0, 8), help="Few-shot examples.")
@click.option("--limit", default=None, type=click.IntRange(1), help="Only the first N examples.")
@click.option("--schema", default=None, help="Schema to prompt with (default: the adapter's, else italian_email).")
@click.option("--decoding-backend", type=click.Choice(["outlines", "xgrammar", "guidance"]), default="outlines",
              show_default=True)
@click.option("--max-tokens", default=384, show_default=True, type=click.IntRange(16))
@EAGER_OPTION
@LOOP_STOP_OPTION
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Report JSON (a Markdown table is written beside it as .md).")
def evaluate(output: Path | None, recognizers: str, **kw: Any) -> None:
    """Entity-level P/R/F1 of a model (+ adapter) through the serving path (--model none: recognizers alone)."""
    from training.data import DataFormatError
    from training.evaluate import EvalConfig
    from training.evaluate import evaluate as run_evaluation
    from training.mail_eval import evaluate_mail, is_mail_gold

    config = EvalConfig(recognizers=recognizers == "on", **kw)
    try:
        report = evaluate_mail(config) if is_mail_gold(config.data) else run_evaluation(config)
    except DataFormatError as exc:
        raise click.ClickException(str(exc)) from None
    except ExtractError as exc:
        raise _fail(exc) from None
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from None
    if output is not None:
        report.to_json(output)
        output.with_suffix(".md").write_text(report.to_markdown(), encoding="utf-8")
        click.echo(f"wrote {output} and {output.with_suffix('.md')}", err=True)
    click.echo(report.to_markdown())


@main.command()
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


def _register_train() -> None:
    """``train`` lives with the trainer; registered here so one console script serves all."""
    from training.cli import train

    main.add_command(train, "train")


_register_train()


if __name__ == "__main__":
    main()
