"""Kommo's Unsorted, read-only: ``GET /api/v4/leads/unsorted`` and ``/unsorted/{uid}``.

An entry is what a complex add's ``_embedded.metadata`` made: the incoming lead, its contact
and company, the category and its metadata. It is listed while its lead is live and still in
an incoming stage (moving the lead out of it is accepting it; deleting it, declining), and a
user sees the entries of the leads they may view, the rights being a clause of the statement
as in the leads' list.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from kommodore.auth.rights import lead_visibility
from kommodore.auth.service import Principal
from kommodore.auth.store import lead_visibility_sql
from kommodore.db.database import Connection
from kommodore.db.where import Where
from kommodore.http.hal import collection_body, self_links
from kommodore.http.paging import Page, page_links
from kommodore.http.phpquery import as_list
from kommodore.http.query import int_values
from kommodore.leads import store, wire
from kommodore.leads.store import UnsortedRow

UID = re.compile(r"[0-9a-f]{1,64}")
"""What a uid can be (the API makes 60 hex characters; seeds may give shorter ones)."""
METADATA_KEYS = {
    "forms": ("form_id", "form_name", "form_page", "ip", "form_sent_at", "referer", "visitor_uid"),
    "sip": ("from", "phone", "called_at", "duration", "link", "service_code", "uniq"),
}
"""What an entry's ``metadata`` holds, per category, in the order of Kommo's models."""


def metadata_of(category: str, sent: dict[str, Any]) -> bytes:
    """The entry's metadata: the category's keys in Kommo's order, each as sent (null when
    not sent); other keys are not kept."""
    return msgspec.json.encode({key: sent.get(key) for key in METADATA_KEYS[category]})


@dataclass(frozen=True, slots=True)
class NewEntry:
    """An incoming lead a complex add made, and what it came with."""

    category: str
    metadata: bytes
    pipeline_id: int
    lead_id: int
    contact_id: int | None
    company_id: int | None


async def add_entries(
    conn: Connection, account_id: int, entries: Sequence[NewEntry], now: int
) -> None:
    """One unsorted row per entry, each with a fresh uid of 60 hex characters (Kommo's
    length); no ``source_uid``/``source_name``: a complex add names neither."""
    await store.insert_unsorted(
        conn,
        [
            (account_id, secrets.token_hex(30), None, None, e.category, e.pipeline_id, now,
             e.metadata.decode(), e.lead_id, e.contact_id, e.company_id)
            for e in entries
        ],
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class UnsortedQuery:
    """``filter[uid]``, ``filter[category]``, ``filter[pipeline_id]``, ``order[created_at]``."""

    uids: list[str] | None = None
    categories: list[str] | None = None
    pipeline_ids: list[int] | None = None
    descending: bool = False


def unsorted_query(params: dict[str, Any]) -> UnsortedQuery:
    f = params.get("filter")
    filters: dict[str, Any] = f if isinstance(f, dict) else {}
    order = params.get("order")
    direction = order.get("created_at") if isinstance(order, dict) else None
    uids = filters.get("uid")
    categories = filters.get("category")
    return UnsortedQuery(
        uids=as_list(uids) if uids is not None else None,
        categories=as_list(categories) if categories is not None else None,
        pipeline_ids=int_values(filters.get("pipeline_id")),
        descending=isinstance(direction, str) and direction.strip().lower() == "desc",
    )


async def _rows(
    conn: Connection, principal: Principal, query: UnsortedQuery, offset: int, limit: int
) -> list[UnsortedRow]:
    q = Where(conn.dialect, "u.account_id", principal.account.id)
    q.clauses.append(store.UNSORTED_PENDING)
    rights = lead_visibility_sql(lead_visibility(principal.actor), q.arg)
    if rights is not None:
        q.clauses.append(rights)
    if query.uids is not None:
        q.clauses.append(q.texts_in("u.uid", query.uids))
    if query.categories is not None:
        q.clauses.append(q.texts_in("u.category", query.categories))
    if query.pipeline_ids is not None:
        q.clauses.append(q.ints_in("u.pipeline_id", query.pipeline_ids))
    direction = "DESC" if query.descending else "ASC"
    order = f"u.created_at {direction}, u.lead_id {direction}"
    return await store.unsorted_page(conn, q, order, offset, limit)


def _model(row: UnsortedRow, account_id: int, origin: str) -> wire.Unsorted:
    def refs(path: str, entity_id: int | None) -> list[wire.CompanyRef]:
        if entity_id is None:
            return []
        href = f"{origin}/api/v4/{path}/{entity_id}"
        return [wire.CompanyRef(id=entity_id, links=self_links(href))]

    return wire.Unsorted(
        uid=row.uid,
        source_uid=row.source_uid,
        source_name=row.source_name,
        category=row.category,
        pipeline_id=row.pipeline_id,
        created_at=row.created_at,
        metadata=msgspec.Raw(row.metadata.encode()),
        account_id=account_id,
        links=self_links(f"{origin}/api/v4/leads/unsorted/{row.uid}"),
        embedded=wire.UnsortedEmbedded(
            contacts=refs("contacts", row.contact_id),
            leads=refs("leads", row.lead_id),
            companies=refs("companies", row.company_id),
        ),
    )


async def list_unsorted(
    conn: Connection,
    principal: Principal,
    query: UnsortedQuery,
    page: Page,
    origin: str,
    url: str,
    raw_query: str,
) -> bytes | None:
    """A page of the entries the user sees, or None (204) when there is none; by
    ``created_at`` (ascending unless ``order[created_at]=desc``), then by lead."""
    rows = await _rows(conn, principal, query, page.offset, page.limit + 1)
    if not rows:
        return None
    account_id = principal.account.id
    items = [_model(r, account_id, origin) for r in rows[: page.limit]]
    links = page_links(url, raw_query, page, len(rows) > page.limit)
    return collection_body("unsorted", items, links, page=page.number)


async def read_unsorted(
    conn: Connection, principal: Principal, uid: str, origin: str
) -> bytes | None:
    """One entry, or None (204): unknown, another account's, accepted or declined, or of a
    lead the user may not view. A uid no entry can have (not hex, too long) is not looked up."""
    if not UID.fullmatch(uid):
        return None
    rows = await _rows(conn, principal, UnsortedQuery(uids=[uid]), 0, 1)
    if not rows:
        return None
    return wire.encoder.encode(_model(rows[0], principal.account.id, origin))
