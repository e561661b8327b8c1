"""Account lookups: by subdomain or id for request routing, the whole row for GET /account."""

from __future__ import annotations

from typing import NamedTuple

from kommodore.auth.store import AccountRef
from kommodore.db.database import Connection, fetch_row, fetch_rows, fetch_value, sql

BY_SUBDOMAIN = sql("SELECT id, subdomain, paid_till FROM accounts WHERE subdomain = $1")


async def find_by_subdomain(conn: Connection, subdomain: str) -> AccountRef | None:
    return await fetch_row(conn, AccountRef, BY_SUBDOMAIN, subdomain)


class AccountRow(NamedTuple):
    """Every column GET /api/v4/account reads; ``settings`` is the JSON of its extras. The
    flags are 0/1 on SQLite: the service makes them booleans for the wire."""

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


class UserGroupRow(NamedTuple):
    id: int
    name: str
    uuid: str | None


async def get_account(conn: Connection, account_id: int) -> AccountRow | None:
    return await fetch_row(conn, AccountRow, FULL_BY_ID, account_id)


async def user_groups(conn: Connection, account_id: int) -> list[UserGroupRow]:
    """Every group of the account, the default group 0 first."""
    return await fetch_rows(conn, UserGroupRow, USER_GROUPS, account_id)


async def invoices_catalog_id(conn: Connection, account_id: int) -> int | None:
    """The account's invoices catalog (at most one per account, Kommo's API), if any."""
    found = await fetch_value(conn, INVOICES_CATALOG, account_id)
    return None if found is None else int(found)
