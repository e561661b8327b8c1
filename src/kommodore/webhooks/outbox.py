"""The outbox: what a committed batch of changes sends to the account's webhooks.

It runs inside the writing transaction and turns the changes into one delivery per subscribed
webhook (as Kommo: one request per change batch), so a crash can neither lose a delivery of a
committed change nor invent one for a rolled-back change.

The outbox knows webhooks, bodies and deliveries, never a domain's tables: the domain that
changed something (leads, see :mod:`kommodore.leads.outbox`) asks which webhooks want its
actions, then hands over the items it built, as (key, value) pairs. Domains call down into
webhooks, as they call down into events; webhooks imports none of them, so no cycle.

The batch's body is stored once, however many webhooks it goes to: its account block and one
encoded section per action. Webhooks differ only in which actions they subscribe to, so each
delivery names its sections and the worker joins them into the very bytes one body would be.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from kommodore.db.database import Connection
from kommodore.db.ids import allocate
from kommodore.webhooks import payload, store
from kommodore.webhooks.payload import TASK_ACTIONS, TASK_EVENT_OF_ACTION, Pair


@dataclass(frozen=True, slots=True)
class Subscriber:
    """An enabled webhook and the actions of the batch it subscribes to, in body order."""

    webhook_id: int
    destination: str
    actions: list[str]


def base_domain() -> str:
    """The running app's base domain, for the account block's ``_links.self``."""
    from kommodore.context import current_settings

    return current_settings().base_domain


async def subscribers(
    conn: Connection, account_id: int, actions: Collection[str], entity: str = "lead"
) -> list[Subscriber]:
    """The account's enabled webhooks subscribed to any of ``actions``: one indexed query, so a
    batch nobody listens to costs nothing more."""
    found = []
    for hook in await store.enabled_webhooks(conn, account_id):
        wanted = [
            a
            for a in payload.ACTIONS
            if a in actions and payload.event_of(a, entity) in hook.settings
        ]
        if wanted:
            found.append(Subscriber(hook.id, hook.destination, wanted))
    return found


async def enqueue(
    conn: Connection,
    account_id: int,
    hooks: Sequence[Subscriber],
    items: Mapping[str, Sequence[Sequence[Pair]]],
    now: int,
    top: str = "leads",
) -> None:
    """Store the body of ``items`` (by action, each item's pairs relative to its
    ``leads[action][i]``) once, and a delivery, due now, for each of ``hooks`` naming the
    body's sections it gets."""
    account = payload.account_block(
        account_id, await store.subdomain(conn, account_id), base_domain()
    )
    sections = {a: payload.section(a, items[a], top) for a in payload.ACTIONS if items.get(a)}
    chosen = [(hook, ",".join(a for a in hook.actions if a in sections)) for hook in hooks]
    chosen = [(hook, actions) for hook, actions in chosen if actions]
    if not chosen:
        return
    used = {a for _, actions in chosen for a in actions.split(",")}
    body_id, *delivery_ids = await allocate(conn, "webhook_deliveries", len(chosen) + 1)
    await store.insert_body(
        conn, account_id, body_id, now, payload.encode(account),
        {a: text for a, text in sections.items() if a in used},
    )  # fmt: skip
    await store.insert_deliveries(
        conn,
        [
            (account_id, delivery_id, hook.webhook_id, hook.destination, body_id, actions, now,
             now * 1000)
            for (hook, actions), delivery_id in zip(chosen, delivery_ids, strict=True)
        ],
    )  # fmt: skip


async def task_subscribers(
    conn: Connection, account_id: int, actions: Collection[str]
) -> list[Subscriber]:
    """The account's enabled webhooks subscribed to any of the task ``actions``."""
    found = []
    for hook in await store.enabled_webhooks(conn, account_id):
        wanted = [
            a for a in TASK_ACTIONS if a in actions and TASK_EVENT_OF_ACTION[a] in hook.settings
        ]
        if wanted:
            found.append(Subscriber(hook.id, hook.destination, wanted))
    return found


async def enqueue_tasks(
    conn: Connection,
    account_id: int,
    hooks: Sequence[Subscriber],
    items: Mapping[str, Sequence[Sequence[Pair]]],
    now: int,
) -> None:
    """Queue a task batch (``task[action][i]`` items) for ``hooks``. The body's columns hold
    the lead sections, so a task body is stored whole as its head, once for every set of
    actions the hooks subscribe to (a batch rarely has more than one), and its deliveries name
    no sections."""
    account = payload.encode(
        payload.account_block(account_id, await store.subdomain(conn, account_id), base_domain())
    )
    by_body: dict[str, list[Subscriber]] = {}
    for hook in hooks:
        sections = [payload.section(a, items[a], "task") for a in hook.actions if items.get(a)]
        if sections:
            by_body.setdefault(payload.assemble(account, sections), []).append(hook)
    for text, chosen in by_body.items():
        body_id, *delivery_ids = await allocate(conn, "webhook_deliveries", len(chosen) + 1)
        await store.insert_body(conn, account_id, body_id, now, text, {})
        await store.insert_deliveries(
            conn,
            [
                (account_id, delivery_id, hook.webhook_id, hook.destination, body_id, "", now,
                 now * 1000)
                for hook, delivery_id in zip(chosen, delivery_ids, strict=True)
            ],
        )  # fmt: skip


NOTICE_USER_AGENT = "amoService-oAuth-Code-Sender/1.0"
"""Kommo's revocation notices come from this User-Agent."""


def notice_signature(client_id: str, client_secret: str, account_id: int) -> str:
    """``HMAC-SHA256(client_id + "|" + account_id)`` keyed with the secret, in hex."""
    message = f"{client_id}|{account_id}".encode()
    return hmac.new(client_secret.encode(), message, hashlib.sha256).hexdigest()


async def enqueue_notice(
    conn: Connection,
    account_id: int,
    *,
    url: str,
    client_id: str,
    client_secret: str,
    now: int,
) -> None:
    """Queue Kommo's revocation notice for ``account_id`` in the revoking transaction:
    ``GET url?client_uuid&account_id&signature``, sent by the delivery worker on the webhook
    schedule. Its body is that query string, signed now: a secret is never rotated."""
    query = urlencode(
        {
            "client_uuid": client_id,
            "account_id": str(account_id),
            "signature": notice_signature(client_id, client_secret, account_id),
        }
    )
    body_id, delivery_id = await allocate(conn, "webhook_deliveries", 2)
    await store.insert_body(conn, account_id, body_id, now, query, {})
    await store.insert_notice(conn, account_id, delivery_id, url, body_id, now)
