"""SQL of the sign-in pages: the user rows a person signs in with, and setting a password.

A person is an email address across accounts, so the sign-in lookup is the one statement of
the project that does not start from an account id: it names the accounts it finds.
"""

from __future__ import annotations

from typing import NamedTuple

from kommodore.db.database import Connection, fetch_column, fetch_rows, fetch_value, sql, text_array


class Login(NamedTuple):
    """An active user row that can sign in, with the account it belongs to."""

    account_id: int
    user_id: int
    password_hash: str
    subdomain: str
    account_name: str


LOGINS_BY_EMAIL = sql(
    "SELECT u.account_id, u.id, u.password_hash, a.subdomain, a.name "
    "FROM users u JOIN accounts a ON a.id = u.account_id "
    "WHERE lower(u.email) = lower($1) AND u.is_active AND u.password_hash IS NOT NULL "
    "ORDER BY a.subdomain, u.account_id, u.id"
)
USERS_BY_EMAIL = sql(
    "SELECT id FROM users WHERE account_id = $1 AND lower(email) = lower($2) ORDER BY id"
)
SET_PASSWORD = sql("UPDATE users SET password_hash = $3 WHERE account_id = $1 AND id = $2")
REPLACE_HASH = sql(
    "UPDATE users SET password_hash = $4 WHERE account_id = $1 AND id = $2 AND password_hash = $3"
)


async def logins_by_email(conn: Connection, email: str) -> list[Login]:
    """Every active user row with this email (any letter case) that has a password."""
    return await fetch_rows(conn, Login, LOGINS_BY_EMAIL, email)


async def users_by_email(conn: Connection, account_id: int, email: str) -> list[int]:
    """Ids of the account's users with this email (any letter case), oldest first."""
    return await fetch_column(conn, USERS_BY_EMAIL, account_id, email)


async def set_password_hash(
    conn: Connection, account_id: int, user_id: int, password_hash: str
) -> None:
    await conn.execute(SET_PASSWORD, account_id, user_id, password_hash)


async def replace_password_hash(
    conn: Connection, account_id: int, user_id: int, old_hash: str, new_hash: str
) -> None:
    """Swap a hash for a stronger one of the same password, unless it was changed meanwhile."""
    await conn.execute(REPLACE_HASH, account_id, user_id, old_hash, new_hash)


# -- the sign-in throttle (web.throttle) ------------------------------------------------------

BLOCKED_UNTIL = sql("SELECT max(blocked_until) FROM sign_in_throttle WHERE key = ANY($1::text[])")
COUNT_FAILURE = sql(
    "INSERT INTO sign_in_throttle (key, failures, window_start, blocked_until) "
    "VALUES ($1, 1, $2, 0) "
    "ON CONFLICT (key) DO UPDATE SET "
    "failures = CASE WHEN sign_in_throttle.window_start <= $3 THEN 1 "
    "ELSE sign_in_throttle.failures + 1 END, "
    "window_start = CASE WHEN sign_in_throttle.window_start <= $3 THEN $2 "
    "ELSE sign_in_throttle.window_start END "
    "RETURNING failures"
)
BLOCK = sql(
    "UPDATE sign_in_throttle SET failures = 0, window_start = $2, blocked_until = $3 WHERE key = $1"
)
FORGET = sql("DELETE FROM sign_in_throttle WHERE key = $1")
PURGE_THROTTLE = sql(
    "DELETE FROM sign_in_throttle WHERE window_start <= $1 AND blocked_until <= $2"
)


async def blocked_until(conn: Connection, keys: list[str]) -> int:
    """The latest end of a block on any of ``keys`` (0: none)."""
    return int(await fetch_value(conn, BLOCKED_UNTIL, text_array(conn, keys)) or 0)


async def count_failure(conn: Connection, key: str, now: int, window_opened_after: int) -> int:
    """Add one failure to ``key`` (a window older than ``window_opened_after`` starts anew);
    answers the failures in the window."""
    failures = await fetch_value(conn, COUNT_FAILURE, key, now, window_opened_after)
    return 1 if failures is None else int(failures)


async def block(conn: Connection, key: str, now: int, until: int) -> None:
    await conn.execute(BLOCK, key, now, until)


async def forget(conn: Connection, key: str) -> None:
    await conn.execute(FORGET, key)


async def purge_throttle(conn: Connection, window_opened_before: int, now: int) -> None:
    """Drop rows whose window and block are both over, so the table holds only live keys."""
    await conn.execute(PURGE_THROTTLE, window_opened_before, now)
