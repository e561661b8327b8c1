"""Loss reasons: every user may read them, only admins change them; an unknown id
is a 404 problem [OBS].

Writes validate every item before anything is written and run in one transaction, so a batch
is all or nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from msgspec import UNSET, UnsetType
from msgspec.structs import astuple

from kommodore.auth.service import MAX_ID
from kommodore.db.database import Connection
from kommodore.db.ids import allocate
from kommodore.http.directory import answer, found, present, readers, self_href, single
from kommodore.http.hal import self_links
from kommodore.http.problems import Problem
from kommodore.http.validation import BatchErrors, Reader
from kommodore.loss_reasons import store, wire
from kommodore.loss_reasons.store import LossReasonRow

MAX_BATCH = 250
MAX_SORT = 2**31 - 1
"""``sort`` is a 32-bit integer column on PostgreSQL."""
SORT_STEP = 10
"""A reason added without ``sort`` goes this far after the largest one (the first at 10)."""
NOT_FOUND = "Loss reason not found"


@dataclass(frozen=True, slots=True)
class NewReason:
    request_id: str
    name: str
    sort: int | None


@dataclass(frozen=True, slots=True)
class ReasonChange:
    name: str | None
    sort: int | None


def _model(row: LossReasonRow, origin: str, request_id: str | UnsetType = UNSET) -> wire.LossReason:
    """The wire's keys are the row's columns, then the links (and a write's ``request_id``)."""
    return wire.LossReason(
        *astuple(row),
        links=self_links(f"{origin}/api/v4/leads/loss_reasons/{row.id}"),
        request_id=request_id,
    )


async def list_loss_reasons(
    conn: Connection, account_id: int, url: str, query: str, origin: str
) -> bytes | None:
    """Every reason in one answer (not paged); None (204) when the account has none."""
    rows = await store.loss_reasons(conn, account_id)
    if not rows:
        return None
    return answer("loss_reasons", [_model(row, origin) for row in rows], self_href(url, query))


async def read_loss_reason(conn: Connection, account_id: int, reason_id: int, origin: str) -> bytes:
    row = await _existing(conn, account_id, reason_id)
    return wire.encoder.encode(_model(row, origin))


async def _existing(conn: Connection, account_id: int, reason_id: int) -> LossReasonRow:
    """The account's reason, or the 404 problem (an id out of range names nothing)."""
    row = (
        await store.get_loss_reason(conn, account_id, reason_id)
        if 1 <= reason_id <= MAX_ID
        else None
    )
    return found(row, _not_found)


def _not_found() -> Problem:
    return Problem(404, NOT_FOUND)


# -- validation ----------------------------------------------------------------------------


def _sort(r: Reader, *, nullable: bool) -> int | None:
    if nullable or present(r, "sort", "int", required=False):
        return r.integer("sort", maximum=MAX_SORT)
    return None


def parse_new_reasons(items: list[Any]) -> list[NewReason]:
    """The items of ``POST /leads/loss_reasons``: ``name`` required, ``sort`` optional (null
    is the same as absent); any mistake of any item refuses the whole batch (400)."""
    errors = BatchErrors()
    parsed: list[NewReason] = []
    for r in readers(items, errors):
        name = r.name(required=True)
        sort = _sort(r, nullable=True)
        if name is not None:
            parsed.append(NewReason(r.errors.request_id, name, sort))
    errors.raise_if_any()
    return parsed


def parse_change(body: dict[str, Any]) -> ReasonChange:
    """The body of ``PATCH /leads/loss_reasons/{id}``: ``name`` and/or ``sort``, neither may be
    null; other keys are ignored. Errors answer under ``request_id`` "0" (or the one sent)."""
    errors, r = single(body)
    change = ReasonChange(name=r.name(required=False), sort=_sort(r, nullable=False))
    errors.raise_if_any()
    return change


# -- writes --------------------------------------------------------------------------------


async def add_loss_reasons(
    conn: Connection, account_id: int, reasons: list[NewReason], href: str, origin: str
) -> bytes:
    """Create the reasons in the batch's order. One without ``sort`` goes ``SORT_STEP`` after
    the largest sort so far (stored ones and earlier items of the batch), at most ``MAX_SORT``."""
    now = int(time.time())
    ids = await allocate(conn, "loss_reasons", len(reasons))
    largest = await store.max_sort(conn, account_id) or 0
    rows: list[LossReasonRow] = []
    for reason_id, reason in zip(ids, reasons, strict=True):
        sort = reason.sort if reason.sort is not None else min(largest + SORT_STEP, MAX_SORT)
        largest = max(largest, sort)
        rows.append(LossReasonRow(reason_id, reason.name, sort, now, now))
    await store.insert_loss_reasons(conn, account_id, rows)
    models = [
        _model(row, origin, reason.request_id) for row, reason in zip(rows, reasons, strict=True)
    ]
    return answer("loss_reasons", models, href)


async def update_loss_reason(
    conn: Connection, account_id: int, reason_id: int, change: ReasonChange, origin: str
) -> bytes:
    """Apply the change and answer the reason as ``GET`` shows it; every accepted PATCH sets
    ``updated_at``, even when the values are the ones stored."""
    await _existing(conn, account_id, reason_id)
    await store.update_loss_reason(
        conn, account_id, reason_id, name=change.name, sort=change.sort, now=int(time.time())
    )
    row = await _existing(conn, account_id, reason_id)
    return wire.encoder.encode(_model(row, origin))


async def delete_loss_reason(
    conn: Connection, account_id: int, reason_id: int, user_id: int
) -> None:
    """Delete the reason; the leads that carried it (deleted ones too) lose it, and record the
    change as the acting user's, now."""
    await _existing(conn, account_id, reason_id)
    await store.delete_loss_reason(
        conn, account_id, reason_id, now=int(time.time()), user_id=user_id
    )
