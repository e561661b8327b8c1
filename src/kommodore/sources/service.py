"""Reading sources: an admin's call sees only its integration's sources, plus
the account-owned ones (``integration_id`` NULL, e.g. the demo's), which belong to no
integration and so to every one."""

from __future__ import annotations

import json
from typing import Any

from msgspec import UNSET

from kommodore.auth.service import MAX_ID, Principal
from kommodore.db.database import Connection
from kommodore.http.hal import Href, collection_body, self_links
from kommodore.http.phpquery import as_list, get_path
from kommodore.sources import store, wire
from kommodore.sources.store import SourceRow


def model(row: SourceRow, origin: str, request_id: str | None = None) -> wire.Source:
    """The source as ``GET`` shows it; write answers add the item's ``request_id``."""
    try:
        services = json.loads(row.services)
    except ValueError:
        services = []
    return wire.Source(
        id=row.id,
        name=row.name,
        pipeline_id=row.pipeline_id,
        external_id=row.external_id,
        default=row.is_default,
        origin_code=row.origin_code,
        services=services if isinstance(services, list) else [],
        request_id=UNSET if request_id is None else request_id,
        links=self_links(f"{origin}/api/v4/sources/{row.id}"),
    )


async def list_sources(
    conn: Connection,
    principal: Principal,
    params: dict[str, Any],
    url: str,
    query: str,
    origin: str,
) -> bytes | None:
    """The integration's sources, ``filter[external_id]`` (one or many) applied; None (204)
    when nothing matches. Not paged: an integration has at most 100 sources."""
    raw = get_path(params, "filter", "external_id")
    external_ids = None if raw is None else as_list(raw)
    rows = await store.sources(
        conn, principal.account.id, principal.claims.integration_id, external_ids
    )
    if not rows:
        return None
    links = {"self": Href(f"{url}?{query}" if query else url)}
    models = [model(row, origin) for row in rows]
    return collection_body("sources", models, links, total_items=len(models))


async def read_source(
    conn: Connection, principal: Principal, source_id: int, origin: str
) -> bytes | None:
    """One source, or None (204) when it does not exist or is another integration's."""
    row = await visible_source(
        conn, principal.account.id, principal.claims.integration_id, source_id
    )
    return None if row is None else wire.encoder.encode(model(row, origin))


async def visible_source(
    conn: Connection, account_id: int, integration_id: str, source_id: int
) -> SourceRow | None:
    """The source if the integration sees it (its own or the account's); an id out of range
    names nothing."""
    if not 1 <= source_id <= MAX_ID:
        return None
    return await store.get_source(conn, account_id, integration_id, source_id)
