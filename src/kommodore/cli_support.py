"""What the command modules share (``cli.py`` and every domain's ``commands.py``): running a
coroutine against the database the settings name, and reading the signing key, each failing as
one line a user can act on."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from kommodore.errors import UserError
from kommodore.settings import Settings

if TYPE_CHECKING:
    from kommodore.auth.keys import SigningKey
    from kommodore.db.database import Database

T = TypeVar("T")


def run_with_database(
    work: Callable[[Database], Awaitable[T]], settings: Settings | None = None
) -> T:
    """Run ``work`` on the database of ``settings`` (by default, of the environment), closed
    afterwards. A database without kommodore's schema is refused (``db.guard.open_existing``),
    so a command run from the wrong directory creates nothing."""
    from kommodore.db.guard import open_existing

    async def run() -> T:
        chosen = settings or Settings()
        db = await open_existing(chosen.resolved_database_url, pooler=chosen.database_pooler)
        try:
            return await work(db)
        finally:
            await db.close()

    return asyncio.run(run())


def signing_key(settings: Settings) -> SigningKey:
    """The signing key, or one line saying why it cannot be read."""
    from kommodore.auth.keys import KEY_FILE, load_signing_key

    where = (
        "KOMMODORE_JWT_PRIVATE_KEY"
        if settings.jwt_private_key
        else str(settings.data_dir / KEY_FILE)
    )
    try:
        return load_signing_key(settings.jwt_private_key, settings.data_dir)
    except (OSError, ValueError, TypeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc).splitlines()[0]
        raise UserError(
            f"cannot load the JWT signing key from {where} ({reason}): fix its permissions "
            "or content, or remove the file to have a new key generated"
        ) from None
