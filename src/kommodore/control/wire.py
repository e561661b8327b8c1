"""The control plane's bodies (msgspec), in and out."""

from __future__ import annotations

from typing import Literal

import msgspec

from kommodore.control.faults import ActiveRule, Rule
from kommodore.control.journal import Entry
from kommodore.webhooks.store import Delivery


class Reset(msgspec.Struct, forbid_unknown_fields=True):
    to: Literal["empty", "demo"] = "empty"
    seed: int = 1
    leads: int = 2000


class DemoAccount(msgspec.Struct):
    id: int
    subdomain: str
    leads: int


class ResetDone(msgspec.Struct, omit_defaults=True):
    to: str
    account: DemoAccount | None = None
    users: dict[str, int] | None = None


class SaveSnapshot(msgspec.Struct, forbid_unknown_fields=True):
    name: str


class Snapshot(msgspec.Struct):
    name: str
    created_at: int
    revision: str
    size_bytes: int | None


class Snapshots(msgspec.Struct):
    snapshots: list[Snapshot]


class Restored(msgspec.Struct):
    restored: str


class Principal(msgspec.Struct):
    account_id: int
    user_id: int
    integration_id: str


class RequestEntry(msgspec.Struct):
    id: int
    at_ms: int
    method: str
    path: str
    query: str
    status: int
    latency_ms: float
    principal: Principal | None
    request_body: str | None
    response_body: str | None
    reason: str | None
    injected: str | None


class Requests(msgspec.Struct):
    requests: list[RequestEntry]


def request_entry(e: Entry) -> RequestEntry:
    p = e.principal
    return RequestEntry(
        e.id, e.at_ms, e.method, e.path, e.query, e.status, e.latency_ms,
        None if p is None else Principal(p.account_id, p.user_id, p.integration_id),
        e.request_body, e.response_body, e.reason, e.injected,
    )  # fmt: skip


class Fault(msgspec.Struct):
    id: int
    rule: Rule
    matched: int
    remaining: int | None


class FaultList(msgspec.Struct):
    faults: list[Fault]


def fault(active: ActiveRule) -> Fault:
    return Fault(active.id, active.rule, active.matched, active.remaining)


class WebhookDelivery(msgspec.Struct):
    id: int
    account_id: int
    webhook_id: int
    destination: str
    status: str
    attempts: int
    next_attempt_ms: int | None
    last_status: int | None
    last_error: str | None
    delivered_at: int | None
    created_at: int
    body: str | None


class WebhookDeliveries(msgspec.Struct):
    deliveries: list[WebhookDelivery]


def delivery(d: Delivery) -> WebhookDelivery:
    return WebhookDelivery(
        d.id, d.account_id, d.webhook_id, d.destination, d.status, d.attempts,
        d.next_attempt_ms, d.last_status, d.last_error, d.delivered_at, d.created_at, d.body,
    )  # fmt: skip


class NewToken(msgspec.Struct, forbid_unknown_fields=True):
    subdomain: str = "demo"
    user_id: int | None = None
    """The user's token; unset: the account's first active admin's."""
    days: int = 1


class IssuedToken(msgspec.Struct):
    token: str
