"""SQL for authorization codes and refresh tokens; every statement is keyed by account_id.

Rows that a grant changes are read ``FOR UPDATE`` on PostgreSQL, so two requests exchanging the
same code or refresh token run one after the other; SQLite needs no lock clause, since its
transactions take the single writer (``BEGIN IMMEDIATE``) before reading.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kommodore.db.database import Connection, Query, sql


@dataclass(frozen=True, slots=True)
class CodeRow:
    integration_id: str
    user_id: int
    redirect_uri: str
    scopes: tuple[str, ...]
    expires_at: int
    used_at: int | None


@dataclass(frozen=True, slots=True)
class RefreshRow:
    token_hash: str
    integration_id: str
    user_id: int
    scopes: tuple[str, ...]
    access_jti: str
    parent_hash: str | None
    issued_at: int
    expires_at: int
    used_at: int | None
    revoked_at: int | None


def _locking(select: str) -> Query:
    return sql(select + " FOR UPDATE")


INSERT_CODE = sql(
    "INSERT INTO oauth_codes (account_id, code_hash, integration_id, user_id, redirect_uri, "
    "scopes, created_at, expires_at, used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL)"
)
CODE_FOR_UPDATE = _locking(
    "SELECT integration_id, user_id, redirect_uri, scopes, expires_at, used_at "
    "FROM oauth_codes WHERE account_id = $1 AND code_hash = $2"
)
USE_CODE = sql("UPDATE oauth_codes SET used_at = $3 WHERE account_id = $1 AND code_hash = $2")

_REFRESH_COLUMNS = (
    "token_hash, integration_id, user_id, scopes, access_jti, parent_hash, issued_at, "
    "expires_at, used_at, revoked_at"
)
INSERT_REFRESH = sql(
    "INSERT INTO refresh_tokens (account_id, token_hash, integration_id, user_id, scopes, "
    "access_jti, parent_hash, issued_at, expires_at, used_at, revoked_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, NULL)"
)
_REFRESH = (
    f"SELECT {_REFRESH_COLUMNS} FROM refresh_tokens WHERE account_id = $1 AND token_hash = $2"
)
REFRESH = sql(_REFRESH)
REFRESH_FOR_UPDATE = _locking(_REFRESH)
MARK_REFRESH_USED = sql(
    "UPDATE refresh_tokens SET used_at = $3 "
    "WHERE account_id = $1 AND token_hash = $2 AND used_at IS NULL"
)
REVOKE_REFRESH = sql(
    "UPDATE refresh_tokens SET revoked_at = $3 "
    "WHERE account_id = $1 AND token_hash = $2 AND revoked_at IS NULL"
)
# Not a primary-key lookup: a range of the account's refresh tokens. It runs only when a
# refresh token is exchanged a second time (a lost answer, or a race).
UNUSED_CHILDREN = sql(
    "SELECT token_hash FROM refresh_tokens WHERE account_id = $1 AND parent_hash = $2 "
    "AND used_at IS NULL AND revoked_at IS NULL"
)
# Everything descended from a code (the first refresh token's parent_hash is the code's hash):
# run only when a code is replayed (RFC 6749 §4.1.2).
DESCENDANTS = sql(
    "WITH RECURSIVE chain(token_hash, access_jti) AS ("
    "SELECT token_hash, access_jti FROM refresh_tokens WHERE account_id = $1 AND parent_hash = $2 "
    "UNION ALL "
    "SELECT r.token_hash, r.access_jti FROM refresh_tokens r JOIN chain c "
    "ON r.account_id = $1 AND r.parent_hash = c.token_hash"
    ") SELECT token_hash, access_jti FROM chain"
)
REVOKE_ACCESS = sql(
    "UPDATE api_tokens SET revoked_at = $3 "
    "WHERE account_id = $1 AND jti = $2 AND revoked_at IS NULL"
)


def _scopes(text: str) -> tuple[str, ...]:
    return tuple(json.loads(text))


async def insert_code(
    conn: Connection,
    *,
    account_id: int,
    code_hash: str,
    integration_id: str,
    user_id: int,
    redirect_uri: str,
    scopes: Sequence[str],
    created_at: int,
    expires_at: int,
) -> None:
    await conn.execute(
        INSERT_CODE,
        account_id,
        code_hash,
        integration_id,
        user_id,
        redirect_uri,
        json.dumps(list(scopes)),
        created_at,
        expires_at,
    )


async def lock_code(conn: Connection, account_id: int, code_hash: str) -> CodeRow | None:
    row = await conn.fetch_one(CODE_FOR_UPDATE, account_id, code_hash)
    if row is None:
        return None
    return CodeRow(row[0], row[1], row[2], _scopes(row[3]), row[4], row[5])


async def use_code(conn: Connection, account_id: int, code_hash: str, now: int) -> None:
    await conn.execute(USE_CODE, account_id, code_hash, now)


def _refresh(row: Any) -> RefreshRow:
    return RefreshRow(
        token_hash=row[0],
        integration_id=row[1],
        user_id=row[2],
        scopes=_scopes(row[3]),
        access_jti=row[4],
        parent_hash=row[5],
        issued_at=row[6],
        expires_at=row[7],
        used_at=row[8],
        revoked_at=row[9],
    )


async def insert_refresh(
    conn: Connection,
    *,
    account_id: int,
    token_hash: str,
    integration_id: str,
    user_id: int,
    scopes: Sequence[str],
    access_jti: str,
    parent_hash: str,
    issued_at: int,
    expires_at: int,
) -> None:
    await conn.execute(
        INSERT_REFRESH,
        account_id,
        token_hash,
        integration_id,
        user_id,
        json.dumps(list(scopes)),
        access_jti,
        parent_hash,
        issued_at,
        expires_at,
    )


async def find_refresh(conn: Connection, account_id: int, token_hash: str) -> RefreshRow | None:
    row = await conn.fetch_one(REFRESH, account_id, token_hash)
    return None if row is None else _refresh(row)


async def lock_refresh(conn: Connection, account_id: int, token_hash: str) -> RefreshRow | None:
    row = await conn.fetch_one(REFRESH_FOR_UPDATE, account_id, token_hash)
    return None if row is None else _refresh(row)


async def mark_refresh_used(conn: Connection, account_id: int, token_hash: str, now: int) -> None:
    await conn.execute(MARK_REFRESH_USED, account_id, token_hash, now)


async def revoke_refresh(
    conn: Connection, account_id: int, token_hashes: Sequence[str], now: int
) -> None:
    await conn.execute_many(REVOKE_REFRESH, [(account_id, h, now) for h in token_hashes])


async def unused_children(conn: Connection, account_id: int, token_hash: str) -> list[str]:
    return [row[0] for row in await conn.fetch_all(UNUSED_CHILDREN, account_id, token_hash)]


async def descendants(conn: Connection, account_id: int, parent_hash: str) -> list[tuple[str, str]]:
    """(token_hash, access_jti) of every refresh token issued from ``parent_hash`` onwards."""
    rows = await conn.fetch_all(DESCENDANTS, account_id, parent_hash)
    return [(row[0], row[1]) for row in rows]


async def revoke_access(conn: Connection, account_id: int, jtis: Sequence[str], now: int) -> None:
    await conn.execute_many(REVOKE_ACCESS, [(account_id, jti, now) for jti in jtis])


ACCOUNT = sql("SELECT id, subdomain FROM accounts WHERE id = $1")


async def account_subdomain(conn: Connection, account_id: int) -> str | None:
    row = await conn.fetch_one(ACCOUNT, account_id)
    return None if row is None else str(row[1])
