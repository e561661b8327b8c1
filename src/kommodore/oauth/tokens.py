"""Opaque codes and refresh tokens, and Kommo's lifetimes for them.

A code or refresh token is ``<account_id>.<64 url-safe characters>``: the token endpoint finds
the account from the value itself (it may be called on a host that names no account), then
looks the SHA-256 of the whole string up by primary key ``(account_id, hash)``. Only hashes
are stored, so a database dump gives no usable token.
"""

from __future__ import annotations

import hashlib
import re
import secrets

CODE_LIFETIME = 20 * 60
"""Authorization codes live 20 minutes."""
ACCESS_LIFETIME = 86_400
"""Access tokens: 24 hours (``expires_in: 86400``)."""
REFRESH_LIFETIME = 90 * 86_400
"""Refresh tokens: "3 months", taken as 90 days."""
RETENTION = 7 * 86_400
"""How long codes, refresh tokens and access-token records are kept past their expiry: an
expired one presented meanwhile is told "has expired" rather than "cannot decrypt", and a
code replayed within it still revokes what it issued (RFC 6749 §4.1.2)."""

MAX_ACCOUNT_ID = 2**63 - 1
_OPAQUE = re.compile(r"([1-9][0-9]{0,18})\.([A-Za-z0-9_-]{64})")


def new_opaque(account_id: int) -> str:
    return f"{account_id}.{secrets.token_urlsafe(48)}"


def hash_of(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def account_of(value: str) -> int | None:
    """The account id inside a well-formed code or refresh token; None for anything else
    (which is then never sent to the database)."""
    match = _OPAQUE.fullmatch(value)
    if match is None:
        return None
    account_id = int(match.group(1))
    return account_id if account_id <= MAX_ACCOUNT_ID else None
