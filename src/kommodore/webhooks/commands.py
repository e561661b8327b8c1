"""``kommodore worker``: the webhook delivery worker as its own process."""

from __future__ import annotations

import click


@click.command()
def worker() -> None:
    """Deliver queued webhooks (several workers may run at once)."""
    raise click.ClickException("not built yet")
