"""``extract-entities merge``: an adapter merged into its base, and the ``vllm serve`` line that serves it."""

from __future__ import annotations

import click


@click.command()
@click.option("--adapter", "adapter", required=True, metavar="NAME=PATH",
              help="The adapter to merge (generative or token-classification).")
@click.option("--model", default="default", show_default=True, help="Base model alias, checkpoint id or folder.")
def merge(adapter: str, model: str) -> None:
    """Merge an adapter into its base model (cached) and print the folder; the `vllm serve` command that
    serves it (for `--server`) goes to stderr. Token-classification adapters can only be served this way."""
    from ..client.serve import plan_serving
    from ..settings import load_settings

    plan = plan_serving(model, adapter, load_settings())
    click.echo(str(plan.folder))
    client = (f"--server URL --adapter {adapter}" if plan.method == "tokens"
              else f"--server URL --model {model} (no --adapter: the weights are merged)")
    click.echo(f"serve it with: {plan.command()}\nthen: extract-entities MAILBOX {client}", err=True)
