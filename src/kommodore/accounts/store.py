"""Account lookups for request routing."""

from __future__ import annotations

from dataclasses import dataclass

from kommodore.db.database import Connection, sql


@dataclass(frozen=True, slots=True)
class AccountRef:
    id: int
    subdomain: str
    paid_till: int | None


_COLUMNS = "id, subdomain, paid_till"
BY_SUBDOMAIN = sql(f"SELECT {_COLUMNS} FROM accounts WHERE subdomain = $1")
BY_ID = sql(f"SELECT {_COLUMNS} FROM accounts WHERE id = $1")


def _ref(row: object | None) -> AccountRef | None:
    if row is None:
        return None
    r = row  # sqlite3.Row and asyncpg.Record both index by position
    return AccountRef(r[0], r[1], r[2])  # type: ignore[index]


async def find_by_subdomain(conn: Connection, subdomain: str) -> AccountRef | None:
    return _ref(await conn.fetch_one(BY_SUBDOMAIN, subdomain))


async def find_by_id(conn: Connection, account_id: int) -> AccountRef | None:
    return _ref(await conn.fetch_one(BY_ID, account_id))
