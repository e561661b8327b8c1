"""User queries for the admin-only user reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kommodore.db.database import Connection, sql

USER_COLUMNS = (
    "id, name, email, lang, uuid, amojo_id, is_admin, is_free, is_active, group_id, role_id, "
    "phone_number, user_rank, rights"
)


@dataclass(frozen=True, slots=True)
class UserRow:
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


def _user(r: Any) -> UserRow:
    return UserRow(
        r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]), bool(r[7]), bool(r[8]), r[9], r[10],
        r[11], r[12], r[13],
    )  # fmt: skip


COUNT = sql("SELECT count(*) FROM users WHERE account_id = $1")
PAGE = sql(f"SELECT {USER_COLUMNS} FROM users WHERE account_id = $1 ORDER BY id LIMIT $2 OFFSET $3")
ONE = sql(f"SELECT {USER_COLUMNS} FROM users WHERE account_id = $1 AND id = $2")
ROLES = sql("SELECT id, name FROM roles WHERE account_id = $1")
GROUPS = sql("SELECT id, name FROM user_groups WHERE account_id = $1")


async def count_users(conn: Connection, account_id: int) -> int:
    row: Any = await conn.fetch_one(COUNT, account_id)
    return int(row[0])


async def page_of_users(
    conn: Connection, account_id: int, limit: int, offset: int
) -> list[UserRow]:
    """One page of the account's users in id order (stable across pages)."""
    return [_user(r) for r in await conn.fetch_all(PAGE, account_id, limit, offset)]


async def get_user(conn: Connection, account_id: int, user_id: int) -> UserRow | None:
    row = await conn.fetch_one(ONE, account_id, user_id)
    return None if row is None else _user(row)


async def role_names(conn: Connection, account_id: int) -> dict[int, str]:
    """Role id -> name; an account has a handful, so all of them in one statement."""
    return {r[0]: r[1] for r in await conn.fetch_all(ROLES, account_id)}


async def group_names(conn: Connection, account_id: int) -> dict[int, str]:
    """Group id -> name, the default group 0 included."""
    return {r[0]: r[1] for r in await conn.fetch_all(GROUPS, account_id)}
