"""Deleting and restoring leads. Kommo offers no public v4 endpoint for either;
kommodore does it from its admin endpoint and its command line, with what Kommo sends for it:
a ``lead_deleted``/``lead_restored`` event and a ``delete_lead``/``restore_lead`` webhook, both
written in the transaction of the change.

A delete is soft: the lead keeps every row and only ``is_deleted`` flips, so a restore brings it
back whole (tags, values, links).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from kommodore.auth.store import first_admin_id, user_exists
from kommodore.db.database import Connection
from kommodore.events.record import NewEvent, record
from kommodore.http.problems import Problem
from kommodore.http.validation import MAX_ID
from kommodore.leads import store
from kommodore.leads.outbox import LeadChange, enqueue_lead_changes

Operation = Literal["delete", "restore"]

MAX_BATCH = 250
"""As for lead writes."""

_EVENT = {"delete": "lead_deleted", "restore": "lead_restored"}


async def acting_user(conn: Connection, account_id: int, user_id: int | None) -> int | None:
    """``user_id`` if it is a user of the account, or the account's first active admin when
    no user is named; None when there is no such user."""
    if user_id is None:
        return await first_admin_id(conn, account_id)
    if 1 <= user_id <= MAX_ID and await user_exists(conn, account_id, user_id):
        return user_id
    return None


# -- the service ------------------------------------------------------------------------------


async def change_deletion(
    conn: Connection,
    account_id: int,
    lead_ids: Sequence[int],
    actor_id: int,
    operation: Operation,
    now: int,
) -> list[int]:
    """Delete (or restore) every lead named, or none: a lead that is unknown (another
    account's is unknown too) is a 404, one already in the wanted state a 400. Repeated ids
    count once. Returns the leads changed, in the order given."""
    ids = list(dict.fromkeys(lead_ids))
    in_range = [i for i in ids if 1 <= i <= MAX_ID]
    leads = await store.leads_for_update(conn, account_id, in_range)  # locked on PostgreSQL
    missing = [i for i in ids if i not in leads]
    if missing:
        raise Problem(404, "Lead not found", lead_ids=missing)
    deleting = operation == "delete"
    unchanged = [i for i in ids if leads[i].is_deleted == deleting]
    if unchanged:
        detail = "Lead is already deleted" if deleting else "Lead is not deleted"
        raise Problem(400, detail, lead_ids=unchanged)
    await store.set_deleted(conn, account_id, ids, deleting, now, actor_id)
    await record(conn, account_id, [NewEvent(_EVENT[operation], i, actor_id) for i in ids], now)
    await enqueue_lead_changes(conn, account_id, [LeadChange(i, operation) for i in ids], now)
    return ids
