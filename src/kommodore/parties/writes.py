"""Creating contacts and companies, for complex lead adds: the base row, custom
field values stored as a lead's are, and the link between a new contact and its company."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kommodore.db.database import Connection, sql

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
        f"INSERT INTO {table} (account_id, {owner}, field_id, position, enum_id, value_text, "
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
    kind: str,
    rows: Sequence[Sequence[Any]],
    values: Sequence[Sequence[Any]],
) -> None:
    """Rows in the column order of :data:`INSERT` (``first_name, last_name`` for contacts
    only); values as ``(account_id, owner_id, field_id, position, enum_id, text, number, int,
    json)``."""
    await conn.execute_many(INSERT[kind], rows)
    await conn.execute_many(INSERT_VALUES[kind], values)


async def link_companies(
    conn: Connection, account_id: int, pairs: Sequence[tuple[int, int]]
) -> None:
    """(company id, contact id) pairs; an existing link stays as it is."""
    await conn.execute_many(LINK_COMPANY_CONTACT, [(account_id, c, p) for c, p in pairs])
