"""``extract-entities models`` and ``view``: what is on this machine, and an HTML view of records."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
def models() -> None:
    """List model aliases and whether their weights are on this machine."""
    from ..models import REGISTRY, local_folder
    from ..settings import load_settings

    settings = load_settings()
    click.echo(f"{'alias':<12} {'checkpoint':<40} {'local':<6} notes")
    for spec in REGISTRY.values():
        folder = local_folder(spec, settings)
        click.echo(f"{spec.alias:<12} {spec.checkpoint:<40} {'yes' if folder else 'no':<6} {spec.notes}")
    click.echo(f"\nlocal weights are looked up in {settings.models_dir}/<alias> (EXTRACT_ENTITIES_MODELS overrides)")


@click.command()
@click.argument("jsonl", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="HTML file to write.")
def view(jsonl: Path, output: Path) -> None:
    """Render an output JSONL as a self-contained HTML report with entities highlighted."""
    from ..view import write_view

    try:
        n = write_view(jsonl, output)
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"cannot render {jsonl}: {exc}") from None
    click.echo(f"wrote {output} ({n} messages)", err=True)
