"""Reading loss reasons (spec §12.2): every user may; an unknown id is a 404 problem [OBS]."""

from __future__ import annotations

from kommodore.auth.service import MAX_ID
from kommodore.db.database import Connection
from kommodore.http.hal import Href, collection_body, self_links
from kommodore.http.problems import Problem
from kommodore.loss_reasons import store, wire
from kommodore.loss_reasons.store import LossReasonRow


def _model(row: LossReasonRow, origin: str) -> wire.LossReason:
    return wire.LossReason(
        id=row.id,
        name=row.name,
        sort=row.sort,
        created_at=row.created_at,
        updated_at=row.updated_at,
        links=self_links(f"{origin}/api/v4/leads/loss_reasons/{row.id}"),
    )


async def list_loss_reasons(
    conn: Connection, account_id: int, url: str, query: str, origin: str
) -> bytes | None:
    """Every reason in one answer (not paged); None (204) when the account has none."""
    rows = await store.loss_reasons(conn, account_id)
    if not rows:
        return None
    links = {"self": Href(f"{url}?{query}" if query else url)}
    models = [_model(row, origin) for row in rows]
    return collection_body("loss_reasons", models, links, total_items=len(models))


async def read_loss_reason(conn: Connection, account_id: int, reason_id: int, origin: str) -> bytes:
    row = (
        await store.get_loss_reason(conn, account_id, reason_id)
        if 1 <= reason_id <= MAX_ID
        else None
    )
    if row is None:
        raise Problem(404, "Loss reason not found")
    return wire.encoder.encode(_model(row, origin))
