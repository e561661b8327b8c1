"""Reading users (admin only, Kommo's API) and shaping them as Kommo does."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from kommodore.auth.service import MAX_ID
from kommodore.db.database import Connection
from kommodore.http.hal import collection_body, self_links
from kommodore.http.paging import page_links, page_of
from kommodore.users import store, wire
from kommodore.users.store import UserRow

#: The ``with`` values the user reads understand; others are ignored.
USER_WITH = frozenset({"role", "group", "uuid", "amojo_id", "user_rank", "phone_number"})
MAX_LIMIT = 250
"""Kommo's API: users are paged by at most 250."""

_DENIED_ENTITY = {"view": "D", "edit": "D", "add": "D", "delete": "D", "export": "D"}
_DENIED_TASKS = {"edit": "D", "delete": "D"}


async def list_users(
    conn: Connection,
    account_id: int,
    params: dict[str, Any],
    with_: frozenset[str],
    url: str,
    query: str,
    origin: str,
) -> bytes | None:
    """One page of users, or None (Kommo's 204) when the page is empty."""
    page = page_of(params, MAX_LIMIT)
    total = await store.count_users(conn, account_id)
    if page.offset >= total:
        return None
    rows = await store.page_of_users(conn, account_id, page.limit, page.offset)
    if not rows:
        return None
    page_count = -(-total // page.limit)
    models = await _shape(conn, account_id, rows, with_, origin)
    return collection_body(
        "users",
        models,
        page_links(url, query, page, page.number < page_count, page_count),
        page=page.number,
        total_items=total,
        page_count=page_count,
    )


async def read_user(
    conn: Connection, account_id: int, user_id: int, with_: frozenset[str], origin: str
) -> bytes | None:
    """The user's JSON, or None (204) for an id this account does not have."""
    if user_id < 1 or user_id > MAX_ID:
        return None
    row = await store.get_user(conn, account_id, user_id)
    if row is None:
        return None
    (model,) = await _shape(conn, account_id, [row], with_, origin)
    return wire.encoder.encode(model)


def _rights(row: UserRow) -> wire.UserRights:
    """The stored rights JSON (absent parts denied, as Kommo's rights default to ``D``) with
    the columns Kommo reports inside ``rights``."""
    try:
        stored = json.loads(row.rights)
    except ValueError:
        stored = {}
    if not isinstance(stored, dict):
        stored = {}

    def part(key: str, default: dict[str, str]) -> dict[str, Any]:
        value = stored.get(key)
        return value if isinstance(value, dict) else dict(default)

    status_rights = stored.get("status_rights")
    return wire.UserRights(
        leads=part("leads", _DENIED_ENTITY),
        contacts=part("contacts", _DENIED_ENTITY),
        companies=part("companies", _DENIED_ENTITY),
        tasks=part("tasks", _DENIED_TASKS),
        mail_access=bool(stored.get("mail_access", False)),
        catalog_access=bool(stored.get("catalog_access", False)),
        status_rights=status_rights if isinstance(status_rights, list) else None,
        is_admin=bool(row.is_admin),
        is_free=bool(row.is_free),
        is_active=bool(row.is_active),
        group_id=row.group_id,
        role_id=row.role_id,
    )


async def _shape(
    conn: Connection,
    account_id: int,
    rows: Sequence[UserRow],
    with_: frozenset[str],
    origin: str,
) -> list[wire.User]:
    roles = await store.role_names(conn, account_id) if "role" in with_ else None
    groups = await store.group_names(conn, account_id) if "group" in with_ else None
    users_url = f"{origin}/api/v4/users/"
    models = []
    for row in rows:
        model = wire.User(
            id=row.id,
            name=row.name,
            email=row.email,
            lang=row.lang,
            rights=_rights(row),
            # Kommo's user self link ends with a slash (Kommo's API example).
            links=self_links(f"{users_url}{row.id}/"),
        )
        if "uuid" in with_:
            model.uuid = row.uuid
        if "amojo_id" in with_:
            model.amojo_id = row.amojo_id
        if "user_rank" in with_:
            model.user_rank = row.user_rank
        if "phone_number" in with_:
            model.phone_number = row.phone_number
        if roles is not None or groups is not None:
            embedded = wire.UserEmbedded()
            if roles is not None:
                role = roles.get(row.role_id) if row.role_id is not None else None
                embedded.roles = (
                    [] if row.role_id is None or role is None
                    else [wire.NamedRef(id=row.role_id, name=role)]
                )  # fmt: skip
            if groups is not None:
                group_id = row.group_id or 0
                group = groups.get(group_id)
                embedded.groups = [] if group is None else [wire.NamedRef(id=group_id, name=group)]
            model.embedded = embedded
        models.append(model)
    return models
