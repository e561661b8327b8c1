"""``kommodore lead delete|restore``: Kommo deletes and restores leads only in its UI."""

from __future__ import annotations

import click


@click.group()
def lead() -> None:
    """Delete and restore leads, with the webhooks and events Kommo would send."""
