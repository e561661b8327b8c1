"""Contact and company queries: the base row, its responsible user's group, and the rights
of the user asking."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, Literal, NamedTuple

from kommodore.db.database import (
    Connection,
    Query,
    fetch_row,
    fetch_rows,
    fetch_value,
    int_array,
    sql,
)
from kommodore.search import parties as search

Kind = Literal["contacts", "companies"]


class PartyRow(NamedTuple):
    """A contact or company; ``is_deleted`` is 0/1 on SQLite."""

    id: int
    name: str
    first_name: str | None
    last_name: str | None
    responsible_user_id: int
    group_id: int
    created_by: int
    updated_by: int
    created_at: int
    updated_at: int
    closest_task_at: int | None
    is_deleted: bool
    owner_group_id: int
    """The responsible user's group now (0: the default group), which rights judge by."""


OWNER_GROUP = "CASE WHEN u.id IS NULL THEN p.group_id ELSE COALESCE(u.group_id, 0) END"
"""The responsible user's group now, which rights judge by (the parties aliased ``p``)."""


def _select(table: str, names: str) -> str:
    return (
        f"SELECT p.id, p.name, {names}, p.responsible_user_id, p.group_id, "  # noqa: S608 (table and columns from SELECT's fixed pairs)
        "p.created_by, p.updated_by, p.created_at, p.updated_at, p.closest_task_at, p.is_deleted, "
        f"{OWNER_GROUP} "
        f"FROM {table} p LEFT JOIN users u "
        "ON u.account_id = p.account_id AND u.id = p.responsible_user_id"
    )


SELECT: dict[Kind, str] = {
    "contacts": _select("contacts", "p.first_name, p.last_name"),
    "companies": _select("companies", "NULL, NULL"),
}
"""A party with its owner's group, without WHERE: the list pages add theirs."""
GET: dict[Kind, Query] = {
    kind: sql(f"{select} WHERE p.account_id = $1 AND p.id = $2") for kind, select in SELECT.items()
}
GET_MANY: dict[Kind, Query] = {
    kind: sql(f"{select} WHERE p.account_id = $1 AND p.id = ANY($2::bigint[])")
    for kind, select in SELECT.items()
}
USER_RIGHTS = sql("SELECT rights FROM users WHERE account_id = $1 AND id = $2")


async def get_party(
    conn: Connection, kind: Kind, account_id: int, party_id: int
) -> PartyRow | None:
    return await fetch_row(conn, PartyRow, GET[kind], account_id, party_id)


async def get_parties(
    conn: Connection, kind: Kind, account_id: int, party_ids: Collection[int]
) -> list[PartyRow]:
    """The parties among ``party_ids``, in one statement."""
    if not party_ids:
        return []
    ids = int_array(conn.dialect, sorted(party_ids))
    return await fetch_rows(conn, PartyRow, GET_MANY[kind], account_id, ids)


async def party_rows(conn: Connection, query: Query, *args: Any) -> list[PartyRow]:
    return await fetch_rows(conn, PartyRow, query, *args)


async def user_rights(conn: Connection, account_id: int, user_id: int) -> str | None:
    """The JSON ``users.rights`` of the acting user (the request's actor holds lead rights
    only)."""
    rights = await fetch_value(conn, USER_RIGHTS, account_id, user_id)
    return None if rights is None else str(rights)


class ValueRow(NamedTuple):
    """One stored value of a party's custom field, with the field's and the enum's names."""

    field_id: int
    field_name: str
    field_code: str | None
    field_type: str
    enum_id: int | None
    enum_value: str | None
    enum_code: str | None
    value_text: str | None
    value_int: int | None
    value_json: Any


class OwnedValueRow(NamedTuple):
    """A :class:`ValueRow` with the party it belongs to, for a page of parties."""

    owner_id: int
    field_id: int
    field_name: str
    field_code: str | None
    field_type: str
    enum_id: int | None
    enum_value: str | None
    enum_code: str | None
    value_text: str | None
    value_int: int | None
    value_json: Any


def _values(table: str, owner: str) -> Query:
    return sql(
        f"SELECT v.{owner}, v.field_id, f.name, f.code, f.type, v.enum_id, e.value, e.code, "  # noqa: S608 (table and owner column from VALUES' fixed pairs)
        f"v.value_text, v.value_int, v.value_json FROM {table} v "
        "JOIN custom_fields f ON f.account_id = v.account_id AND f.id = v.field_id "
        "LEFT JOIN custom_field_enums e ON e.account_id = v.account_id AND e.id = v.enum_id "
        f"WHERE v.account_id = $1 AND v.{owner} = ANY($2::bigint[]) "
        f"ORDER BY v.{owner}, f.sort, f.id, v.position"
    )


VALUES: dict[Kind, Query] = {
    "contacts": _values("contact_custom_field_values", "contact_id"),
    "companies": _values("company_custom_field_values", "company_id"),
}


async def party_values(
    conn: Connection, kind: Kind, account_id: int, party_ids: Sequence[int]
) -> dict[int, list[ValueRow]]:
    """Each party's values, fields by sort then id, values by position."""
    rows = await fetch_rows(
        conn, OwnedValueRow, VALUES[kind], account_id, int_array(conn.dialect, party_ids)
    )
    found: dict[int, list[ValueRow]] = {}
    for r in rows:
        found.setdefault(r.owner_id, []).append(ValueRow(*r[1:]))
    return found


class Pair(NamedTuple):
    owner_id: int
    other_id: int


LINKED: dict[str, Query] = {
    # a contact's companies, a company's contacts (live ones only)
    "contacts.companies": sql(
        "SELECT cc.contact_id, cc.company_id FROM company_contacts cc "
        "JOIN companies c ON c.account_id = cc.account_id AND c.id = cc.company_id "
        "WHERE cc.account_id = $1 AND cc.contact_id = ANY($2::bigint[]) AND NOT c.is_deleted "
        "ORDER BY cc.contact_id, cc.company_id"
    ),
    "companies.contacts": sql(
        "SELECT cc.company_id, cc.contact_id FROM company_contacts cc "
        "JOIN contacts c ON c.account_id = cc.account_id AND c.id = cc.contact_id "
        "WHERE cc.account_id = $1 AND cc.company_id = ANY($2::bigint[]) AND NOT c.is_deleted "
        "ORDER BY cc.company_id, cc.contact_id"
    ),
    "contacts.leads": sql(
        "SELECT lc.contact_id, lc.lead_id FROM lead_contacts lc "
        "JOIN leads l ON l.account_id = lc.account_id AND l.id = lc.lead_id "
        "WHERE lc.account_id = $1 AND lc.contact_id = ANY($2::bigint[]) AND NOT l.is_deleted "
        "ORDER BY lc.contact_id, lc.lead_id"
    ),
    "companies.leads": sql(
        "SELECT lc.company_id, lc.lead_id FROM lead_companies lc "
        "JOIN leads l ON l.account_id = lc.account_id AND l.id = lc.lead_id "
        "WHERE lc.account_id = $1 AND lc.company_id = ANY($2::bigint[]) AND NOT l.is_deleted "
        "ORDER BY lc.company_id, lc.lead_id"
    ),
}
"""What each party is linked to, ascending ids (a client takes the last lead as the newest)."""


async def linked(
    conn: Connection, kind: Kind, other: str, account_id: int, party_ids: Sequence[int]
) -> dict[int, list[int]]:
    """Per party, the ids of its live ``other`` (``companies``, ``contacts``, ``leads``)."""
    rows = await fetch_rows(
        conn, Pair, LINKED[f"{kind}.{other}"], account_id, int_array(conn.dialect, party_ids)
    )
    found: dict[int, list[int]] = {}
    for r in rows:
        found.setdefault(r.owner_id, []).append(r.other_id)
    return found


class ElementLinkRow(NamedTuple):
    owner_id: int
    element_id: int
    catalog_id: int
    quantity: float
    price_id: int | None


ELEMENTS: dict[str, Query] = {
    kind: sql(
        f"SELECT x.{one}_id, x.element_id, x.catalog_id, x.quantity, x.price_id "  # noqa: S608 (names from the fixed pairs below)
        f"FROM {one}_catalog_elements x "
        "JOIN catalog_elements e ON e.account_id = x.account_id AND e.id = x.element_id "
        f"WHERE x.account_id = $1 AND x.{one}_id = ANY($2::bigint[]) AND NOT e.is_deleted "
        f"ORDER BY x.{one}_id, x.element_id"
    )
    for kind, one in (("contacts", "contact"), ("companies", "company"))
}


async def elements(
    conn: Connection, kind: Kind, account_id: int, party_ids: Sequence[int]
) -> dict[int, list[ElementLinkRow]]:
    """Per party, its links to live catalog elements, by element id."""
    rows = await fetch_rows(
        conn, ElementLinkRow, ELEMENTS[kind], account_id, int_array(conn.dialect, party_ids)
    )
    found: dict[int, list[ElementLinkRow]] = {}
    for r in rows:
        found.setdefault(r.owner_id, []).append(r)
    return found


# -- creating them (complex lead adds) --------------------------------------------------------
# Creating contacts and companies, for complex lead adds: the base row, custom
# field values stored as a lead's are, and the link between a new contact and its company.

INSERT = {
    "contacts": sql(
        "INSERT INTO contacts (account_id, id, name, first_name, last_name, responsible_user_id, "
        "group_id, created_by, updated_by, created_at, updated_at, closest_task_at, is_deleted) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL, FALSE)"
    ),
    "companies": sql(
        "INSERT INTO companies (account_id, id, name, responsible_user_id, group_id, "
        "created_by, updated_by, created_at, updated_at, closest_task_at, is_deleted) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, FALSE)"
    ),
}
INSERT_VALUES = {
    kind: sql(
        f"INSERT INTO {table} (account_id, {owner}, field_id, position, "  # noqa: S608 (names from the fixed tuple below)
        "enum_id, value_text, "
        "value_number, value_int, value_json) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    )
    for kind, table, owner in (
        ("contacts", "contact_custom_field_values", "contact_id"),
        ("companies", "company_custom_field_values", "company_id"),
    )
}
LINK_COMPANY_CONTACT = sql(
    "INSERT INTO company_contacts (account_id, company_id, contact_id) VALUES ($1, $2, $3) "
    "ON CONFLICT DO NOTHING"
)


async def insert_parties(
    conn: Connection,
    kind: Kind,
    rows: Sequence[Sequence[Any]],
    values: Sequence[Sequence[Any]],
) -> None:
    """Rows in the column order of :data:`INSERT` (``first_name, last_name`` for contacts
    only); values as ``(account_id, owner_id, field_id, position, enum_id, text, number, int,
    json)``. Their search documents are written in the same transaction."""
    if not rows:
        return
    await conn.execute_many(INSERT[kind], rows)
    await conn.execute_many(INSERT_VALUES[kind], values)
    await search.reindex_parties(conn, kind, rows[0][0], [r[1] for r in rows], fresh=True)


async def reindex(conn: Connection, kind: Kind, account_id: int, party_ids: Sequence[int]) -> None:
    """Rebuild the search documents of edited parties (names or values changed)."""
    await search.reindex_parties(conn, kind, account_id, party_ids)


async def link_companies(
    conn: Connection, account_id: int, pairs: Sequence[tuple[int, int]]
) -> None:
    """(company id, contact id) pairs; an existing link stays as it is."""
    await conn.execute_many(LINK_COMPANY_CONTACT, [(account_id, c, p) for c, p in pairs])


# -- writes (POST/PATCH /contacts, /companies) ------------------------------------------------


class _UserGroup(NamedTuple):
    id: int
    group_id: int | None


USERS = sql("SELECT id, group_id FROM users WHERE account_id = $1 AND id = ANY($2::bigint[])")
NAME_ORDER = sql("SELECT contact_name_display_order FROM accounts WHERE id = $1")
UPDATE: dict[Kind, Query] = {
    "contacts": sql(
        "UPDATE contacts SET name = $3, first_name = $4, last_name = $5, "
        "responsible_user_id = $6, group_id = $7, created_by = $8, updated_by = $9, "
        "created_at = $10, updated_at = $11 WHERE account_id = $1 AND id = $2"
    ),
    "companies": sql(
        "UPDATE companies SET name = $3, responsible_user_id = $4, group_id = $5, "
        "created_by = $6, updated_by = $7, created_at = $8, updated_at = $9 "
        "WHERE account_id = $1 AND id = $2"
    ),
}
_VALUE_TABLES: tuple[tuple[Kind, str, str], ...] = (
    ("contacts", "contact_custom_field_values", "contact_id"),
    ("companies", "company_custom_field_values", "company_id"),
)
CLEAR_VALUES: dict[Kind, Query] = {
    kind: sql(
        f"DELETE FROM {table} WHERE account_id = $1 AND {owner} = $2 "  # noqa: S608 (names from the fixed tuple below)
        "AND field_id = ANY($3::bigint[])"
    )
    for kind, table, owner in _VALUE_TABLES
}


async def user_groups(
    conn: Connection, account_id: int, ids: Sequence[int] | set[int]
) -> dict[int, int]:
    """user id -> group id (0 for the default group) for the ids that are account users."""
    rows = await fetch_rows(
        conn, _UserGroup, USERS, account_id, int_array(conn.dialect, sorted(ids))
    )
    return {u.id: u.group_id or 0 for u in rows}


async def name_order(conn: Connection, account_id: int) -> int:
    """The account's ``contact_name_display_order`` (1: "First Last", 2: "Last First")."""
    order = await fetch_value(conn, NAME_ORDER, account_id)
    return int(order or 1)


async def update_party(
    conn: Connection, kind: Kind, account_id: int, party_id: int, row: Sequence[Any]
) -> None:
    """``row``: name, first, last, responsible, group, created_by, updated_by, created_at,
    updated_at (a company drops first and last)."""
    values = list(row) if kind == "contacts" else [row[0], *row[3:]]
    await conn.execute(UPDATE[kind], account_id, party_id, *values)


async def replace_values(
    conn: Connection,
    kind: Kind,
    account_id: int,
    party_id: int,
    field_ids: Sequence[int],
    rows: Sequence[Sequence[Any]],
) -> None:
    """The named fields' values replaced by ``rows`` (none: cleared)."""
    await conn.execute(CLEAR_VALUES[kind], account_id, party_id, int_array(conn.dialect, field_ids))
    await conn.execute_many(INSERT_VALUES[kind], rows)


# -- tags ---------------------------------------------------------------------------------------

_TAG_TABLES: tuple[tuple[Kind, str, str], ...] = (
    ("contacts", "contact_tags", "contact_id"),
    ("companies", "company_tags", "company_id"),
)


class TagPair(NamedTuple):
    owner_id: int
    tag_id: int
    name: str


TAGS: dict[Kind, Query] = {
    kind: sql(
        f"SELECT pt.{owner}, t.id, t.name FROM {table} pt "  # noqa: S608 (names from _TAG_TABLES)
        "JOIN tags t ON t.account_id = pt.account_id AND t.id = pt.tag_id "
        f"WHERE pt.account_id = $1 AND pt.{owner} = ANY($2::bigint[]) ORDER BY pt.{owner}, t.id"
    )
    for kind, table, owner in _TAG_TABLES
}
ADD_TAG: dict[Kind, Query] = {
    kind: sql(
        f"INSERT INTO {table} (account_id, {owner}, tag_id) VALUES ($1, $2, $3) "  # noqa: S608 (names from _TAG_TABLES)
        "ON CONFLICT DO NOTHING"
    )
    for kind, table, owner in _TAG_TABLES
}
DROP_TAG: dict[Kind, Query] = {
    kind: sql(
        f"DELETE FROM {table} WHERE account_id = $1 AND {owner} = $2 AND tag_id = $3"  # noqa: S608 (names from _TAG_TABLES)
    )
    for kind, table, owner in _TAG_TABLES
}


async def party_tags(
    conn: Connection, kind: Kind, account_id: int, party_ids: Sequence[int]
) -> dict[int, list[tuple[int, str]]]:
    """Per party, its tags as (id, name), by tag id."""
    rows = await fetch_rows(
        conn, TagPair, TAGS[kind], account_id, int_array(conn.dialect, party_ids)
    )
    found: dict[int, list[tuple[int, str]]] = {}
    for r in rows:
        found.setdefault(r.owner_id, []).append((r.tag_id, r.name))
    return found


async def set_tags(
    conn: Connection,
    kind: Kind,
    account_id: int,
    added: Sequence[tuple[int, int]],
    dropped: Sequence[tuple[int, int]],
) -> None:
    """(party id, tag id) pairs to attach and to detach."""
    await conn.execute_many(DROP_TAG[kind], [(account_id, p, t) for p, t in dropped])
    await conn.execute_many(ADD_TAG[kind], [(account_id, p, t) for p, t in added])


DROP_CONTACT_COMPANIES = sql(
    "DELETE FROM company_contacts WHERE account_id = $1 AND contact_id = $2"
)
DROP_COMPANY_CONTACT = sql(
    "DELETE FROM company_contacts WHERE account_id = $1 AND company_id = $2 AND contact_id = $3"
)
TOUCH: dict[Kind, Query] = {
    kind: sql(
        f"UPDATE {kind} SET updated_at = $3, updated_by = $4 "  # noqa: S608 (a table from Kind)
        "WHERE account_id = $1 AND id = ANY($2::bigint[])"
    )
    for kind in ("contacts", "companies")
}


async def set_company(
    conn: Connection, account_id: int, contact_id: int, company_id: int | None
) -> None:
    """The contact's one company (a link to another replaces it); None: unlinked."""
    await conn.execute(DROP_CONTACT_COMPANIES, account_id, contact_id)
    if company_id is not None:
        await conn.execute(LINK_COMPANY_CONTACT, account_id, company_id, contact_id)


async def drop_company_contact(
    conn: Connection, account_id: int, company_id: int, contact_id: int
) -> None:
    await conn.execute(DROP_COMPANY_CONTACT, account_id, company_id, contact_id)


async def touch(
    conn: Connection, kind: Kind, account_id: int, ids: Sequence[int], now: int, user: int
) -> None:
    """A link write changes both ends: their ``updated_at``/``updated_by``."""
    if ids:
        await conn.execute(TOUCH[kind], account_id, int_array(conn.dialect, ids), now, user)
