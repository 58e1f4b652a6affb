"""Click options shared by the commands that start an engine (``extract``, ``evaluate``)."""

from __future__ import annotations

import click

EAGER_OPTION = click.option(
    "--eager", is_flag=True,
    help="Skip torch.compile: ~3x faster engine start on CPU, 10-15% slower per token (small jobs).")
LOOP_STOP_OPTION = click.option(
    "--loop-stop/--no-loop-stop", default=True, show_default=True,
    help="End a completion that keeps repeating the same entities instead of running it to --max-tokens.")
