"""``extract-entities extract`` (the default command): mail in, JSONL records out."""

from __future__ import annotations

import json
import signal
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from ..client.options import ServerOptions
from ..config import EngineOptions, take
from ..raydata.options import RayOptions
from ..sources.imap.options import ImapOptions
from .options import options_of


@click.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("-m", "--model", default="default", show_default=True, help="Registry alias, hub id or local folder.")
@click.option("--adapter", "adapters", multiple=True, metavar="NAME=PATH", help="peft LoRA folder (repeatable); with --server, NAME alone is a LoRA the server serves.")
@click.option("--route", "routes", multiple=True, metavar="PATTERN=NAME",
              help="Glob on folder/file picking the adapter (NAME 'base' = none). First match wins.")
@click.option("--method", type=click.Choice(["generative", "tokens", "sequence"]), default=None,
              help="Extraction method [default: the adapter's (tokens / sequence for a token / sequence "
                   "classification adapter), else generative].")
@click.option("--merge", is_flag=True, help="Merge the single --adapter into the base weights (base-model speed).")
@click.option("--schema", default=None, help="Built-in name (italian_email, kind, none), JSON Schema file, or module:Class.")
@click.option("--classify", multiple=True, metavar="NAME",
              help="Also classify each message (repeatable): sentiment, polarity, spam, a .json label file, or "
                   "module:Class; records gain \"classes\". With --schema none, classes only.")
@click.option("--min-score", "min_scores", multiple=True, metavar="LABEL=P",
              help="Give a class label only when its probability reaches P, else the next most probable "
                   "(repeatable; a sequence-classification adapter, e.g. spam=0.9) [default: the adapter's].")
@click.option("--shots", default=None, type=click.IntRange(0, 8),
              help="Few-shot examples in the prompt [default: the adapter's, else 2].")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="JSONL output (default stdout).")
@click.option("--errors", "errors_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Error records (default OUTPUT.errors.jsonl, or stderr).")
@click.option("--resume/--restart", default=True, show_default=True,
              help="Skip messages already in OUTPUT, or start over.")
@click.option("--batch-size", default=64, show_default=True, type=click.IntRange(1), help="Messages per engine pass.")
@click.option("--max-tokens", default=512, show_default=True, type=click.IntRange(16), help="Bound on each completion.")
@options_of(EngineOptions)
@click.option("--keep-ungrounded", is_flag=True, help="Keep entities not found in the text, flagged.")
@click.option("--keep-quotes", is_flag=True, help="Keep quoted reply history in the text.")
@click.option("--header-entities", is_flag=True, help="Add From/To/Cc names and addresses as entities.")
@click.option("--validate", type=click.Choice(["flag", "drop", "off"]), default="flag", show_default=True,
              help="Check codice fiscale, partita IVA and IBAN.")
@click.option("--recognizers", type=click.Choice(["on", "off"]), default="on", show_default=True,
              help="Exact recognizers for EMAIL, PHONE, IBAN, CODICE_FISCALE, PARTITA_IVA, MONEY and DATE, "
                   "merged with the model's spans (the recognizer wins for these labels).")
@click.option("--no-text", is_flag=True, help="Leave the message text out of records.")
@options_of(ImapOptions)
@options_of(ServerOptions)
@options_of(RayOptions)
@click.option("-q", "--quiet", is_flag=True, help="No progress, no notes and no summary line.")
@click.option("--summary-json", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path), default=None,
              help="Write the run's summary as JSON to this file ('-' for stderr).")
def extract(inputs: tuple[str, ...], adapters: tuple[str, ...], routes: tuple[str, ...], errors_path: Path | None,
            resume: bool, no_text: bool, quiet: bool, summary_json: Path | None, recognizers: str,
            **kw: Any) -> None:
    """Extract entities from INPUTS (mbox, Maildir, .eml files or folders, imap:// URLs) to JSONL."""
    from ..runner import RunConfig, errors_path_of, run

    engine, imap, server = take(EngineOptions, kw), take(ImapOptions, kw), take(ServerOptions, kw)
    ray = take(RayOptions, kw)
    if ray.enabled and click.get_current_context().get_parameter_source("concurrency").name != "DEFAULT":
        ray = replace(ray, replicas=server.concurrency)  # --concurrency with --ray: engine replicas
    config = RunConfig(inputs=inputs, adapters=adapters, routes=routes, errors=errors_path, restart=not resume,
                       include_text=not no_text, progress=not quiet, recognizers=recognizers == "on", engine=engine,
                       imap=imap, server=server, ray=ray, **kw)
    stop = threading.Event()
    _install_stop_handlers(stop)
    notify = None if quiet else (lambda note: click.echo(note, err=True))
    summary = run(config, stop, notify=notify)
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
