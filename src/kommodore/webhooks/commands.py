"""``kommodore worker``: the delivery worker (webhooks, revocation notices) as a process."""

from __future__ import annotations

import asyncio
import signal

import click


@click.command()
@click.option(
    "--until-idle",
    is_flag=True,
    help="Exit once nothing is due (scripts, tests) instead of waiting for more.",
)
def worker(until_idle: bool) -> None:
    """Deliver queued webhooks and revocation notices (several workers may run at once)."""
    from kommodore.db.guard import open_existing
    from kommodore.logging import configure_logging
    from kommodore.outbound import OutboundPolicy
    from kommodore.settings import Settings
    from kommodore.webhooks.worker import run_worker

    settings = Settings()
    configure_logging(settings.resolved_log_format, settings.log_level)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        db = await open_existing(settings.resolved_database_url, pooler=settings.database_pooler)
        try:
            await run_worker(
                db, settings.webhooks, stop, until_idle=until_idle,
                outbound=OutboundPolicy.from_settings(settings),
            )  # fmt: skip
        finally:
            await db.close()

    asyncio.run(run())
