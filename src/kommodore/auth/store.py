"""Token records and the user columns that rights need."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from kommodore.auth.tokens import Claims
from kommodore.db.database import Connection, sql


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: int
    group_id: int
    is_admin: bool
    is_active: bool
    is_free: bool
    rights_json: str


@dataclass(frozen=True, slots=True)
class TokenRecord:
    user_id: int
    revoked_at: int | None
    user: UserRecord


_USER_COLUMNS = "u.id, u.group_id, u.is_admin, u.is_active, u.is_free, u.rights"

TOKEN_WITH_USER = sql(
    f"SELECT t.user_id, t.revoked_at, {_USER_COLUMNS} FROM api_tokens t "
    "JOIN users u ON u.account_id = t.account_id AND u.id = t.user_id "
    "WHERE t.account_id = $1 AND t.jti = $2"
)
USER = sql(f"SELECT {_USER_COLUMNS} FROM users u WHERE u.account_id = $1 AND u.id = $2")
INSERT_TOKEN = sql(
    "INSERT INTO api_tokens (account_id, jti, user_id, integration_id, kind, scopes, "
    "issued_at, expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL)"
)
REVOKE_TOKEN = sql(
    "UPDATE api_tokens SET revoked_at = $2 WHERE jti = $1 AND revoked_at IS NULL "
    "RETURNING account_id"
)


def _user(row: Any, offset: int = 0) -> UserRecord:
    group_id = row[offset + 1]
    return UserRecord(
        id=row[offset],
        group_id=0 if group_id is None else group_id,
        is_admin=bool(row[offset + 2]),
        is_active=bool(row[offset + 3]),
        is_free=bool(row[offset + 4]),
        rights_json=row[offset + 5],
    )


async def find_token(conn: Connection, account_id: int, jti: str) -> TokenRecord | None:
    row = await conn.fetch_one(TOKEN_WITH_USER, account_id, jti)
    if row is None:
        return None
    return TokenRecord(user_id=row[0], revoked_at=row[1], user=_user(row, 2))


async def find_user(conn: Connection, account_id: int, user_id: int) -> UserRecord | None:
    row = await conn.fetch_one(USER, account_id, user_id)
    return None if row is None else _user(row)


async def insert_token(conn: Connection, claims: Claims, kind: str, issued_at: int) -> None:
    await conn.execute(
        INSERT_TOKEN,
        claims.account_id,
        claims.jti,
        claims.user_id,
        claims.integration_id,
        kind,
        json.dumps(list(claims.scopes)),
        issued_at,
        claims.expires_at,
    )


async def revoke_token(conn: Connection, jti: str, now: int) -> bool:
    """True when a live token with that id existed and is now revoked."""
    return await conn.fetch_one(REVOKE_TOKEN, jti, now) is not None
