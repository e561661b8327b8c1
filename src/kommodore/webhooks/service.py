"""Webhook management: admins list, subscribe and unsubscribe destinations.

A destination names its webhook: posting one the account already has updates it in place
(new events and sort, enabled again with its bad answers forgotten). At most 100 an account.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from kommodore.db.database import Connection
from kommodore.db.ids import allocate
from kommodore.http.body import EMPTY
from kommodore.http.problems import Problem
from kommodore.http.validation import BatchErrors, ItemErrors, Reader, request_id_of
from kommodore.outbound import OutboundPolicy
from kommodore.webhooks import store, wire
from kommodore.webhooks.payload import WEBHOOK_EVENTS
from kommodore.webhooks.store import WebhookRow

MAX_WEBHOOKS = 100
MAX_DESTINATION = 2048
MAX_SORT = 2**31 - 1
DEFAULT_SORT = 1
NOT_FOUND = "Webhook not found"
NOT_A_URL = "This value is not a valid URL."
LIMIT_REACHED = f"An account can have at most {MAX_WEBHOOKS} webhooks."


@dataclass(frozen=True, slots=True)
class WebhookInput:
    destination: str
    settings: list[str]
    sort: int | None


# -- validation ----------------------------------------------------------------------------


def is_url(value: str) -> bool:
    """An absolute http(s) URL with a host, and nothing a request line cannot carry."""
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in value):
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def _sent(r: Reader, errors: ItemErrors, key: str, expected: str) -> bool:
    """Whether the required ``key`` is sent; a null is a type error, an absent key a missing
    one."""
    if r.has(key):
        return True
    if r.is_null(key):
        errors.invalid_type(key, expected)
    else:
        errors.missing(key)
    return False


def _destination(
    r: Reader, errors: ItemErrors, outbound: OutboundPolicy | None = None
) -> str | None:
    """The destination URL; with ``outbound``, one whose host is a refused address (an IP
    literal or ``localhost``) is refused too. Names are checked again, resolved, when each
    delivery is sent."""
    if not _sent(r, errors, "destination", "string"):
        return None
    destination = r.text("destination", max_length=MAX_DESTINATION)
    if destination is not None and not is_url(destination):
        errors.invalid("destination", NOT_A_URL)
        return None
    if destination is not None and outbound is not None:
        refusal = outbound.host_refusal(urlsplit(destination).hostname or "")
        if refusal is not None:
            errors.invalid("destination", f"This destination is not allowed: {refusal}.")
            return None
    return destination


def _settings(r: Reader, errors: ItemErrors) -> list[str] | None:
    if not _sent(r, errors, "settings", "array"):
        return None
    values = r.array("settings")
    if values is None:
        return None
    if not values:
        errors.invalid("settings", "This collection should contain 1 element or more.")
        return None
    chosen: list[str] = []
    valid = True
    for index, value in enumerate(values):
        if not isinstance(value, str):
            errors.invalid_type(f"settings.{index}", "string")
            valid = False
        elif value not in WEBHOOK_EVENTS:
            errors.not_supported(f"settings.{index}")
            valid = False
        elif value not in chosen:
            chosen.append(value)
    return chosen if valid else None


def _object(body: Any, errors: BatchErrors) -> tuple[Reader, ItemErrors] | None:
    """The one object these bodies are; ``[]`` and ``{}`` are empty bodies."""
    if body == [] or body == {}:
        raise Problem(400, EMPTY)
    item_errors = errors.item(request_id_of(body, 0))
    if not isinstance(body, dict):
        item_errors.invalid_type("", "object")
        return None
    return Reader(body, item_errors), item_errors


def parse_webhook(body: Any, outbound: OutboundPolicy) -> WebhookInput:
    """``{"destination", "settings": [events], "sort"?}``; every mistake answers at once. A
    destination the outbound policy refuses is one of them."""
    errors = BatchErrors()
    read = _object(body, errors)
    if read is None:
        errors.raise_if_any()
        raise AssertionError("unreachable")
    r, item_errors = read
    destination = _destination(r, item_errors, outbound)
    settings = _settings(r, item_errors)
    sort = r.integer("sort", maximum=MAX_SORT)
    errors.raise_if_any()
    assert destination is not None and settings is not None
    return WebhookInput(destination, settings, sort)


def parse_destination(body: Any) -> str:
    """The body of ``DELETE /api/v4/webhooks``: ``{"destination"}``."""
    errors = BatchErrors()
    read = _object(body, errors)
    destination = None if read is None else _destination(*read)
    errors.raise_if_any()
    assert destination is not None
    return destination


# -- reads and writes ----------------------------------------------------------------------


async def list_webhooks(conn: Connection, account_id: int, params: dict[str, Any]) -> bytes | None:
    """Every webhook (at most 100, so no paging), by sort then id; ``filter[destination]``
    matches exactly. None (204) when nothing matches; a filter that is not one string
    matches nothing."""
    filters = params.get("filter")
    destination = filters.get("destination") if isinstance(filters, dict) else None
    if destination is not None and not isinstance(destination, str):
        return None
    rows = await store.list_webhooks(conn, account_id, destination)
    if not rows:
        return None
    return wire.encoder.encode(wire.WebhookList(len(rows), wire.Embedded(rows)))


async def save_webhook(
    conn: Connection, account_id: int, user_id: int, hook: WebhookInput
) -> bytes:
    """Subscribe ``destination``, or update the webhook that has it."""
    now = int(time.time())
    await store.lock_account(conn, account_id)
    row = await store.webhook_by_destination(conn, account_id, hook.destination)
    if row is not None:
        row.settings = hook.settings
        row.sort = hook.sort if hook.sort is not None else row.sort
        row.disabled = False
        row.updated_at = now
        await store.update_webhook(conn, account_id, row)
    else:
        if await store.count_webhooks(conn, account_id) >= MAX_WEBHOOKS:
            errors = BatchErrors()
            errors.item("0").invalid("destination", LIMIT_REACHED)
            errors.raise_if_any()
        (webhook_id,) = await allocate(conn, "webhooks", 1)
        row = WebhookRow(
            id=webhook_id,
            destination=hook.destination,
            settings=hook.settings,
            sort=hook.sort if hook.sort is not None else DEFAULT_SORT,
            disabled=False,
            created_by=user_id,
            created_at=now,
            updated_at=now,
            account_id=account_id,
        )
        await store.insert_webhook(conn, account_id, row)
    return wire.encoder.encode(row)


async def delete_webhook(conn: Connection, account_id: int, destination: str) -> None:
    """Unsubscribe; its queued deliveries are dropped when a worker next picks them up."""
    row = await store.webhook_by_destination(conn, account_id, destination)
    if row is None:
        raise Problem(404, NOT_FOUND)
    await store.delete_webhook(conn, account_id, row.id)
