"""Token records and the user columns that rights need."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

from kommodore.auth.rights import Code, Visibility
from kommodore.auth.tokens import Claims
from kommodore.db.database import Connection, fetch_column, fetch_row, fetch_value, sql


class AccountRef(NamedTuple):
    """The account a request is for, as authentication finds it."""

    id: int
    subdomain: str
    paid_till: int | None


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
    integration_live: bool = True
    """False when the token's integration is disabled, or not (or no longer) installed in the
    account. Tokens of integrations without a row (the CLI's built-in one) are always live."""
    context_user: UserRecord | None = None
    """The user an ``X-Context-User-ID`` header names, read in the token's statement; None when
    the request names none or no such user exists."""


class _UserColumns(NamedTuple):
    id: int
    group_id: int | None
    is_admin: bool
    is_active: bool
    is_free: bool
    rights: str


class _AccountToken(NamedTuple):
    """The account, its token ``jti``, the token's integration and install, and its user.
    Every column after ``paid_till`` is NULL where its join found nothing: the user's are
    read only once ``token_user_id`` says the user exists."""

    account_id: int
    subdomain: str
    paid_till: int | None
    user_id: int | None
    revoked_at: int | None
    integration_id: str | None
    disabled_at: int | None
    installed_at: int | None
    removed_at: int | None
    token_user_id: int | None
    group_id: int | None
    is_admin: bool
    is_active: bool
    is_free: bool
    rights: str


AUTH_COLUMNS = (
    "a.id, a.subdomain, a.paid_till, t.user_id, t.revoked_at, "
    "i.id, i.disabled_at, ai.installed_at, ai.removed_at, "
    "u.id, u.group_id, u.is_admin, u.is_active, u.is_free, u.rights"
)
"""The columns of :class:`_AccountToken`, in its order; a statement that starts with them and
joins ``AUTH_JOINS`` is read by :func:`account_token`."""
AUTH_COLUMN_COUNT = len(_AccountToken._fields)
AUTH_JOINS = (
    "FROM accounts a "
    "LEFT JOIN api_tokens t ON t.account_id = a.id AND t.jti = $2 "
    "LEFT JOIN integrations i ON i.id = t.integration_id "
    "LEFT JOIN account_integrations ai "
    "ON ai.account_id = t.account_id AND ai.integration_id = t.integration_id "
    "LEFT JOIN users u ON u.account_id = t.account_id AND u.id = t.user_id"
)
"""The account ``$1`` (its ``WHERE a.id = $1`` is the caller's), the token ``$2`` recorded for it,
the token's integration and its install there, and the token's user: every join on a primary key.
The account is always the signed token's ``account_id``, so on Citus the statement is
single-shard; a Host's subdomain is compared with the account's afterwards."""
ACCOUNT_TOKEN = sql(f"SELECT {AUTH_COLUMNS} {AUTH_JOINS} WHERE a.id = $1")
CONTEXT_COLUMNS = "cu.id, cu.group_id, cu.is_admin, cu.is_active, cu.is_free, cu.rights"
"""The user ``X-Context-User-ID`` names, as :class:`_UserColumns`, after ``AUTH_COLUMNS``."""
CONTEXT_COLUMN_COUNT = len(_UserColumns._fields)


def context_join(param: str) -> str:
    """Joins the user ``param`` names in the token's account, as ``cu``, to ``AUTH_JOINS``."""
    return f"LEFT JOIN users cu ON cu.account_id = a.id AND cu.id = {param}"


ACCOUNT_TOKEN_AS = sql(
    f"SELECT {AUTH_COLUMNS}, {CONTEXT_COLUMNS} {AUTH_JOINS} {context_join('$3')} WHERE a.id = $1"
)
"""``ACCOUNT_TOKEN`` with the user of ``X-Context-User-ID`` (``$3``): still one statement."""
USER = sql(
    "SELECT id, group_id, is_admin, is_active, is_free, rights FROM users "
    "WHERE account_id = $1 AND id = $2"
)
FIRST_ADMIN = sql(
    "SELECT id FROM users WHERE account_id = $1 AND is_admin AND is_active ORDER BY id LIMIT 1"
)
INSERT_TOKEN = sql(
    "INSERT INTO api_tokens (account_id, jti, user_id, integration_id, kind, scopes, "
    "issued_at, expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL)"
)
_EXPIRED_TOKENS = "SELECT jti FROM api_tokens WHERE account_id = $1 AND expires_at < $2 LIMIT $3"
PURGE_TOKENS = sql(
    # account_id pinned outside the subquery too (one shard); ARRAY(...) runs the locking read
    # once, where an IN could be re-run per row and delete past $3 (as oauth/store.py's purges)
    "DELETE FROM api_tokens WHERE account_id = $1 AND jti = ANY(ARRAY("  # noqa: S608 (constants)
    f"{_EXPIRED_TOKENS} FOR UPDATE SKIP LOCKED)) RETURNING jti",
    sqlite=f"DELETE FROM api_tokens WHERE account_id = $1 AND jti IN ({_EXPIRED_TOKENS}) "  # noqa: S608
    "RETURNING jti",
)
"""One account's token records expired before ``$2``, at most ``$3``: an expired JWT is refused
before its record is read, so the record serves nothing."""
REVOKE_TOKEN = sql(
    "UPDATE api_tokens SET revoked_at = $2 WHERE jti = $1 AND revoked_at IS NULL "
    "RETURNING account_id"
)


def _user(r: _UserColumns | _AccountToken, user_id: int) -> UserRecord:
    return UserRecord(
        id=user_id,
        group_id=0 if r.group_id is None else r.group_id,
        is_admin=bool(r.is_admin),
        is_active=bool(r.is_active),
        is_free=bool(r.is_free),
        rights_json=r.rights,
    )


def account_token(columns: Sequence[Any]) -> tuple[AccountRef, TokenRecord | None]:
    """The account and the token recorded for it with its user, from ``AUTH_COLUMNS``' values
    (a whole row of ``ACCOUNT_TOKEN`` or the head of a statement that starts with them); no
    token when no record or no user was found."""
    r = _AccountToken(*columns)
    ref = AccountRef(r.account_id, r.subdomain, r.paid_till)
    if r.user_id is None or r.token_user_id is None:
        return ref, None
    # no integrations row: the CLI's built-in integration, always live
    live = r.integration_id is None or (
        r.disabled_at is None and r.installed_at is not None and r.removed_at is None
    )
    return ref, TokenRecord(
        user_id=r.user_id,
        revoked_at=r.revoked_at,
        user=_user(r, r.token_user_id),
        integration_live=live,
    )


def with_context_user(token: TokenRecord | None, columns: Sequence[Any]) -> TokenRecord | None:
    """``token`` with the context user read beside it (``CONTEXT_COLUMNS``' values)."""
    if token is None:
        return None
    r = _UserColumns(*columns)
    return replace(token, context_user=None if r.id is None else _user(r, r.id))


async def find_account_token(
    conn: Connection, account_id: int, jti: str, context_user_id: int | None = None
) -> tuple[AccountRef | None, TokenRecord | None]:
    """The account and the token ``jti`` recorded for it with its user (and the user
    ``context_user_id`` names, when given), in one statement: this runs on every request that
    has no statement of its own to join it to."""
    if context_user_id is None:
        r = await conn.fetch_one(ACCOUNT_TOKEN, account_id, jti)
        return (None, None) if r is None else account_token(r)
    r = await conn.fetch_one(ACCOUNT_TOKEN_AS, account_id, jti, context_user_id)
    if r is None:
        return None, None
    values = tuple(r)
    account, token = account_token(values[:AUTH_COLUMN_COUNT])
    return account, with_context_user(token, values[AUTH_COLUMN_COUNT:])


async def find_user(conn: Connection, account_id: int, user_id: int) -> UserRecord | None:
    r = await fetch_row(conn, _UserColumns, USER, account_id, user_id)
    return None if r is None else _user(r, r.id)


async def first_admin_id(conn: Connection, account_id: int) -> int | None:
    """The account's first active admin (lowest id), whom ``--admin`` tokens act as."""
    found = await fetch_value(conn, FIRST_ADMIN, account_id)
    return None if found is None else int(found)


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


async def purge_tokens(conn: Connection, account_id: int, before: int, limit: int) -> int:
    """Delete up to ``limit`` of the account's token records that expired before ``before``."""
    return len(await fetch_column(conn, PURGE_TOKENS, account_id, before, limit))


async def revoke_token(conn: Connection, jti: str, now: int) -> bool:
    """True when a live token with that id existed and is now revoked."""
    return await conn.fetch_one(REVOKE_TOKEN, jti, now) is not None


def lead_visibility_sql(v: Visibility, bind: Callable[[int], str]) -> str | None:
    """The rights of Kommo's API as a predicate on the leads aliased ``l``; None when the actor
    sees every lead. ``bind`` binds a value as the statement's next parameter and gives its
    mark (``Where.arg``): the rights' ids and stages are parameters like every other value, so
    the text depends only on the rights' shape."""
    if v.everything:
        return None

    def allowed(code: Code) -> str | None:
        if code == "A":
            return "1 = 1"
        if code == "G":
            return f"l.group_id = {bind(v.group_id)}"
        if code == "M":
            return f"l.responsible_user_id = {bind(v.user_id)}"
        return None

    def stage(p: int, s: int) -> str:
        return f"(l.pipeline_id = {bind(p)} AND l.status_id = {bind(s)})"

    clauses = []
    for code in ("A", "G", "M"):  # every value is bound once, where its mark is used
        stages = [(p, s) for (p, s), c in v.stages.items() if c == code]
        if stages:
            listed = " OR ".join(stage(p, s) for p, s in stages)
            clauses.append(f"(({listed}) AND {allowed(code)})")
    general = allowed(v.general)
    if general:
        if v.stages:
            others = " OR ".join(stage(p, s) for p, s in v.stages)
            clauses.append(f"(NOT ({others}) AND {general})")
        else:
            clauses.append(general)
    return "(" + " OR ".join(clauses) + ")" if clauses else "1 = 0"


USER_EXISTS = sql("SELECT id FROM users WHERE account_id = $1 AND id = $2")


async def user_exists(conn: Connection, account_id: int, user_id: int) -> bool:
    return await conn.fetch_one(USER_EXISTS, account_id, user_id) is not None
