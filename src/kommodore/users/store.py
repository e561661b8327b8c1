"""User queries for the admin-only user reads."""

from __future__ import annotations

from typing import NamedTuple

from kommodore.db.database import Connection, fetch_row, fetch_rows, fetch_value, sql


class UserRow(NamedTuple):
    """A user as the reads show it; the flags are 0/1 on SQLite (the service makes them
    booleans for the wire)."""

    id: int
    name: str
    email: str
    lang: str
    uuid: str | None
    amojo_id: str | None
    is_admin: bool
    is_free: bool
    is_active: bool
    group_id: int | None
    """None: the default group 0."""
    role_id: int | None
    phone_number: str | None
    user_rank: str | None
    rights: str
    """JSON of the rights object minus the keys the columns above hold."""


class NameRow(NamedTuple):
    id: int
    name: str


COUNT = sql("SELECT count(*) FROM users WHERE account_id = $1")
_USERS = (
    "SELECT id, name, email, lang, uuid, amojo_id, is_admin, is_free, is_active, group_id, "
    "role_id, phone_number, user_rank, rights FROM users WHERE account_id = $1 "
)
PAGE = sql(_USERS + "ORDER BY id LIMIT $2 OFFSET $3")
ONE = sql(_USERS + "AND id = $2")
ROLES = sql("SELECT id, name FROM roles WHERE account_id = $1")
GROUPS = sql("SELECT id, name FROM user_groups WHERE account_id = $1")


async def count_users(conn: Connection, account_id: int) -> int:
    return int(await fetch_value(conn, COUNT, account_id))


async def page_of_users(
    conn: Connection, account_id: int, limit: int, offset: int
) -> list[UserRow]:
    """One page of the account's users in id order (stable across pages)."""
    return await fetch_rows(conn, UserRow, PAGE, account_id, limit, offset)


async def get_user(conn: Connection, account_id: int, user_id: int) -> UserRow | None:
    return await fetch_row(conn, UserRow, ONE, account_id, user_id)


async def role_names(conn: Connection, account_id: int) -> dict[int, str]:
    """Role id -> name; an account has a handful, so all of them in one statement."""
    return {r.id: r.name for r in await fetch_rows(conn, NameRow, ROLES, account_id)}


async def group_names(conn: Connection, account_id: int) -> dict[int, str]:
    """Group id -> name, the default group 0 included."""
    return {r.id: r.name for r in await fetch_rows(conn, NameRow, GROUPS, account_id)}
