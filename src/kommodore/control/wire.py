"""The control plane's bodies (msgspec), in and out."""

from __future__ import annotations

from typing import Literal

import msgspec


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
