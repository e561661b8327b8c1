"""What the running app holds for every request: settings, the database and the token keys."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kommodore.auth.keys import SigningKey
from kommodore.auth.tokens import TokenVerifier
from kommodore.db.database import Database
from kommodore.settings import Settings

if TYPE_CHECKING:
    from kommodore.ratelimit.service import RateLimiter


@dataclass(slots=True)
class AppContext:
    settings: Settings
    db: Database
    signing_key: SigningKey
    verifier: TokenVerifier
    limiter: RateLimiter | None = None
    """Kommo's request limit; None when ``KOMMODORE_RATE_LIMIT_ENABLED=false``."""


_settings: ContextVar[Settings] = ContextVar("kommodore_settings")


def current_settings() -> Settings:
    """The settings of the app (or command) this code runs for. Deep code that has no
    ``AppContext`` at hand (the webhook outbox, inside a write) reads them here, never from
    the environment: two apps in one process each see their own."""
    try:
        return _settings.get()
    except LookupError:
        raise RuntimeError("no app settings in this context: wrap the call in using()") from None


def enter(settings: Settings) -> None:
    """Make ``settings`` current for the rest of this task (an API request)."""
    _settings.set(settings)


@contextmanager
def using(settings: Settings) -> Iterator[Settings]:
    """Make ``settings`` current within the block (commands, tests, background work)."""
    token = _settings.set(settings)
    try:
        yield settings
    finally:
        _settings.reset(token)
