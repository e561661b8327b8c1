"""The leads whose links are asked for, and the link rows that link writes read and change.
The links a read answers come from the lead loaders of ``kommodore.leads.store``, which
already take a list of leads and leave deleted entities out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from kommodore.db.database import Connection, fetch_column, fetch_rows, int_array, sql


class LeadRef(NamedTuple):
    """A lead a link read or write names, with what ``rights.can_view_lead`` and
    ``can_edit_lead`` need to judge it; ``is_deleted`` is 0/1 on SQLite."""

    id: int
    responsible_user_id: int
    group_id: int
    pipeline_id: int
    status_id: int
    is_deleted: bool


LIVE_LEADS = sql(
    "SELECT id, responsible_user_id, group_id, pipeline_id, status_id, is_deleted FROM leads "
    "WHERE account_id = $1 AND id = ANY($2::bigint[]) AND NOT is_deleted ORDER BY id"
)


async def live_leads(conn: Connection, account_id: int, ids: Sequence[int]) -> list[LeadRef]:
    return await fetch_rows(conn, LeadRef, LIVE_LEADS, account_id, int_array(conn.dialect, ids))


# -- link writes ------------------------------------------------------------------------------

LOCK_LEADS = sql(
    "SELECT id, responsible_user_id, group_id, pipeline_id, status_id, is_deleted FROM leads "
    "WHERE account_id = $1 AND id = ANY($2::bigint[]) ORDER BY id FOR UPDATE"
)
"""Row locks (in id order, so two writers cannot deadlock) keep two concurrent link writes to
one lead from both inserting its company; SQLite's single writer needs none."""


async def lock_leads(conn: Connection, account_id: int, ids: Sequence[int]) -> dict[int, LeadRef]:
    rows = await fetch_rows(conn, LeadRef, LOCK_LEADS, account_id, int_array(conn.dialect, ids))
    return {r.id: r for r in rows}


class Target(NamedTuple):
    id: int
    catalog_id: int | None


_LIVE_TARGETS = {
    kind: sql(
        f"SELECT id, {catalog} FROM {kind} "  # noqa: S608 (names from the fixed tuple below)
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
    ids_ = int_array(conn.dialect, ids)
    rows = await fetch_rows(conn, Target, _LIVE_TARGETS[kind], account_id, ids_)
    return {r.id: r.catalog_id for r in rows}


_USERS = sql("SELECT id FROM users WHERE account_id = $1 AND id = ANY($2::bigint[])")


async def account_users(conn: Connection, account_id: int, ids: Sequence[int]) -> set[int]:
    if not ids:
        return set()
    return set(await fetch_column(conn, _USERS, account_id, int_array(conn.dialect, ids)))


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
ELEMENT_OWNERS = {"leads": "lead", "contacts": "contact", "companies": "company"}
"""What links catalog elements, and the singular its link table and column are named by."""
ELEMENT_ROWS = {
    kind: sql(
        f"SELECT {one}_id, element_id, catalog_id, quantity, price_id "  # noqa: S608 (names from ELEMENT_OWNERS)
        f"FROM {one}_catalog_elements WHERE account_id = $1 AND {one}_id = ANY($2::bigint[])"
    )
    for kind, one in ELEMENT_OWNERS.items()
}


class ContactLink(NamedTuple):
    lead_id: int
    contact_id: int
    is_main: bool
    is_deleted: bool
    """The contact's; like ``is_main``, 0/1 on SQLite."""


class CompanyLink(NamedTuple):
    lead_id: int
    company_id: int
    is_deleted: bool
    """The company's; 0/1 on SQLite."""


class ElementLink(NamedTuple):
    owner_id: int
    """The lead, contact or company."""
    element_id: int
    catalog_id: int
    quantity: float
    price_id: int | None


@dataclass(frozen=True, slots=True)
class LinkRows:
    """Every link row of some leads, deleted targets included (they keep their rows)."""

    contacts: list[ContactLink]
    companies: list[CompanyLink]
    elements: list[ElementLink]


async def link_rows(conn: Connection, account_id: int, lead_ids: Sequence[int]) -> LinkRows:
    ids = int_array(conn.dialect, lead_ids)
    return LinkRows(
        contacts=await fetch_rows(conn, ContactLink, CONTACT_ROWS, account_id, ids),
        companies=await fetch_rows(conn, CompanyLink, COMPANY_ROWS, account_id, ids),
        elements=await element_rows(conn, "leads", account_id, lead_ids),
    )


LOCK_PARTIES = {
    kind: sql(
        f"SELECT id FROM {kind} "  # noqa: S608 (names from the fixed tuple below)
        "WHERE account_id = $1 AND id = ANY($2::bigint[]) ORDER BY id FOR UPDATE"
    )
    for kind in ("contacts", "companies")
}
"""As ``LOCK_LEADS``: two concurrent element link writes to one contact or company cannot
both insert the same link."""


async def lock_parties(conn: Connection, kind: str, account_id: int, ids: Sequence[int]) -> None:
    await fetch_column(conn, LOCK_PARTIES[kind], account_id, int_array(conn.dialect, ids))


async def element_rows(
    conn: Connection, owner: str, account_id: int, owner_ids: Sequence[int]
) -> list[ElementLink]:
    """The catalog element links of leads, contacts or companies (``owner``), deleted elements
    included (they keep their rows)."""
    ids = int_array(conn.dialect, owner_ids)
    return await fetch_rows(conn, ElementLink, ELEMENT_ROWS[owner], account_id, ids)


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
DELETE_ELEMENT = {
    kind: sql(
        f"DELETE FROM {one}_catalog_elements "  # noqa: S608 (names from ELEMENT_OWNERS)
        f"WHERE account_id = $1 AND {one}_id = $2 AND element_id = $3"
    )
    for kind, one in ELEMENT_OWNERS.items()
}
UPDATE_ELEMENT = {
    kind: sql(
        f"UPDATE {one}_catalog_elements "  # noqa: S608 (names from ELEMENT_OWNERS)
        "SET catalog_id = $4, quantity = $5, price_id = $6 "
        f"WHERE account_id = $1 AND {one}_id = $2 AND element_id = $3"
    )
    for kind, one in ELEMENT_OWNERS.items()
}
INSERT_ELEMENT = {
    kind: sql(
        f"INSERT INTO {one}_catalog_elements "  # noqa: S608 (names from ELEMENT_OWNERS)
        f"(account_id, {one}_id, element_id, catalog_id, quantity, price_id) "
        "VALUES ($1, $2, $3, $4, $5, $6)"
    )
    for kind, one in ELEMENT_OWNERS.items()
}


ElementRow = tuple[int, int, int, int, float, int | None]
"""(account id, owner id, element id, catalog id, quantity, price id)"""


@dataclass(slots=True)
class ElementChanges:
    """Catalog element link rows to write, each led by the account id and the owner's id."""

    delete: list[tuple[int, int, int]] = field(default_factory=list)
    update: list[ElementRow] = field(default_factory=list)
    insert: list[ElementRow] = field(default_factory=list)


@dataclass(slots=True)
class LinkChanges:
    """Rows to write, each led by the account id; deletes run first, then updates, then
    inserts (a lead's company is replaced by a delete and an insert)."""

    delete_contacts: list[tuple[int, int, int]] = field(default_factory=list)
    update_contacts: list[tuple[int, int, int, bool]] = field(default_factory=list)
    insert_contacts: list[tuple[int, int, int, bool]] = field(default_factory=list)
    delete_companies: list[tuple[int, int]] = field(default_factory=list)
    insert_companies: list[tuple[int, int, int]] = field(default_factory=list)
    elements: ElementChanges = field(default_factory=ElementChanges)


async def write_changes(conn: Connection, changes: LinkChanges) -> None:
    await conn.execute_many(DELETE_CONTACT, changes.delete_contacts)
    await conn.execute_many(DELETE_COMPANY, changes.delete_companies)
    await conn.execute_many(UPDATE_CONTACT, changes.update_contacts)
    await conn.execute_many(INSERT_CONTACT, changes.insert_contacts)
    await conn.execute_many(INSERT_COMPANY, changes.insert_companies)
    await write_element_changes(conn, "leads", changes.elements)


async def write_element_changes(conn: Connection, owner: str, changes: ElementChanges) -> None:
    """The catalog element links of leads, contacts or companies (``owner``)."""
    await conn.execute_many(DELETE_ELEMENT[owner], changes.delete)
    await conn.execute_many(UPDATE_ELEMENT[owner], changes.update)
    await conn.execute_many(INSERT_ELEMENT[owner], changes.insert)
