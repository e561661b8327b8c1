"""The leads whose links are asked for, and the link rows that link writes read and change.
The links a read answers come from the lead loaders of ``kommodore.leads.store``, which
already take a list of leads and leave deleted entities out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kommodore.db.database import Connection, int_array, sql


@dataclass(frozen=True, slots=True)
class LeadRef:
    """What ``rights.can_view_lead`` needs to judge a lead."""

    id: int
    responsible_user_id: int
    group_id: int
    pipeline_id: int
    status_id: int


LIVE_LEADS = sql(
    "SELECT id, responsible_user_id, group_id, pipeline_id, status_id FROM leads "
    "WHERE account_id = $1 AND id = ANY($2::bigint[]) AND NOT is_deleted ORDER BY id"
)


async def live_leads(conn: Connection, account_id: int, ids: Sequence[int]) -> list[LeadRef]:
    rows = await conn.fetch_all(LIVE_LEADS, account_id, int_array(conn.dialect, ids))
    return [LeadRef(r[0], r[1], r[2], r[3], r[4]) for r in rows]


# -- link writes ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LockedLead:
    """A lead a link write names, with what ``rights.can_edit_lead`` needs to judge it."""

    id: int
    responsible_user_id: int
    group_id: int
    pipeline_id: int
    status_id: int
    is_deleted: bool


_LEADS = sql(
    "SELECT id, responsible_user_id, group_id, pipeline_id, status_id, is_deleted FROM leads "
    "WHERE account_id = $1 AND id = ANY($2::bigint[]) ORDER BY id"
)
LOCK_LEADS = sql(f"{_LEADS.postgresql} FOR UPDATE")
"""Row locks (in id order, so two writers cannot deadlock) keep two concurrent link writes to
one lead from both inserting its company; SQLite's single writer needs none."""


async def lock_leads(
    conn: Connection, account_id: int, ids: Sequence[int]
) -> dict[int, LockedLead]:
    rows = await conn.fetch_all(LOCK_LEADS, account_id, int_array(conn.dialect, ids))
    return {r[0]: LockedLead(r[0], r[1], r[2], r[3], r[4], bool(r[5])) for r in rows}


_LIVE_TARGETS = {
    kind: sql(
        f"SELECT id, {catalog} FROM {kind} "
        "WHERE account_id = $1 AND id = ANY($2::bigint[]) AND NOT is_deleted"
    )
    for kind, catalog in (
        ("contacts", "NULL"),
        ("companies", "NULL"),
        ("catalog_elements", "catalog_id"),
    )
}


async def live_targets(
    conn: Connection, account_id: int, kind: str, ids: Sequence[int]
) -> dict[int, int | None]:
    """Live entities of ``kind`` among ``ids``: id -> catalog id (None for contacts and
    companies)."""
    if not ids:
        return {}
    rows = await conn.fetch_all(_LIVE_TARGETS[kind], account_id, int_array(conn.dialect, ids))
    return {r[0]: r[1] for r in rows}


_USERS = sql("SELECT id FROM users WHERE account_id = $1 AND id = ANY($2::bigint[])")


async def account_users(conn: Connection, account_id: int, ids: Sequence[int]) -> set[int]:
    if not ids:
        return set()
    rows = await conn.fetch_all(_USERS, account_id, int_array(conn.dialect, ids))
    return {r[0] for r in rows}


CONTACT_ROWS = sql(
    "SELECT lc.lead_id, lc.contact_id, lc.is_main, c.is_deleted FROM lead_contacts lc "
    "JOIN contacts c ON c.account_id = lc.account_id AND c.id = lc.contact_id "
    "WHERE lc.account_id = $1 AND lc.lead_id = ANY($2::bigint[])"
)
COMPANY_ROWS = sql(
    "SELECT lc.lead_id, lc.company_id, c.is_deleted FROM lead_companies lc "
    "JOIN companies c ON c.account_id = lc.account_id AND c.id = lc.company_id "
    "WHERE lc.account_id = $1 AND lc.lead_id = ANY($2::bigint[])"
)
ELEMENT_ROWS = sql(
    "SELECT lead_id, element_id, catalog_id, quantity, price_id FROM lead_catalog_elements "
    "WHERE account_id = $1 AND lead_id = ANY($2::bigint[])"
)


@dataclass(frozen=True, slots=True)
class LinkRows:
    """Every link row of some leads, deleted targets included (they keep their rows)."""

    contacts: list[tuple[int, int, bool, bool]]
    """(lead id, contact id, is_main, contact is deleted)"""
    companies: list[tuple[int, int, bool]]
    """(lead id, company id, company is deleted)"""
    elements: list[tuple[int, int, int, float, int | None]]
    """(lead id, element id, catalog id, quantity, price id)"""


async def link_rows(conn: Connection, account_id: int, lead_ids: Sequence[int]) -> LinkRows:
    ids = int_array(conn.dialect, lead_ids)
    contacts = await conn.fetch_all(CONTACT_ROWS, account_id, ids)
    companies = await conn.fetch_all(COMPANY_ROWS, account_id, ids)
    elements = await conn.fetch_all(ELEMENT_ROWS, account_id, ids)
    return LinkRows(
        contacts=[(r[0], r[1], bool(r[2]), bool(r[3])) for r in contacts],
        companies=[(r[0], r[1], bool(r[2])) for r in companies],
        elements=[(r[0], r[1], r[2], float(r[3]), r[4]) for r in elements],
    )


DELETE_CONTACT = sql(
    "DELETE FROM lead_contacts WHERE account_id = $1 AND lead_id = $2 AND contact_id = $3"
)
UPDATE_CONTACT = sql(
    "UPDATE lead_contacts SET is_main = $4 "
    "WHERE account_id = $1 AND lead_id = $2 AND contact_id = $3"
)
INSERT_CONTACT = sql(
    "INSERT INTO lead_contacts (account_id, lead_id, contact_id, is_main) VALUES ($1, $2, $3, $4)"
)
DELETE_COMPANY = sql("DELETE FROM lead_companies WHERE account_id = $1 AND lead_id = $2")
INSERT_COMPANY = sql(
    "INSERT INTO lead_companies (account_id, lead_id, company_id) VALUES ($1, $2, $3)"
)
DELETE_ELEMENT = sql(
    "DELETE FROM lead_catalog_elements WHERE account_id = $1 AND lead_id = $2 AND element_id = $3"
)
UPDATE_ELEMENT = sql(
    "UPDATE lead_catalog_elements SET catalog_id = $4, quantity = $5, price_id = $6 "
    "WHERE account_id = $1 AND lead_id = $2 AND element_id = $3"
)
INSERT_ELEMENT = sql(
    "INSERT INTO lead_catalog_elements "
    "(account_id, lead_id, element_id, catalog_id, quantity, price_id) "
    "VALUES ($1, $2, $3, $4, $5, $6)"
)


@dataclass(slots=True)
class LinkChanges:
    """Rows to write, each led by the account id; deletes run first, then updates, then
    inserts (a lead's company is replaced by a delete and an insert)."""

    delete_contacts: list[tuple[int, int, int]]
    update_contacts: list[tuple[int, int, int, bool]]
    insert_contacts: list[tuple[int, int, int, bool]]
    delete_companies: list[tuple[int, int]]
    insert_companies: list[tuple[int, int, int]]
    delete_elements: list[tuple[int, int, int]]
    update_elements: list[tuple[int, int, int, int, float, int | None]]
    insert_elements: list[tuple[int, int, int, int, float, int | None]]


async def write_changes(conn: Connection, changes: LinkChanges) -> None:
    await conn.execute_many(DELETE_CONTACT, changes.delete_contacts)
    await conn.execute_many(DELETE_COMPANY, changes.delete_companies)
    await conn.execute_many(DELETE_ELEMENT, changes.delete_elements)
    await conn.execute_many(UPDATE_CONTACT, changes.update_contacts)
    await conn.execute_many(UPDATE_ELEMENT, changes.update_elements)
    await conn.execute_many(INSERT_CONTACT, changes.insert_contacts)
    await conn.execute_many(INSERT_COMPANY, changes.insert_companies)
    await conn.execute_many(INSERT_ELEMENT, changes.insert_elements)
