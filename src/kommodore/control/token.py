"""The control plane's own bearer token: a setting, or a random one kept in the data dir with
the signing key, so that the CLI and a test harness on the same machine can read it."""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

from kommodore.settings import Settings

TOKEN_FILE = "control-token"  # noqa: S105 (a file name, not a secret)


def control_token(settings: Settings) -> str:
    """The configured token, or the data dir's, created (mode 0600) on first use."""
    if settings.control_token:
        return settings.control_token
    path = Path(settings.data_dir) / TOKEN_FILE
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process wrote it first: theirs wins
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(token + "\n")
    return token


def matches(expected: str, authorization: str | None) -> bool:
    """``Authorization: Bearer <token>`` against the control token, in constant time."""
    scheme, _, given = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), expected.encode()
    )
