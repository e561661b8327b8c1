"""What the running app holds for every request: settings, the database and the token keys."""

from __future__ import annotations

from dataclasses import dataclass

from kommodore.auth.keys import SigningKey
from kommodore.auth.tokens import TokenVerifier
from kommodore.db.database import Database
from kommodore.settings import Settings


@dataclass(slots=True)
class AppContext:
    settings: Settings
    db: Database
    signing_key: SigningKey
    verifier: TokenVerifier
