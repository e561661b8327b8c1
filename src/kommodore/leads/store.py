"""Every SQL statement of leads. Reads load everything beside the lead row for a list of lead
ids at once, so a page of leads costs the same handful of statements as one lead; writes do the
lookups a batch needs, then one ``executemany`` per table and kind of change, so a batch of 250
costs a handful of round trips rather than thousands."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

import msgspec

from kommodore.auth.store import (
    AUTH_COLUMN_COUNT,
    AUTH_COLUMNS,
    AUTH_JOINS,
    CONTEXT_COLUMN_COUNT,
    CONTEXT_COLUMNS,
    AccountRef,
    TokenRecord,
    account_token,
    context_join,
    with_context_user,
)
from kommodore.db.database import (
    Connection,
    Query,
    fetch_column,
    fetch_rows,
    int_array,
    sql,
    text_array,
)
from kommodore.db.where import Where
from kommodore.http.hal import TagRef
from kommodore.loss_reasons.store import LossReasonRow
from kommodore.search import index as search

LEAD_COLUMNS = (
    "l.id, l.name, l.price, l.price_minor, l.responsible_user_id, l.group_id, l.status_id, "
    "l.pipeline_id, l.loss_reason_id, l.source_id, l.created_by, l.updated_by, l.created_at, "
    "l.updated_at, l.closed_at, l.closest_task_at, l.is_deleted, l.score, l.labor_cost, "
    "l.is_price_computed, l.is_price_modified_by_robot"
)
"""The lead row's columns, in the order of :func:`lead_row`'s parameters."""
LEAD_FIELDS = f"{LEAD_COLUMNS}, lr.name, lr.sort, lr.created_at, lr.updated_at, s.name"
"""The lead's columns and its loss reason's and source's: :func:`lead_row`'s parameters."""
LEAD_FIELD_COUNT = LEAD_FIELDS.count(",") + 1  # plain column names, no commas inside
_REASON_AND_SOURCE = (
    "LEFT JOIN loss_reasons lr ON lr.account_id = l.account_id AND lr.id = l.loss_reason_id "
    "LEFT JOIN sources s ON s.account_id = l.account_id AND s.id = l.source_id"
)
LEAD_SELECT = f"SELECT {LEAD_FIELDS} FROM leads l {_REASON_AND_SOURCE}"  # noqa: S608 (fixed fragments)
"""A lead with its loss reason and source, which every answer may embed: one statement."""


@dataclass(slots=True)
class LeadRow:
    id: int
    name: str
    price: int
    price_minor: int
    responsible_user_id: int
    group_id: int
    status_id: int
    pipeline_id: int
    loss_reason_id: int | None
    source_id: int | None
    created_by: int
    updated_by: int
    created_at: int
    updated_at: int
    closed_at: int | None
    closest_task_at: int | None
    is_deleted: bool
    score: int | None
    labor_cost: int | None
    is_price_computed: bool
    is_price_modified_by_robot: bool
    loss_reason: LossReasonRow | None = None
    source_name: str | None = None


def lead_row(
    id: int, name: str, price: int, price_minor: int, responsible_user_id: int, group_id: int,
    status_id: int, pipeline_id: int, loss_reason_id: int | None, source_id: int | None,
    created_by: int, updated_by: int, created_at: int, updated_at: int, closed_at: int | None,
    closest_task_at: int | None, is_deleted: Any, score: int | None, labor_cost: int | None,
    is_price_computed: Any, is_price_modified_by_robot: Any, reason_name: str | None,
    reason_sort: Any, reason_created_at: Any, reason_updated_at: Any, source_name: str | None,
) -> LeadRow:  # fmt: skip
    """A row of ``LEAD_SELECT``, unpacked into the parameters (``lead_row(*r)``): flags come
    back as 0/1 from SQLite; a reason or source that no longer exists is left out."""
    reason = None
    if loss_reason_id is not None and reason_name is not None:
        reason = LossReasonRow(
            loss_reason_id, reason_name, reason_sort, reason_created_at, reason_updated_at
        )
    return LeadRow(
        id, name, price, price_minor, responsible_user_id, group_id, status_id, pipeline_id,
        loss_reason_id, source_id, created_by, updated_by, created_at, updated_at, closed_at,
        closest_task_at, bool(is_deleted), score, labor_cost, bool(is_price_computed),
        bool(is_price_modified_by_robot), reason, source_name if source_id is not None else None,
    )  # fmt: skip


async def lead_rows(conn: Connection, query: Query, *args: Any) -> list[LeadRow]:
    """The leads a statement starting with ``LEAD_SELECT`` (or ``_LOCKED_SELECT``) finds."""
    return [lead_row(*r) for r in await conn.fetch_all(query, *args)]


GET_LEAD = sql(f"{LEAD_SELECT} WHERE l.account_id = $1 AND l.id = $2")
LEADS_BY_ID = sql(f"{LEAD_SELECT} WHERE l.account_id = $1 AND l.id = ANY($2::bigint[])")


async def get_lead(conn: Connection, account_id: int, lead_id: int) -> LeadRow | None:
    row = await conn.fetch_one(GET_LEAD, account_id, lead_id)
    return None if row is None else lead_row(*row)


async def leads_by_id(
    conn: Connection, account_id: int, lead_ids: Sequence[int]
) -> dict[int, LeadRow]:
    """The account's leads among ``lead_ids`` (deleted ones too), by id."""
    found = await lead_rows(conn, LEADS_BY_ID, account_id, int_array(conn.dialect, lead_ids))
    return {lead.id: lead for lead in found}


# -- what a lead embeds, for many leads in one statement -------------------------------------
#
# One UNION ALL over the link tables and the custom field values, each branch shaped to the
# same columns: (kind, lead_id, id, n1, n2, num, o1, o2, o3, t1 .. t7), then sorted into typed
# parts by kind. A list page thus costs three statements whatever its size: the token, the
# page, and this; a lead by id joins it to the token and the lead (``TOKEN_AND_LEAD`` below).


TagPart = TagRef
"""A lead's tag is the shape it is embedded in (``_embedded.tags[]``), read by name."""


class CompanyPart(msgspec.Struct, gc=False):
    id: int


class ContactPart(msgspec.Struct, gc=False):
    id: int
    is_main: bool


class ElementPart(msgspec.Struct, gc=False):
    id: int
    catalog_id: int
    price_id: int | None
    quantity: int | float
    """A whole quantity as an int (``2``, not ``2.0``), as Kommo writes it."""


class ValuePart(msgspec.Struct, gc=False):
    """One value of a custom field; a field's values come together, in their order."""

    field_id: int
    enum_id: int | None
    value_int: int | None
    field_name: str
    field_code: str | None
    field_type: str
    enum_value: str | None
    enum_code: str | None
    value_text: str | None
    value_json: str | None


TAG, COMPANY, CONTACT, ELEMENT, VALUE = range(5)
# typed NULLs: PostgreSQL resolves a UNION column's type from its first branches
_BIG, _REAL, _TEXT = "CAST(NULL AS BIGINT)", "CAST(NULL AS DOUBLE PRECISION)", "CAST(NULL AS TEXT)"
_N = f"{_BIG}, {_BIG}, {_REAL}"  # n1, n2, num


def _texts(count: int) -> str:
    return ", ".join([_TEXT] * count)


_BRANCHES = {
    # kind: (alias of the table with lead_id, id .. t7, FROM, extra condition)
    TAG: (
        "lt",
        f"t.id, {_N}, t.id, 0, 0, t.name, t.color, {_texts(5)}",
        "lead_tags lt JOIN tags t ON t.account_id = lt.account_id AND t.id = lt.tag_id",
        "",
    ),
    COMPANY: (
        "lc",
        f"lc.company_id, {_N}, lc.company_id, 0, 0, {_texts(7)}",
        "lead_companies lc "
        "JOIN companies c ON c.account_id = lc.account_id AND c.id = lc.company_id",
        " AND NOT c.is_deleted",
    ),
    CONTACT: (
        "lc",
        f"lc.contact_id, {_N}, CASE WHEN lc.is_main THEN 0 ELSE 1 END, lc.contact_id, 0, "
        f"{_texts(7)}",
        "lead_contacts lc JOIN contacts c ON c.account_id = lc.account_id AND c.id = lc.contact_id",
        " AND NOT c.is_deleted",
    ),
    ELEMENT: (
        "le",
        f"le.element_id, le.catalog_id, le.price_id, le.quantity, le.element_id, 0, 0, {_texts(7)}",
        "lead_catalog_elements le "
        "JOIN catalog_elements e ON e.account_id = le.account_id AND e.id = le.element_id",
        " AND NOT e.is_deleted",
    ),
    VALUE: (
        "v",
        f"v.field_id, v.enum_id, v.value_int, {_REAL}, f.sort, f.id, v.position, f.name, "
        "f.code, f.type, e.value, e.code, v.value_text, v.value_json",
        "lead_custom_field_values v "
        "JOIN custom_fields f ON f.account_id = v.account_id AND f.id = v.field_id "
        "LEFT JOIN custom_field_enums e ON e.account_id = v.account_id AND e.id = v.enum_id",
        "",
    ),
}


def _branch(kind: int, lead_ids: str) -> str:
    """One kind's SELECT for the leads ``lead_ids`` picks (``= $2`` or ``= ANY($2...)``)."""
    alias, columns, source, extra = _BRANCHES[kind]
    return (
        f"SELECT {kind}, {alias}.lead_id, {columns} FROM {source} "  # noqa: S608 (fixed fragments of _BRANCHES)
        f"WHERE {alias}.account_id = $1 AND {alias}.lead_id {lead_ids}{extra}"
    )


@lru_cache(maxsize=32)
def _parts_query(kinds: frozenset[int], single: bool) -> Query:
    """The UNION of the asked kinds, by lead, kind, then each kind's order (o1, o2, o3);
    ``single`` compares with ``= $2`` rather than a list, which lets SQLite plan a point
    lookup."""
    lead_ids = "= $2" if single else "= ANY($2::bigint[])"
    body = " UNION ALL ".join(_branch(k, lead_ids) for k in sorted(kinds))
    return sql(f"{body} ORDER BY 2, 1, 7, 8, 9")


@dataclass(slots=True)
class LeadParts:
    """What the leads embed, by lead id, each list already in Kommo's order."""

    tags: dict[int, list[TagPart]] = field(default_factory=lambda: defaultdict(list))
    companies: dict[int, list[CompanyPart]] = field(default_factory=lambda: defaultdict(list))
    contacts: dict[int, list[ContactPart]] = field(default_factory=lambda: defaultdict(list))
    elements: dict[int, list[ElementPart]] = field(default_factory=lambda: defaultdict(list))
    values: dict[int, list[ValuePart]] = field(default_factory=lambda: defaultdict(list))

    def add_rows(self, rows: Iterable[Any]) -> None:
        """The rows of the UNION (kind, lead_id, id, n1, n2, num, o1, o2, o3, t1 .. t7), typed
        once by their kind: tags (id, name=t1, color=t2), companies (id), contacts (id,
        is_main = o1 == 0), elements (id, catalog_id=n1, price_id=n2, quantity=num), custom
        field values (field id, enum_id=n1, value_int=n2, name=t1, code=t2, type=t3, enum
        value=t4, enum code=t5, value_text=t6, value_json=t7). One loop, no call per row: a
        page of 250 leads brings thousands of them."""
        values, tags, companies = self.values, self.tags, self.companies
        contacts, elements = self.contacts, self.elements
        for kind, lead_id, id, n1, n2, num, o1, _, _, t1, t2, t3, t4, t5, t6, t7 in rows:
            if kind == VALUE:
                values[lead_id].append(ValuePart(id, n1, n2, t1, t2, t3, t4, t5, t6, t7))
            elif kind == TAG:
                tags[lead_id].append(TagPart(id=id, name=t1, color=t2))
            elif kind == COMPANY:
                companies[lead_id].append(CompanyPart(id))
            elif kind == CONTACT:
                contacts[lead_id].append(ContactPart(id, o1 == 0))
            else:
                quantity = int(num) if isinstance(num, float) and num.is_integer() else num
                elements[lead_id].append(ElementPart(id, n1, n2, quantity))


async def lead_parts(
    conn: Connection,
    account_id: int,
    lead_ids: Sequence[int],
    *,
    contacts: bool,
    elements: bool,
    tags_and_values: bool = True,
) -> LeadParts:
    """What the leads embed (companies always; tags and values, contacts, catalog elements
    when asked), typed and sorted by lead, in one statement."""
    kinds = {COMPANY}
    if tags_and_values:
        kinds |= {TAG, VALUE}
    if contacts:
        kinds.add(CONTACT)
    if elements:
        kinds.add(ELEMENT)
    single = len(lead_ids) == 1
    query = _parts_query(frozenset(kinds), single)
    if single:
        (ids,) = lead_ids
    else:
        ids = int_array(conn.dialect, lead_ids)
    parts = LeadParts()
    parts.add_rows(await conn.fetch_all(query, account_id, ids))
    return parts


# -- a lead by id and the request's token, in one statement ---------------------------------
#
# GET /api/v4/leads/{id} on PostgreSQL makes one round trip: the account and the token's record
# with its user (auth.store's columns and joins, so the rights inputs come along), the lead with
# its loss reason and source, and what the lead embeds as an array of the UNION's rows. Every
# part is keyed by the signed token's account_id ($1), so on Citus it runs on one shard. With
# X-Context-User-ID the user it names ($4) is joined too, so an admin acting as a user still
# makes one round trip. SQLite has no row arrays and no network: there the parts are a second
# statement.

_PARTS_COLUMNS = "kind, lead_id, id, n1, n2, num, o1, o2, o3, t1, t2, t3, t4, t5, t6, t7"


def _token_and_lead_query(kinds: frozenset[int], context: bool) -> Query:
    union = " UNION ALL ".join(_branch(k, "= $3") for k in sorted(kinds))
    parts = (
        f"ARRAY(SELECT ROW(p.*) FROM ({union}) AS p({_PARTS_COLUMNS}) "  # noqa: S608 (fixed fragments of _BRANCHES)
        "ORDER BY p.kind, p.o1, p.o2, p.o3)"
    )
    columns, joins = AUTH_COLUMNS, AUTH_JOINS
    if context:
        columns, joins = f"{AUTH_COLUMNS}, {CONTEXT_COLUMNS}", f"{AUTH_JOINS} {context_join('$4')}"
    head = (
        f"SELECT {columns}, {LEAD_FIELDS}, {{parts}} {joins} "
        f"LEFT JOIN leads l ON l.account_id = $1 AND l.id = $3 {_REASON_AND_SOURCE} "
        "WHERE a.id = $1"
    )
    return sql(head.format(parts=parts), sqlite=head.format(parts="NULL"))


def _kinds(contacts: bool, elements: bool) -> frozenset[int]:
    """What a lead embeds: companies, tags and values always; contacts and catalog elements
    when ``with`` asks."""
    return frozenset(
        {COMPANY, TAG, VALUE}
        | ({CONTACT} if contacts else set())
        | ({ELEMENT} if elements else set())
    )


TOKEN_AND_LEAD = {
    (contacts, elements, context): _token_and_lead_query(_kinds(contacts, elements), context)
    for contacts in (False, True)
    for elements in (False, True)
    for context in (False, True)
}
"""By (contacts, elements, context user): the eight texts a GET by id sends, prepared once per
connection (named constants, so asyncpg's statement cache or PgBouncer's prepared statements
keep them)."""


class TokenAndLead(NamedTuple):
    """What a GET by id's one statement found: the account and the token record (as
    ``auth.store.find_account_token`` gives them), the lead (deleted ones too), and what it
    embeds (None where they were not read with it: SQLite)."""

    account: AccountRef | None
    token: TokenRecord | None
    lead: LeadRow | None
    parts: LeadParts | None


async def token_and_lead(
    conn: Connection,
    account_id: int,
    jti: str,
    lead_id: int,
    *,
    contacts: bool,
    elements: bool,
    context_user_id: int | None = None,
) -> TokenAndLead:
    """The request's token (with the user ``context_user_id`` names, when given) and the lead
    ``lead_id`` of its account, in one statement."""
    context = context_user_id is not None
    query = TOKEN_AND_LEAD[contacts, elements, context]
    args = (account_id, jti, lead_id, context_user_id) if context else (account_id, jti, lead_id)
    row = await conn.fetch_one(query, *args)
    if row is None:
        return TokenAndLead(None, None, None, None)
    values = tuple(row)
    account, token = account_token(values[:AUTH_COLUMN_COUNT])
    start = AUTH_COLUMN_COUNT
    if context:
        token = with_context_user(token, values[start : start + CONTEXT_COLUMN_COUNT])
        start += CONTEXT_COLUMN_COUNT
    lead_values = values[start : start + LEAD_FIELD_COUNT]
    lead = None if lead_values[0] is None else lead_row(*lead_values)
    parts = None
    if (rows := values[-1]) is not None:
        parts = LeadParts()
        parts.add_rows(rows)
    return TokenAndLead(account, token, lead, parts)


_TOUCH = sql("UPDATE leads SET updated_at = $3, updated_by = $4 WHERE account_id = $1 AND id = $2")


async def touch_leads(
    conn: Connection, account_id: int, lead_ids: Sequence[int], user_id: int, now: int
) -> None:
    """Record a change made beside the lead row (links, tags): every successful write bumps
    ``updated_at`` and ``updated_by``."""
    await conn.execute_many(_TOUCH, [(account_id, i, now, user_id) for i in sorted(set(lead_ids))])


# -- lookups ---------------------------------------------------------------------------------

_USERS = sql("SELECT id, group_id FROM users WHERE account_id = $1 AND id = ANY($2::bigint[])")
_LOSS_REASONS = sql("SELECT id FROM loss_reasons WHERE account_id = $1 AND id = ANY($2::bigint[])")
_PARTIES = {
    kind: sql(
        f"SELECT id FROM {kind} WHERE account_id = $1 AND id = ANY($2::bigint[]) AND NOT is_deleted"  # noqa: S608 (table names from a fixed tuple)
    )
    for kind in ("contacts", "companies")
}
_SOURCES = sql(
    "SELECT external_id, id, pipeline_id FROM sources WHERE account_id = $1 "
    "AND external_id = ANY($2::text[]) AND (integration_id IS NULL OR integration_id = $3) "
    "ORDER BY integration_id NULLS LAST"
)
_LEADS = sql(
    f"SELECT {LEAD_COLUMNS}, NULL, NULL, NULL, NULL, NULL FROM leads l "  # noqa: S608 (a column list constant)
    "WHERE l.account_id = $1 AND l.id = ANY($2::bigint[]) FOR UPDATE"
)
"""The edited leads, locked on PostgreSQL until the batch commits (SQLite has one writer)."""
_VALUED_FIELDS = sql(
    "SELECT DISTINCT lead_id, field_id FROM lead_custom_field_values "
    "WHERE account_id = $1 AND lead_id = ANY($2::bigint[]) AND field_id = ANY($3::bigint[])"
)
_TAGS_BY_NAME = sql(
    "SELECT name, id FROM tags WHERE account_id = $1 AND entity_type = 'leads' "
    "AND name = ANY($2::text[])"
)
_LEAD_TAG_IDS = sql(
    "SELECT lead_id, tag_id FROM lead_tags WHERE account_id = $1 AND lead_id = ANY($2::bigint[])"
)


class _UserGroup(NamedTuple):
    id: int
    group_id: int | None


class SourceRef(NamedTuple):
    external_id: str
    id: int
    pipeline_id: int


class _NamedTag(NamedTuple):
    name: str
    id: int


class LeadField(NamedTuple):
    lead_id: int
    field_id: int


class _LeadTag(NamedTuple):
    lead_id: int
    tag_id: int


async def user_groups(conn: Connection, account_id: int, ids: Collection[int]) -> dict[int, int]:
    """user id -> group id (0 for the default group) for the ids that are account users."""
    if not ids:
        return {}
    ids_ = int_array(conn.dialect, sorted(ids))
    return {
        u.id: u.group_id or 0 for u in await fetch_rows(conn, _UserGroup, _USERS, account_id, ids_)
    }


async def existing(
    conn: Connection, query: Query, account_id: int, ids: Collection[int]
) -> set[int]:
    if not ids:
        return set()
    return set(await fetch_column(conn, query, account_id, int_array(conn.dialect, sorted(ids))))


async def loss_reasons(conn: Connection, account_id: int, ids: Collection[int]) -> set[int]:
    return await existing(conn, _LOSS_REASONS, account_id, ids)


async def parties(conn: Connection, kind: str, account_id: int, ids: Collection[int]) -> set[int]:
    """The ids among ``ids`` that are live contacts (or companies) of the account."""
    return await existing(conn, _PARTIES[kind], account_id, ids)


async def sources(
    conn: Connection, account_id: int, integration_id: str, external_ids: Collection[str]
) -> dict[str, SourceRef]:
    """external id -> its source: the integration's own sources first, then the account's."""
    if not external_ids:
        return {}
    found: dict[str, SourceRef] = {}
    names = text_array(conn, sorted(external_ids))
    for source in await fetch_rows(conn, SourceRef, _SOURCES, account_id, names, integration_id):
        found.setdefault(source.external_id, source)
    return found


async def leads_for_update(
    conn: Connection, account_id: int, ids: Collection[int]
) -> dict[int, LeadRow]:
    if not ids:
        return {}
    found = await lead_rows(conn, _LEADS, account_id, int_array(conn.dialect, sorted(ids)))
    return {lead.id: lead for lead in found}


async def valued_fields(
    conn: Connection, account_id: int, lead_ids: Collection[int], field_ids: Collection[int]
) -> set[LeadField]:
    """(lead id, field id) pairs that hold a value, for required-field checks on a move."""
    if not lead_ids or not field_ids:
        return set()
    leads = int_array(conn.dialect, sorted(lead_ids))
    fields = int_array(conn.dialect, sorted(field_ids))
    return set(await fetch_rows(conn, LeadField, _VALUED_FIELDS, account_id, leads, fields))


async def tag_ids_by_name(
    conn: Connection, account_id: int, names: Collection[str]
) -> dict[str, int]:
    """Existing lead tags by exact name, without creating any (for ``tags_to_delete``)."""
    if not names:
        return {}
    found = await fetch_rows(
        conn, _NamedTag, _TAGS_BY_NAME, account_id, text_array(conn, sorted(names))
    )
    return {tag.name: tag.id for tag in found}


async def lead_tag_ids(
    conn: Connection, account_id: int, lead_ids: Collection[int]
) -> dict[int, set[int]]:
    tags: dict[int, set[int]] = defaultdict(set)
    if lead_ids:
        ids = int_array(conn.dialect, sorted(lead_ids))
        for link in await fetch_rows(conn, _LeadTag, _LEAD_TAG_IDS, account_id, ids):
            tags[link.lead_id].add(link.tag_id)
    return tags


# -- writes ----------------------------------------------------------------------------------

LEAD_INSERT_COLUMNS = (
    "account_id", "id", "name", "price", "price_minor", "responsible_user_id", "group_id",
    "pipeline_id", "status_id", "loss_reason_id", "source_id", "created_by", "updated_by",
    "created_at", "updated_at", "closed_at", "closest_task_at", "is_deleted", "score",
    "labor_cost", "is_price_computed", "is_price_modified_by_robot",
)  # fmt: skip


def _insert(table: str, columns: Sequence[str], conflict: str = "") -> Query:
    marks = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    return sql(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}){conflict}")  # noqa: S608 (names and marks from code)


INSERT_LEAD = _insert("leads", LEAD_INSERT_COLUMNS)
VALUE_COLUMNS = (
    "account_id", "lead_id", "field_id", "position", "enum_id", "value_text", "value_number",
    "value_int", "value_json",
)  # fmt: skip
INSERT_VALUE = _insert("lead_custom_field_values", VALUE_COLUMNS)
DELETE_FIELD_VALUES = sql(
    "DELETE FROM lead_custom_field_values WHERE account_id = $1 AND lead_id = $2 AND field_id = $3"
)
INSERT_LEAD_TAG = _insert(
    "lead_tags", ("account_id", "lead_id", "tag_id"), " ON CONFLICT DO NOTHING"
)
DELETE_LEAD_TAG = sql(
    "DELETE FROM lead_tags WHERE account_id = $1 AND lead_id = $2 AND tag_id = $3"
)
DELETE_LEAD_TAGS = sql("DELETE FROM lead_tags WHERE account_id = $1 AND lead_id = $2")
INSERT_LEAD_CONTACT = _insert("lead_contacts", ("account_id", "lead_id", "contact_id", "is_main"))
INSERT_LEAD_COMPANY = _insert("lead_companies", ("account_id", "lead_id", "company_id"))

#: Columns an edit may set, in the order their parameters follow ``account_id, id``.
UPDATABLE = (
    "name", "price", "price_minor", "responsible_user_id", "group_id", "pipeline_id",
    "status_id", "loss_reason_id", "created_at", "updated_at", "updated_by", "closed_at",
)  # fmt: skip


@lru_cache(maxsize=256)
def update_query(columns: tuple[str, ...]) -> Query:
    """``UPDATE leads SET c = $3, ...`` for one set of changed columns (whitelisted)."""
    assert set(columns) <= set(UPDATABLE)
    sets = ", ".join(f"{c} = ${i}" for i, c in enumerate(columns, start=3))
    return sql(f"UPDATE leads SET {sets} WHERE account_id = $1 AND id = $2")  # noqa: S608 (whitelisted columns)


async def insert_leads(conn: Connection, rows: Sequence[Sequence[Any]]) -> None:
    await conn.execute_many(INSERT_LEAD, rows)


async def update_leads(
    conn: Connection, account_id: int, changes: Iterable[tuple[int, dict[str, Any]]]
) -> None:
    """Each lead's changed columns; leads changing the same columns share one executemany."""
    groups: dict[tuple[str, ...], list[list[Any]]] = defaultdict(list)
    for lead_id, values in changes:
        columns = tuple(c for c in UPDATABLE if c in values)
        groups[columns].append([account_id, lead_id, *(values[c] for c in columns)])
    for columns, rows in groups.items():
        await conn.execute_many(update_query(columns), rows)


async def replace_values(
    conn: Connection,
    account_id: int,
    cleared: Sequence[tuple[int, int]],
    rows: Sequence[Sequence[Any]],
) -> None:
    """Drop the listed (lead, field) values, then insert the new rows."""
    await conn.execute_many(DELETE_FIELD_VALUES, [(account_id, lead, f) for lead, f in cleared])
    await conn.execute_many(INSERT_VALUE, rows)


async def change_tags(
    conn: Connection,
    account_id: int,
    *,
    cleared_leads: Sequence[int],
    removed: Sequence[tuple[int, int]],
    added: Sequence[tuple[int, int]],
) -> None:
    await conn.execute_many(DELETE_LEAD_TAGS, [(account_id, lead) for lead in cleared_leads])
    await conn.execute_many(DELETE_LEAD_TAG, [(account_id, lead, t) for lead, t in removed])
    await conn.execute_many(INSERT_LEAD_TAG, [(account_id, lead, t) for lead, t in added])


async def link_parties(
    conn: Connection,
    account_id: int,
    contacts: Sequence[tuple[int, int, bool]],
    companies: Sequence[tuple[int, int]],
) -> None:
    """New leads' contacts (lead, contact, is_main) and companies (lead, company)."""
    await conn.execute_many(INSERT_LEAD_CONTACT, [(account_id, *c) for c in contacts])
    await conn.execute_many(INSERT_LEAD_COMPANY, [(account_id, *c) for c in companies])


async def reindex(
    conn: Connection, account_id: int, lead_ids: Collection[int], *, fresh: bool = False
) -> None:
    """Rebuild the search documents of these leads: a written name or value is
    findable by ``query`` as soon as the batch commits. ``fresh``: new leads, no old ones."""
    await search.reindex(conn, account_id, sorted(set(lead_ids)), fresh=fresh)


# -- the values edited fields held, for their events -------------------------------------------

VALUES_OF = sql(
    "SELECT v.lead_id, v.field_id, v.enum_id, v.value_text, v.value_int, v.value_json, e.value "
    "FROM lead_custom_field_values v "
    "LEFT JOIN custom_field_enums e ON e.account_id = v.account_id AND e.id = v.enum_id "
    "WHERE v.account_id = $1 AND v.lead_id = ANY($2::bigint[]) "
    "AND v.field_id = ANY($3::bigint[]) ORDER BY v.lead_id, v.field_id, v.position"
)


class OldValue(NamedTuple):
    lead_id: int
    field_id: int
    enum_id: int | None
    value_text: str | None
    value_int: int | None
    value_json: str | None
    enum_value: str | None


async def values_of(
    conn: Connection, account_id: int, lead_ids: Sequence[int], field_ids: Sequence[int]
) -> list[OldValue]:
    """The leads' values of those fields (with their enum's label), in their order."""
    leads, fields = int_array(conn.dialect, lead_ids), int_array(conn.dialect, field_ids)
    return await fetch_rows(conn, OldValue, VALUES_OF, account_id, leads, fields)


# -- the account's stages, for the stage rules --------------------------------------------------

STAGES_OF = sql(
    "SELECT s.pipeline_id, s.id, s.type, s.sort, p.is_main FROM statuses s "
    "JOIN pipelines p ON p.account_id = s.account_id AND p.id = s.pipeline_id "
    "WHERE s.account_id = $1 ORDER BY p.sort, p.id, s.sort, s.id"
)


class StageRow(NamedTuple):
    pipeline_id: int
    status_id: int
    type: int
    sort: int
    pipeline_is_main: bool


async def stages_of(conn: Connection, account_id: int) -> list[StageRow]:
    """The account's stages in the pipelines' order."""
    return await fetch_rows(conn, StageRow, STAGES_OF, account_id)


# -- delete and restore -----------------------------------------------------------------------

SET_DELETED = sql(
    "UPDATE leads SET is_deleted = $3, updated_at = $4, updated_by = $5 "
    "WHERE account_id = $1 AND id = $2"
)


async def set_deleted(
    conn: Connection, account_id: int, ids: Sequence[int], deleted: bool, now: int, actor_id: int
) -> None:
    await conn.execute_many(SET_DELETED, [(account_id, i, deleted, now, actor_id) for i in ids])


# -- unsorted (the incoming leads a complex add's metadata makes) ------------------------------

UNSORTED_COLUMNS = (
    "account_id", "uid", "source_uid", "source_name", "category", "pipeline_id", "created_at",
    "metadata", "lead_id", "contact_id", "company_id",
)  # fmt: skip
INSERT_UNSORTED = _insert("unsorted", UNSORTED_COLUMNS)
UNSORTED_SELECT = (
    "SELECT u.uid, u.source_uid, u.source_name, u.category, u.pipeline_id, u.created_at, "
    "u.metadata, u.lead_id, u.contact_id, u.company_id FROM unsorted u "
    "JOIN leads l ON l.account_id = u.account_id AND l.id = u.lead_id "
    "JOIN statuses s ON s.account_id = l.account_id AND s.pipeline_id = l.pipeline_id "
    "AND s.id = l.status_id"
)
"""An unsorted entry with its lead, which must still be live and incoming for the entry to
show (the caller's WHERE says so: :data:`UNSORTED_PENDING`)."""
UNSORTED_PENDING = "NOT l.is_deleted AND s.type = 1"


class UnsortedRow(NamedTuple):
    uid: str
    source_uid: str | None
    source_name: str | None
    category: str
    pipeline_id: int
    created_at: int
    metadata: str
    """JSON text of the category's keys."""
    lead_id: int
    contact_id: int | None
    company_id: int | None


async def insert_unsorted(conn: Connection, rows: Sequence[Sequence[Any]]) -> None:
    """Rows in :data:`UNSORTED_COLUMNS` order."""
    await conn.execute_many(INSERT_UNSORTED, rows)


async def unsorted_page(
    conn: Connection, q: Where, order: str, offset: int, limit: int
) -> list[UnsortedRow]:
    """A page of :data:`UNSORTED_SELECT` under the clauses of ``q`` (the account's, the
    rights' and the filters', aliased ``u`` and ``l``)."""
    return await fetch_rows(
        conn, UnsortedRow, q.page(UNSORTED_SELECT, order, offset, limit), *q.args
    )
