"""What the write paths hand to webhooks: the leads a committed batch changed, and how.

:func:`enqueue_lead_changes` runs inside the writing transaction and turns the changes into
one delivery per subscribed webhook (as Kommo: one request per change batch), so a crash can
neither lose a delivery of a committed change nor invent one for a rolled-back change.

The batch's body is stored once, however many webhooks it goes to: its account block and one
encoded section per action. Webhooks differ only in which actions they subscribe to, so each
delivery names its sections and the worker joins them into the very bytes one body would be.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from kommodore.db.database import Connection
from kommodore.db.ids import allocate
from kommodore.leads.store import lead_parts
from kommodore.webhooks import payload, store
from kommodore.webhooks.payload import EVENT_OF_ACTION, Pair

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


def actions_of(change: LeadChange) -> tuple[str, ...]:
    """The body actions (as Kommo names them) one change appears under."""
    if change.action != "update":
        return (change.action,)
    actions = ["update"]
    if change.old_stage is not None:
        actions.append("status")
    if change.responsible_changed:
        actions.append("responsible")
    return tuple(actions)


def base_domain() -> str:
    """The running app's base domain, for the account block's ``_links.self``."""
    from kommodore.context import current_settings

    return current_settings().base_domain


async def enqueue_lead_changes(
    conn: Connection, account_id: int, changes: Sequence[LeadChange], now: int
) -> None:
    """Queue deliveries for the account's enabled webhooks subscribed to these changes.

    Without a subscribed webhook this costs one indexed query. Otherwise the leads are read
    as the transaction leaves them (after its writes), the body is stored once, and each
    webhook's delivery, due now, names the body's sections it gets."""
    if not changes:
        return
    enabled = await store.enabled_webhooks(conn, account_id)
    if not enabled:
        return
    present = {a for change in changes for a in actions_of(change)}
    hooks = [
        (hook_id, destination, actions)
        for hook_id, destination, settings in enabled
        if (
            actions := [
                a for a in payload.ACTIONS if a in present and EVENT_OF_ACTION[a] in settings
            ]
        )
    ]
    if not hooks:
        return
    lead_ids = sorted({change.lead_id for change in changes})
    leads = await store.leads_by_id(conn, account_id, lead_ids)
    parts = await lead_parts(conn, account_id, lead_ids, contacts=False, elements=False)
    account = payload.account_block(
        account_id, await store.subdomain(conn, account_id), base_domain()
    )

    items: dict[str, list[Sequence[Pair]]] = {a: [] for a in payload.ACTIONS}
    plain: dict[int, list[Pair]] = {}
    for change in changes:
        lead = leads.get(change.lead_id)
        for action in actions_of(change):
            if action == "delete":
                items[action].append(payload.deleted_pairs(change.lead_id, lead))
                continue
            if lead is None:
                continue  # not in this account: nothing to report
            if action == "status":
                items[action].append(
                    payload.lead_pairs(
                        lead, account_id, parts.tags.get(lead.id, []),
                        parts.values.get(lead.id, []), change.old_stage,
                    )
                )  # fmt: skip
                continue
            if lead.id not in plain:
                plain[lead.id] = payload.lead_pairs(
                    lead, account_id, parts.tags.get(lead.id, []), parts.values.get(lead.id, [])
                )
            items[action].append(plain[lead.id])

    sections = {a: payload.section(a, items[a]) for a in payload.ACTIONS if items[a]}
    rows = []
    for hook_id, destination, actions in hooks:
        chosen = ",".join(a for a in actions if a in sections)
        if chosen:
            rows.append([account_id, 0, hook_id, destination, 0, chosen, now, now * 1000])
    if not rows:
        return
    used = {a for row in rows for a in str(row[5]).split(",")}
    ids = await allocate(conn, "webhook_deliveries", len(rows) + 1)
    body_id = ids[0]
    await store.insert_body(
        conn, account_id, body_id, now, payload.encode(account),
        {a: text for a, text in sections.items() if a in used},
    )  # fmt: skip
    for row, delivery_id in zip(rows, ids[1:], strict=True):
        row[1], row[4] = delivery_id, body_id
    await store.insert_deliveries(conn, rows)
