"""Reading the account's lead custom fields; every user may read them."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import msgspec

from kommodore.auth.service import MAX_ID
from kommodore.custom_fields import store, types, wire
from kommodore.custom_fields.store import EnumRow, FieldRow
from kommodore.db.database import Connection
from kommodore.http.directory import found
from kommodore.http.hal import collection_body, self_links
from kommodore.http.paging import Page, page_links
from kommodore.http.phpquery import as_list, get_path
from kommodore.http.problems import Problem

MAX_LIMIT = 50
"""Kommo returns at most 50 fields per page."""
DEFAULT_ORDER = (("sort", "asc"), ("id", "asc"))


def field_not_found() -> Problem:
    return Problem(404, "Custom field not found")


def order_of(params: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """``order[sort]``/``order[id]`` = ``asc``/``desc``, in the order sent; anything else is
    ignored. ``id`` breaks ties, in the direction of the first key, so pages never overlap."""
    raw = get_path(params, "order")
    order: list[tuple[str, str]] = []
    if isinstance(raw, dict):
        for key, value in raw.items():
            if key in store.ORDER_COLUMNS and isinstance(value, str):
                direction = value.strip().lower()
                if direction in ("asc", "desc") and key not in dict(order):
                    order.append((key, direction))
    if not order:
        return DEFAULT_ORDER
    if "id" not in dict(order):
        _, first_direction = order[0]
        order.append(("id", first_direction))
    return tuple(order)


def types_of(params: dict[str, Any]) -> list[str] | None:
    """``filter[type][]=select`` (or the scalar ``filter[type]=select``); None: no filter."""
    raw = get_path(params, "filter", "type")
    return None if raw is None else as_list(raw)


async def read_field(
    conn: Connection, account_id: int, field_id: int, origin: str, entity: str = "leads"
) -> bytes:
    """One field of ``entity``; an unknown id (or another entity's field) is a 404 problem."""
    row = await field_row(conn, account_id, field_id, entity)
    enums = await store.enums(conn, account_id, [row.id])
    return wire.encoder.encode(_model(row, enums.get(row.id, []), account_id, origin))


async def field_row(
    conn: Connection, account_id: int, field_id: int, entity: str = "leads"
) -> FieldRow:
    """The account's field of ``entity``, or the 404 problem (an id out of range names
    nothing)."""
    valid = 1 <= field_id <= MAX_ID
    row = await store.get_field(conn, account_id, field_id, entity) if valid else None
    return found(row, field_not_found)


async def list_fields(
    conn: Connection,
    account_id: int,
    field_types: Sequence[str] | None,
    order: tuple[tuple[str, str], ...],
    page: Page,
    origin: str,
    url: str,
    raw_query: str,
    entity: str = "leads",
) -> bytes | None:
    """A page of fields, or None (204) when nothing matches or the page is past the end."""
    rows, total = await store.list_fields(
        conn, account_id, field_types, order, page.offset, page.limit, entity
    )
    if not rows:
        return None
    enums = await store.enums(conn, account_id, [r.id for r in rows if r.type in types.WITH_ENUMS])
    items = [_model(r, enums.get(r.id, []), account_id, origin) for r in rows]
    page_count = math.ceil(total / page.limit)
    links = page_links(url, raw_query, page, page.number < page_count, page_count)
    return collection_body(
        "custom_fields", items, links, page=page.number, total_items=total, page_count=page_count
    )


async def models(
    conn: Connection, account_id: int, field_ids: Sequence[int], origin: str, entity: str = "leads"
) -> dict[int, wire.CustomField]:
    """The fields as ``GET /{id}`` shows them, by id (write answers re-read what they wrote)."""
    rows = await store.fields_by_ids(conn, account_id, field_ids, entity)
    enums = await store.enums(conn, account_id, list(rows))
    return {
        field_id: _model(row, enums.get(field_id, []), account_id, origin)
        for field_id, row in rows.items()
    }


def _json(text: str | None) -> Any:
    return None if text is None else msgspec.json.decode(text)


def _model(row: FieldRow, enums: list[EnumRow], account_id: int, origin: str) -> wire.CustomField:
    return wire.CustomField(
        id=row.id,
        name=row.name,
        code=row.code,
        sort=row.sort,
        type=row.type,
        entity_type=row.entity_type,
        account_id=account_id,
        is_computed=row.is_computed,
        is_predefined=row.is_predefined,
        is_deletable=row.is_deletable,
        is_api_only=row.is_api_only,
        group_id=row.group_id,
        required_statuses=_json(row.required_statuses) or [],
        hidden_statuses=_json(row.hidden_statuses) or [],
        enums=(
            [wire.Enum(id=e.id, value=e.value, sort=e.sort, code=e.code) for e in enums]
            if row.type in types.WITH_ENUMS
            else None
        ),
        remind=row.remind,
        currency=row.currency,
        chained_lists=_json(row.chained_lists),
        tracking_callback=row.tracking_callback,
        search_in=row.search_in,
        triggers=[],
        links=self_links(f"{origin}/api/v4/{row.entity_type}/custom_fields/{row.id}"),
    )
