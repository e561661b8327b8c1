"""SQL for authorization codes and refresh tokens; every statement is keyed by account_id.

Rows that a grant changes are read ``FOR UPDATE`` on PostgreSQL, so two requests exchanging the
same code or refresh token run one after the other; SQLite needs no lock clause, since its
transactions take the single writer (``BEGIN IMMEDIATE``) before reading.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import NamedTuple

from kommodore.db.database import (
    Connection,
    Query,
    fetch_column,
    fetch_row,
    fetch_rows,
    fetch_value,
    sql,
)


class CodeRow(NamedTuple):
    integration_id: str
    user_id: int
    redirect_uri: str
    scopes: str
    """JSON list: :func:`scopes_of` reads it."""
    expires_at: int
    used_at: int | None


class RefreshRow(NamedTuple):
    token_hash: str
    integration_id: str
    user_id: int
    scopes: str
    """JSON list: :func:`scopes_of` reads it."""
    access_jti: str
    parent_hash: str | None
    issued_at: int
    expires_at: int
    used_at: int | None
    revoked_at: int | None


class Consent(NamedTuple):
    """What a code and every refresh token descended from it carry: a user's consent to an
    integration in an account, with the scopes it grants."""

    account_id: int
    integration_id: str
    user_id: int
    scopes: tuple[str, ...]


class Issued(NamedTuple):
    token_hash: str
    access_jti: str


INSERT_CODE = sql(
    "INSERT INTO oauth_codes (account_id, code_hash, integration_id, user_id, redirect_uri, "
    "scopes, created_at, expires_at, used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL)"
)
CODE_FOR_UPDATE = sql(
    "SELECT integration_id, user_id, redirect_uri, scopes, expires_at, used_at "
    "FROM oauth_codes WHERE account_id = $1 AND code_hash = $2 FOR UPDATE"
)
USE_CODE = sql("UPDATE oauth_codes SET used_at = $3 WHERE account_id = $1 AND code_hash = $2")

INSERT_REFRESH = sql(
    "INSERT INTO refresh_tokens (account_id, token_hash, integration_id, user_id, scopes, "
    "access_jti, parent_hash, issued_at, expires_at, used_at, revoked_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, NULL)"
)
_REFRESH = (
    "SELECT token_hash, integration_id, user_id, scopes, access_jti, parent_hash, issued_at, "
    "expires_at, used_at, revoked_at FROM refresh_tokens WHERE account_id = $1 AND token_hash = $2"
)
REFRESH = sql(_REFRESH)
REFRESH_FOR_UPDATE = sql(_REFRESH + " FOR UPDATE")
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


def scopes_of(text: str) -> tuple[str, ...]:
    """The scopes a code or refresh token grants, from their stored JSON."""
    return tuple(json.loads(text))


async def insert_code(
    conn: Connection,
    consent: Consent,
    *,
    code_hash: str,
    redirect_uri: str,
    created_at: int,
    expires_at: int,
) -> None:
    await conn.execute(
        INSERT_CODE,
        consent.account_id,
        code_hash,
        consent.integration_id,
        consent.user_id,
        redirect_uri,
        json.dumps(list(consent.scopes)),
        created_at,
        expires_at,
    )


async def lock_code(conn: Connection, account_id: int, code_hash: str) -> CodeRow | None:
    return await fetch_row(conn, CodeRow, CODE_FOR_UPDATE, account_id, code_hash)


async def use_code(conn: Connection, account_id: int, code_hash: str, now: int) -> None:
    await conn.execute(USE_CODE, account_id, code_hash, now)


async def insert_refresh(
    conn: Connection,
    consent: Consent,
    *,
    token_hash: str,
    access_jti: str,
    parent_hash: str,
    issued_at: int,
    expires_at: int,
) -> None:
    await conn.execute(
        INSERT_REFRESH,
        consent.account_id,
        token_hash,
        consent.integration_id,
        consent.user_id,
        json.dumps(list(consent.scopes)),
        access_jti,
        parent_hash,
        issued_at,
        expires_at,
    )


async def find_refresh(conn: Connection, account_id: int, token_hash: str) -> RefreshRow | None:
    return await fetch_row(conn, RefreshRow, REFRESH, account_id, token_hash)


async def lock_refresh(conn: Connection, account_id: int, token_hash: str) -> RefreshRow | None:
    return await fetch_row(conn, RefreshRow, REFRESH_FOR_UPDATE, account_id, token_hash)


async def mark_refresh_used(conn: Connection, account_id: int, token_hash: str, now: int) -> None:
    await conn.execute(MARK_REFRESH_USED, account_id, token_hash, now)


async def revoke_refresh(
    conn: Connection, account_id: int, token_hashes: Sequence[str], now: int
) -> None:
    await conn.execute_many(REVOKE_REFRESH, [(account_id, h, now) for h in token_hashes])


async def unused_children(conn: Connection, account_id: int, token_hash: str) -> list[str]:
    return await fetch_column(conn, UNUSED_CHILDREN, account_id, token_hash)


async def descendants(conn: Connection, account_id: int, parent_hash: str) -> list[Issued]:
    """Every refresh token (and its access token) issued from ``parent_hash`` onwards."""
    return await fetch_rows(conn, Issued, DESCENDANTS, account_id, parent_hash)


async def revoke_access(conn: Connection, account_id: int, jtis: Sequence[str], now: int) -> None:
    await conn.execute_many(REVOKE_ACCESS, [(account_id, jti, now) for jti in jtis])


# -- purging what expired (see kommodore.oauth.service.purge_expired) -----------------------

# One account's rows past ``$2``, at most ``$3``, through the (account_id, expires_at) index,
# ``account_id`` pinned outside the subquery too, so Citus routes the whole statement to one shard;
# PostgreSQL skips rows another transaction holds (a grant, or another purge) rather than wait.
_PURGE = "DELETE FROM {table} WHERE account_id = $1 AND {key} {due} RETURNING {key}"
_EXPIRED = "SELECT {key} FROM {table} WHERE account_id = $1 AND expires_at < $2 LIMIT $3"


def _purge(table: str, key: str) -> Query:
    """``ARRAY(...)`` runs the locking read once on PostgreSQL: planned as a join, an ``IN``
    may run it again per row, each run skipping what the last locked, deleting past ``$3``."""
    expired = _EXPIRED.format(table=table, key=key)
    return sql(
        _PURGE.format(table=table, key=key, due=f"= ANY(ARRAY({expired} FOR UPDATE SKIP LOCKED))"),
        sqlite=_PURGE.format(table=table, key=key, due=f"IN ({expired})"),
    )


PURGE_CODES = _purge("oauth_codes", "code_hash")
PURGE_REFRESH = _purge("refresh_tokens", "token_hash")


async def purge_codes(conn: Connection, account_id: int, before: int, limit: int) -> int:
    """Delete up to ``limit`` of the account's codes that expired before ``before``."""
    return len(await fetch_column(conn, PURGE_CODES, account_id, before, limit))


async def purge_refresh(conn: Connection, account_id: int, before: int, limit: int) -> int:
    """Delete up to ``limit`` of the account's refresh tokens that expired before ``before``."""
    return len(await fetch_column(conn, PURGE_REFRESH, account_id, before, limit))


ACCOUNT_IDS = sql("SELECT id FROM accounts WHERE id > $1 ORDER BY id LIMIT $2")


async def account_ids_after(conn: Connection, after: int, limit: int) -> list[int]:
    """The next ``limit`` accounts' ids after ``after``, for a sweep of every account."""
    return [int(i) for i in await fetch_column(conn, ACCOUNT_IDS, after, limit)]


ACCOUNT_SUBDOMAIN = sql("SELECT subdomain FROM accounts WHERE id = $1")


async def account_subdomain(conn: Connection, account_id: int) -> str | None:
    subdomain = await fetch_value(conn, ACCOUNT_SUBDOMAIN, account_id)
    return None if subdomain is None else str(subdomain)
