"""Account lookups: by subdomain or id for request routing, the whole row for GET /account."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kommodore.auth.store import AccountRef
from kommodore.db.database import Connection, sql

_COLUMNS = "id, subdomain, paid_till"
BY_SUBDOMAIN = sql(f"SELECT {_COLUMNS} FROM accounts WHERE subdomain = $1")


def _ref(row: object | None) -> AccountRef | None:
    if row is None:
        return None
    r = row  # sqlite3.Row and asyncpg.Record both index by position
    return AccountRef(r[0], r[1], r[2])  # type: ignore[index]


async def find_by_subdomain(conn: Connection, subdomain: str) -> AccountRef | None:
    return _ref(await conn.fetch_one(BY_SUBDOMAIN, subdomain))


@dataclass(frozen=True, slots=True)
class AccountRow:
    """Every column GET /api/v4/account reads; ``settings`` is the JSON of its extras."""

    id: int
    name: str
    subdomain: str
    created_at: int
    created_by: int
    updated_at: int
    updated_by: int
    country: str
    currency: str
    currency_symbol: str
    customers_mode: str
    is_unsorted_on: bool
    is_loss_reason_enabled: bool
    is_helpbot_enabled: bool
    is_technical_account: bool
    contact_name_display_order: int
    mobile_feature_version: int
    amojo_id: str | None
    version: int
    settings: str


FULL_BY_ID = sql(
    "SELECT id, name, subdomain, created_at, created_by, updated_at, updated_by, country, "
    "currency, currency_symbol, customers_mode, is_unsorted_on, is_loss_reason_enabled, "
    "is_helpbot_enabled, is_technical_account, contact_name_display_order, "
    "mobile_feature_version, amojo_id, version, settings FROM accounts WHERE id = $1"
)
USER_GROUPS = sql("SELECT id, name, uuid FROM user_groups WHERE account_id = $1 ORDER BY id")
INVOICES_CATALOG = sql(
    "SELECT id FROM catalogs WHERE account_id = $1 AND type = 'invoices' ORDER BY sort, id LIMIT 1"
)


async def get_account(conn: Connection, account_id: int) -> AccountRow | None:
    row: Any = await conn.fetch_one(FULL_BY_ID, account_id)
    if row is None:
        return None
    return AccountRow(
        row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8], row[9],
        row[10], bool(row[11]), bool(row[12]), bool(row[13]), bool(row[14]), row[15], row[16],
        row[17], row[18], row[19],
    )  # fmt: skip


async def user_groups(conn: Connection, account_id: int) -> list[tuple[int, str, str | None]]:
    """(id, name, uuid) of every group, the default group 0 first."""
    return [(r[0], r[1], r[2]) for r in await conn.fetch_all(USER_GROUPS, account_id)]


async def invoices_catalog_id(conn: Connection, account_id: int) -> int | None:
    """The account's invoices catalog (at most one per account, Kommo's API), if any."""
    row: Any = await conn.fetch_one(INVOICES_CATALOG, account_id)
    return None if row is None else int(row[0])
