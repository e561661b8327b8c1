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


class Requests(msgspec.Struct):
    requests: list[Entry]


class Fault(msgspec.Struct):
    id: int
    rule: Rule
    matched: int
    remaining: int | None


class FaultList(msgspec.Struct):
    faults: list[Fault]


def fault(active: ActiveRule) -> Fault:
    return Fault(active.id, active.rule, active.matched, active.remaining)


class WebhookDeliveries(msgspec.Struct):
    deliveries: list[Delivery]


class NewToken(msgspec.Struct, forbid_unknown_fields=True):
    subdomain: str = "demo"
    user_id: int | None = None
    """The user's token; unset: the account's first active admin's."""
    days: int = 1


class IssuedToken(msgspec.Struct):
    token: str


class SeedProblem(msgspec.Struct):
    path: str
    detail: str


class SeededAccount(msgspec.Struct):
    id: int
    subdomain: str
    users: dict[str, int]
    """Each user's id by e-mail."""
    tokens: dict[str, str]
    """Each long-lived token by its jti."""


class Seeded(msgspec.Struct):
    accounts: list[SeededAccount]
