"""The leads whose links are asked for. The links themselves come from the lead loaders of
``kommodore.leads.store``, which already take a list of leads and leave deleted entities out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kommodore.db.database import Connection, dual, int_array


@dataclass(frozen=True, slots=True)
class LeadRef:
    """What ``rights.can_view_lead`` needs to judge a lead."""

    id: int
    responsible_user_id: int
    group_id: int
    pipeline_id: int
    status_id: int


LIVE_LEADS = dual(
    "SELECT id, responsible_user_id, group_id, pipeline_id, status_id FROM leads "
    "WHERE account_id = $1 AND id = ANY($2::bigint[]) AND NOT is_deleted ORDER BY id"
)


async def live_leads(conn: Connection, account_id: int, ids: Sequence[int]) -> list[LeadRef]:
    rows = await conn.fetch_all(LIVE_LEADS, account_id, int_array(conn.dialect, ids))
    return [LeadRef(r[0], r[1], r[2], r[3], r[4]) for r in rows]
