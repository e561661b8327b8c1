"""The pipeline board and the lead page: what the console draws, read and written through the
leads package as the API reads and writes (rights inside the list SQL, stage rules, required
fields, events and webhooks on a move)."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from kommodore.auth.rights import lead_visibility
from kommodore.auth.service import Principal
from kommodore.console import store
from kommodore.db.database import Connection
from kommodore.http.problems import Problem
from kommodore.leads import changes, listing, service
from kommodore.leads.filters import LeadQuery

CARDS_PER_PAGE = 50
"""Cards a column shows at first and adds per "more": a 100,000-lead stage stays usable."""
LEAD_WITH = frozenset(
    {"contacts", "catalog_elements", "loss_reason", "source", "is_price_modified_by_robot"}
)
"""What the lead page asks ``GET /api/v4/leads/{id}`` to embed."""


@dataclass(frozen=True, slots=True)
class Filters:
    responsible_user_id: int | None = None
    tag_id: int | None = None
    query: str | None = None

    def lead_query(self, pipeline_id: int, status_id: int) -> LeadQuery:
        """Kommo's board order: the most recently changed lead first."""
        return LeadQuery(
            statuses=[(pipeline_id, status_id)],
            responsible_user_ids=None
            if self.responsible_user_id is None
            else [self.responsible_user_id],
            tag_ids=None if self.tag_id is None else [self.tag_id],
            search=self.query or None,
            order="updated_at",
            direction="desc",
        )


@dataclass(frozen=True, slots=True)
class Card:
    id: int
    name: str
    price: int
    responsible: str
    tags: list[store.LeadTag]


@dataclass(slots=True)
class Column:
    stage: store.StageRow
    leads: int = 0
    price: int = 0
    cards: list[Card] = field(default_factory=list)
    more: bool = False


@dataclass(slots=True)
class Board:
    pipelines: list[tuple[int, str]]
    pipeline_id: int
    columns: list[Column]
    users: list[store.UserRow]
    tags: list[store.TagRow]
    stages: list[store.StageRow]
    """Every stage of every pipeline (the keyboard's "move to" choices)."""


async def cards(
    conn: Connection,
    principal: Principal,
    pipeline_id: int,
    status_id: int,
    filters: Filters,
    offset: int,
    user_names: dict[int, str] | None = None,
) -> tuple[list[Card], bool]:
    """One column's cards from ``offset``, and whether more follow."""
    account_id = principal.account.id
    rows = await listing.list_lead_rows(
        conn,
        account_id,
        filters.lead_query(pipeline_id, status_id),
        lead_visibility(principal.actor),
        offset,
        CARDS_PER_PAGE + 1,
    )
    more = len(rows) > CARDS_PER_PAGE
    rows = rows[:CARDS_PER_PAGE]
    if user_names is None:
        user_names = {u.id: u.name for u in await store.users(conn, account_id)}
    tags: dict[int, list[store.LeadTag]] = defaultdict(list)
    for tag in await store.lead_tags(conn, account_id, [r.id for r in rows]):
        tags[tag.lead_id].append(tag)
    found = [
        Card(r.id, r.name, r.price, user_names.get(r.responsible_user_id, "?"), tags[r.id])
        for r in rows
    ]
    return found, more


async def board(
    conn: Connection, principal: Principal, pipeline_id: int | None, filters: Filters
) -> Board:
    account_id = principal.account.id
    stages = await store.stages(conn, account_id)
    pipelines = list(dict.fromkeys((s.pipeline_id, s.pipeline_name) for s in stages))
    if pipeline_id not in {p for p, _ in pipelines}:
        main = [s.pipeline_id for s in stages if s.is_main]
        pipeline_id = main[0] if main else (pipelines[0][0] if pipelines else 0)
    users = await store.users(conn, account_id)
    names = {u.id: u.name for u in users}
    columns = [Column(s) for s in stages if s.pipeline_id == pipeline_id]
    query = LeadQuery(
        pipeline_ids=[pipeline_id],
        responsible_user_ids=None
        if filters.responsible_user_id is None
        else [filters.responsible_user_id],
        tag_ids=None if filters.tag_id is None else [filters.tag_id],
        search=filters.query or None,
    )
    totals = {
        t.status_id: t
        for t in await listing.stage_totals(
            conn, account_id, query, lead_visibility(principal.actor)
        )
    }
    for column in columns:
        total = totals.get(column.stage.id)
        if total is None:
            continue
        column.leads, column.price = total.leads, int(total.price)
        column.cards, column.more = await cards(
            conn, principal, pipeline_id, column.stage.id, filters, 0, names
        )
    tags = await store.tags(conn, account_id)
    return Board(pipelines, pipeline_id, columns, users, tags, stages)


class MoveRefused(Exception):
    """A move the lead service refused: its status and Kommo's problem body, to show."""

    def __init__(self, status: int, detail: str, errors: list[str]) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors


async def move(
    conn: Connection, principal: Principal, lead_id: int, pipeline_id: int, status_id: int
) -> None:
    """Move a lead as ``PATCH /api/v4/leads`` does, in the caller's transaction."""
    item = {"id": lead_id, "pipeline_id": pipeline_id, "status_id": status_id}
    inputs, errors = changes.read_batch([item], update=True)
    try:
        await changes.edit_leads(conn, principal, inputs, errors, int(time.time()))
    except Problem as exc:
        raise MoveRefused(exc.status, exc.detail, _reasons(exc.extra)) from None


def _reasons(extra: dict[str, Any]) -> list[str]:
    """Kommo's ``validation-errors`` as lines a person reads: ``path: detail``."""
    lines = []
    for item in extra.get("validation-errors") or []:
        for error in item.get("errors", []):
            lines.append(f"{error.get('path', '')}: {error.get('detail', '')}")
    return lines


@dataclass(slots=True)
class LeadPage:
    lead: dict[str, Any]
    body: bytes
    """Exactly what ``GET /api/v4/leads/{id}?with=...`` answers."""
    stage: store.StageRow | None
    responsible: str
    contacts: dict[int, str]
    companies: dict[int, str]
    elements: dict[int, str]
    events: list[store.EventRow]
    user_names: dict[int, str]


async def lead_page(
    conn: Connection, principal: Principal, lead_id: int, origin: str
) -> LeadPage | None:
    body = await service.read_lead(conn, principal, lead_id, LEAD_WITH, origin)
    if body is None:
        return None
    lead: dict[str, Any] = json.loads(body)
    account_id = principal.account.id
    embedded = lead.get("_embedded", {})
    stage = next(
        (
            s
            for s in await store.stages(conn, account_id)
            if (s.pipeline_id, s.id) == (lead["pipeline_id"], lead["status_id"])
        ),
        None,
    )
    user_names = {u.id: u.name for u in await store.users(conn, account_id)}

    async def named(kind: str, key: str) -> dict[int, str]:
        ids = [int(e["id"]) for e in embedded.get(key) or []]
        return await store.names(conn, account_id, kind, ids)

    return LeadPage(
        lead=lead,
        body=body,
        stage=stage,
        responsible=user_names.get(lead["responsible_user_id"], "?"),
        contacts=await named("contacts", "contacts"),
        companies=await named("companies", "companies"),
        elements=await named("catalog_elements", "catalog_elements"),
        events=await store.lead_events(conn, account_id, lead_id),
        user_names=user_names,
    )
