"""The ``extract-entities`` command: one group, commands listed in one registry.

The Click layer parses options, calls the library and maps the library's errors (one root,
:class:`extractor.errors.ExtractError`) to one-line messages in one place. The extractor's own
commands are listed in :data:`COMMANDS`; other packages add theirs through the
``extract_entities.commands`` entry point group (training's ``train``, ``evaluate`` and
``leaderboard`` come in that way), so ``extractor`` never imports ``training``.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from typing import Any

import click

from ..errors import ExtractError

ENTRY_POINT_GROUP = "extract_entities.commands"
COMMANDS: dict[str, str] = {
    "extract": "extractor.cli.extract:extract",
    "merge": "extractor.cli.merge:merge",
    "models": "extractor.cli.info:models",
    "view": "extractor.cli.info:view",
}
"""Command name -> ``module:attribute`` of the extractor's own click commands."""


def _load(target: str) -> click.Command:
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def command_targets() -> dict[str, str]:
    """Every command: the extractor's own, then those of installed entry points (ours win)."""
    targets = {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}
    return {**targets, **COMMANDS}


class CommandGroup(click.Group):
    """Commands resolved from :func:`command_targets`; errors of the library become one line.

    The first argument, when it is not a command, is an input of ``extract``
    (``extract-entities mailbox.mbox`` runs ``extract-entities extract mailbox.mbox``).
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(command_targets())

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = command_targets().get(name)
        return _load(target) if target else None

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in command_targets() and args[0] not in ("--help", "-h", "--version"):
            args = ["extract", *args]
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ExtractError as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=CommandGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="extract-entities")
@click.option("-v", "--verbose", count=True, help="More log output on stderr: -v adds vLLM's INFO logs, -vv debug.")
def main(verbose: int) -> None:
    """Pull named entities out of mailboxes with open LLMs served by vLLM.

    \b
    extract-entities mailbox.mbox --model mixtral -o entities.jsonl
    extract-entities ~/Maildir/ --adapter fatture=adapters/fatture --route "PEC=pec" -o out.jsonl
    extract-entities examples/italian.mbox      # embedded default model, JSONL on stdout
    """
    from ..logs import configure_logging

    configure_logging(verbose)
