"""The console's reads of what an account holds, for drawing it: names, colours, timelines.

Lead rows themselves come from the leads package (its list, with rights inside the SQL); these
statements fetch what a page shows beside them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from kommodore.db.database import Connection, fetch_rows, int_array, sql


class AccountRow(NamedTuple):
    id: int
    subdomain: str
    name: str


class StageRow(NamedTuple):
    pipeline_id: int
    pipeline_name: str
    is_main: bool
    id: int
    name: str
    color: str
    type: int


class UserRow(NamedTuple):
    id: int
    name: str
    is_admin: bool


class TagRow(NamedTuple):
    id: int
    name: str
    color: str | None


class LeadTag(NamedTuple):
    lead_id: int
    id: int
    name: str
    color: str | None


class NameRow(NamedTuple):
    id: int
    name: str


class EventRow(NamedTuple):
    id: str
    type: str
    created_by: int
    created_at: int
    value_before: str
    value_after: str


class WebhookRow(NamedTuple):
    id: int
    destination: str
    settings: str
    disabled: bool
    sort: int


_ACCOUNTS = sql("SELECT id, subdomain, name FROM accounts ORDER BY id LIMIT 500")
_ACCOUNT = sql("SELECT id, subdomain, name FROM accounts WHERE id = $1")
_FIRST_ADMIN = sql(
    "SELECT id FROM users WHERE account_id = $1 AND is_admin AND is_active ORDER BY id LIMIT 1"
)
_USER = sql("SELECT id, name, is_admin FROM users WHERE account_id = $1 AND id = $2 AND is_active")
_ADMIN_BY_EMAIL = sql(
    "SELECT id FROM users WHERE account_id = $1 AND email = $2 AND is_admin AND is_active "
    "ORDER BY id LIMIT 1"
)
_STAGES = sql(
    "SELECT p.id AS pipeline_id, p.name AS pipeline_name, p.is_main, s.id, s.name, s.color, "
    "s.type FROM pipelines p JOIN statuses s ON s.account_id = p.account_id "
    "AND s.pipeline_id = p.id WHERE p.account_id = $1 AND NOT p.is_archive "
    "ORDER BY p.sort, p.id, s.sort, s.id"
)
_USERS = sql(
    "SELECT id, name, is_admin FROM users WHERE account_id = $1 AND is_active ORDER BY name, id"
)
_TAGS = sql(
    "SELECT id, name, color FROM tags WHERE account_id = $1 AND entity_type = 'leads' "
    "ORDER BY name, id LIMIT 1000"
)
_LEAD_TAGS = sql(
    "SELECT lt.lead_id, t.id, t.name, t.color FROM lead_tags lt JOIN tags t "
    "ON t.account_id = lt.account_id AND t.id = lt.tag_id "
    "WHERE lt.account_id = $1 AND lt.lead_id = ANY($2::bigint[]) ORDER BY lt.lead_id, t.name"
)
_CONTACT_NAMES = sql(
    "SELECT id, name FROM contacts WHERE account_id = $1 AND id = ANY($2::bigint[])"
)
_COMPANY_NAMES = sql(
    "SELECT id, name FROM companies WHERE account_id = $1 AND id = ANY($2::bigint[])"
)
_ELEMENT_NAMES = sql(
    "SELECT id, name FROM catalog_elements WHERE account_id = $1 AND id = ANY($2::bigint[])"
)
_EVENTS = sql(
    "SELECT id, type, created_by, created_at, value_before, value_after FROM events "
    "WHERE account_id = $1 AND entity_type = 'lead' AND entity_id = $2 "
    "ORDER BY created_at DESC, id DESC LIMIT 100"
)
_WEBHOOKS = sql(
    "SELECT id, destination, settings, disabled, sort FROM webhooks WHERE account_id = $1 "
    "ORDER BY sort, id"
)


async def accounts(conn: Connection) -> list[AccountRow]:
    return await fetch_rows(conn, AccountRow, _ACCOUNTS)


async def account(conn: Connection, account_id: int) -> AccountRow | None:
    found = await fetch_rows(conn, AccountRow, _ACCOUNT, account_id)
    return found[0] if found else None


async def first_admin(conn: Connection, account_id: int) -> int | None:
    row = await conn.fetch_one(_FIRST_ADMIN, account_id)
    return None if row is None else int(row["id"])


async def user(conn: Connection, account_id: int, user_id: int) -> UserRow | None:
    found = await fetch_rows(conn, UserRow, _USER, account_id, user_id)
    return found[0] if found else None


async def admin_by_email(conn: Connection, account_id: int, email: str) -> int | None:
    row = await conn.fetch_one(_ADMIN_BY_EMAIL, account_id, email)
    return None if row is None else int(row["id"])


async def stages(conn: Connection, account_id: int) -> list[StageRow]:
    return await fetch_rows(conn, StageRow, _STAGES, account_id)


async def users(conn: Connection, account_id: int) -> list[UserRow]:
    return await fetch_rows(conn, UserRow, _USERS, account_id)


async def tags(conn: Connection, account_id: int) -> list[TagRow]:
    return await fetch_rows(conn, TagRow, _TAGS, account_id)


async def lead_tags(conn: Connection, account_id: int, lead_ids: Sequence[int]) -> list[LeadTag]:
    if not lead_ids:
        return []
    ids = int_array(conn.dialect, lead_ids)
    return await fetch_rows(conn, LeadTag, _LEAD_TAGS, account_id, ids)


async def names(conn: Connection, account_id: int, kind: str, ids: Sequence[int]) -> dict[int, str]:
    """Names of contacts, companies or catalog elements by id (``kind``)."""
    if not ids:
        return {}
    query = {"contacts": _CONTACT_NAMES, "companies": _COMPANY_NAMES}.get(kind, _ELEMENT_NAMES)
    rows = await fetch_rows(conn, NameRow, query, account_id, int_array(conn.dialect, ids))
    return {r.id: r.name for r in rows}


async def lead_events(conn: Connection, account_id: int, lead_id: int) -> list[EventRow]:
    return await fetch_rows(conn, EventRow, _EVENTS, account_id, lead_id)


async def webhooks(conn: Connection, account_id: int) -> list[WebhookRow]:
    return await fetch_rows(conn, WebhookRow, _WEBHOOKS, account_id)
