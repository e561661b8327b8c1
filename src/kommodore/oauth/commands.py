"""``kommodore token purge``: forget expired codes, refresh tokens and access-token records.

Grants already purge their own account as they go (``oauth.service.purge_expired``); this
sweeps every account, for those that stopped granting. The command joins the ``token`` group
of ``integrations.commands`` in ``cli.py``: ``integrations`` sits below ``oauth``.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import click

from kommodore.cli_support import run_with_database

if TYPE_CHECKING:
    from kommodore.db.database import Database


@click.command("purge")
def token_purge() -> None:
    """Delete codes, refresh tokens and access-token records that expired over 7 days ago."""
    from kommodore.oauth.service import sweep

    async def work(db: Database) -> int:
        return await sweep(db, int(time.time()))

    click.echo(f"purged {run_with_database(work)} expired code and token rows", err=True)
