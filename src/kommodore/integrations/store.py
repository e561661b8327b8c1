"""SQL for OAuth clients (``integrations``, a reference table) and their installs per account."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import NamedTuple

from kommodore.db.database import Connection, Row, fetch_column, fetch_row, sql


@dataclass(frozen=True, slots=True)
class Integration:
    """One row of ``integrations``; ``secret`` never leaves the server except to its owner."""

    id: str
    secret: str
    name: str
    redirect_uri: str
    revocation_url: str | None
    scopes: tuple[str, ...]
    is_private: bool
    owner_account_id: int | None
    disabled_at: int | None
    created_at: int


class Installation(NamedTuple):
    account_id: int
    integration_id: str
    installed_by: int
    installed_at: int
    removed_at: int | None

    @property
    def live(self) -> bool:
        return self.removed_at is None


INSERT = sql(
    "INSERT INTO integrations (id, secret, name, redirect_uri, revocation_url, scopes, "
    "is_private, owner_account_id, disabled_at, created_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, $9)"
)
_SELECT = (
    "SELECT id, secret, name, redirect_uri, revocation_url, scopes, is_private, "
    "owner_account_id, disabled_at, created_at FROM integrations "
)
BY_ID = sql(_SELECT + "WHERE id = $1")
ALL = sql(_SELECT + "ORDER BY created_at, id")
DISABLE = sql(
    "UPDATE integrations SET disabled_at = $2 WHERE id = $1 AND disabled_at IS NULL RETURNING id"
)

INSTALLATION = sql(
    "SELECT account_id, integration_id, installed_by, installed_at, removed_at "
    "FROM account_integrations WHERE account_id = $1 AND integration_id = $2"
)
INSTALL = sql(
    "INSERT INTO account_integrations "
    "(account_id, integration_id, installed_by, installed_at, removed_at) "
    "VALUES ($1, $2, $3, $4, NULL) "
    "ON CONFLICT (account_id, integration_id) DO UPDATE SET "
    "installed_by = excluded.installed_by, installed_at = excluded.installed_at, "
    "removed_at = NULL WHERE account_integrations.removed_at IS NOT NULL"
)
REMOVE = sql(
    "UPDATE account_integrations SET removed_at = $3 "
    "WHERE account_id = $1 AND integration_id = $2 AND removed_at IS NULL RETURNING account_id"
)
# The one statement here without account_id: an operator disabling an integration must reach
# every account that installed it (a fan-out on Citus; it runs once per disable, never per
# request).
LIVE_INSTALLS = sql(
    "SELECT account_id FROM account_integrations "
    "WHERE integration_id = $1 AND removed_at IS NULL ORDER BY account_id"
)

REVOKE_API_TOKENS = sql(
    "UPDATE api_tokens SET revoked_at = $3 "
    "WHERE account_id = $1 AND integration_id = $2 AND revoked_at IS NULL"
)
REVOKE_REFRESH_TOKENS = sql(
    "UPDATE refresh_tokens SET revoked_at = $3 "
    "WHERE account_id = $1 AND integration_id = $2 AND revoked_at IS NULL"
)
SPEND_CODES = sql(
    "UPDATE oauth_codes SET used_at = $3 "
    "WHERE account_id = $1 AND integration_id = $2 AND used_at IS NULL AND expires_at > $3"
)


def _integration(row: Row) -> Integration:
    """Built by column name; the scopes are stored as JSON, the flag as 0/1 on SQLite."""
    return Integration(
        **{**row, "scopes": tuple(json.loads(row["scopes"])), "is_private": bool(row["is_private"])}
    )


async def insert(conn: Connection, integration: Integration) -> None:
    await conn.execute(
        INSERT,
        integration.id,
        integration.secret,
        integration.name,
        integration.redirect_uri,
        integration.revocation_url,
        json.dumps(list(integration.scopes)),
        integration.is_private,
        integration.owner_account_id,
        integration.created_at,
    )


async def find(conn: Connection, integration_id: str) -> Integration | None:
    row = await conn.fetch_one(BY_ID, integration_id)
    return None if row is None else _integration(row)


async def all_integrations(conn: Connection) -> list[Integration]:
    return [_integration(row) for row in await conn.fetch_all(ALL)]


async def disable(conn: Connection, integration_id: str, now: int) -> bool:
    """True when the integration was active and is now disabled."""
    return await conn.fetch_one(DISABLE, integration_id, now) is not None


async def installation(
    conn: Connection, account_id: int, integration_id: str
) -> Installation | None:
    return await fetch_row(conn, Installation, INSTALLATION, account_id, integration_id)


async def install(
    conn: Connection, account_id: int, integration_id: str, user_id: int, now: int
) -> None:
    """Insert, or clear ``removed_at`` of a removed install; a live install is left as it is."""
    await conn.execute(INSTALL, account_id, integration_id, user_id, now)


async def remove(conn: Connection, account_id: int, integration_id: str, now: int) -> bool:
    """True when a live install existed and is now removed."""
    return await conn.fetch_one(REMOVE, account_id, integration_id, now) is not None


async def live_installs(conn: Connection, integration_id: str) -> list[int]:
    return [int(i) for i in await fetch_column(conn, LIVE_INSTALLS, integration_id)]


async def revoke_all_tokens(
    conn: Connection, account_id: int, integration_id: str, now: int
) -> None:
    """Every access, long-lived and refresh token of the integration in the account, and the
    codes not yet exchanged: a later re-install starts from a new consent."""
    await conn.execute(REVOKE_API_TOKENS, account_id, integration_id, now)
    await conn.execute(REVOKE_REFRESH_TOKENS, account_id, integration_id, now)
    await conn.execute(SPEND_CODES, account_id, integration_id, now)
