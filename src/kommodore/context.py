"""What the running app holds for every request: settings, the database and the token keys."""

from __future__ import annotations

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
    """Spec §9.1's request limit; None when ``KOMMODORE_RATE_LIMIT_ENABLED=false``."""
