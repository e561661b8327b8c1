"""What the write paths hand to webhooks: the leads a committed batch changed, and how.

:func:`enqueue_lead_changes` runs inside the writing transaction and turns the changes into
one delivery per subscribed webhook (spec §13.2: one request per change batch), so a crash can
neither lose a delivery of a committed change nor invent one for a rolled-back change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from kommodore.db.database import Connection

Action = Literal["add", "update", "delete", "restore"]


@dataclass(frozen=True, slots=True)
class LeadChange:
    """A lead a batch changed. ``old_stage`` is its (pipeline_id, status_id) before the write
    when the stage changed (a ``status`` webhook); ``responsible_changed`` asks for a
    ``responsible`` one."""

    lead_id: int
    action: Action
    old_stage: tuple[int, int] | None = None
    responsible_changed: bool = False


async def enqueue_lead_changes(
    conn: Connection, account_id: int, changes: Sequence[LeadChange], now: int
) -> None:
    """Queue deliveries for the account's enabled webhooks subscribed to these changes."""
    return None
