"""``kommodore user ...``: managing people who sign in to the consent page."""

from __future__ import annotations

import click


@click.group()
def user() -> None:
    """Users who sign in to the OAuth consent page."""
