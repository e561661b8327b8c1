"""Writing events. Every write path calls :func:`record` inside its own transaction, so the log
holds exactly the changes that were committed."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from kommodore.db.database import Connection, sql

_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


def new_event_id(now_ms: int | None = None) -> str:
    """26 characters, time-ordered like a ULID (48 bits of milliseconds, 80 random bits), in
    lower-case Crockford base32 as Kommo's event ids look (``01pz58t6p04ymgsgfbmfyfy1mf``)."""
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    value = (ms << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


@dataclass(frozen=True, slots=True)
class NewEvent:
    """One event of spec §14's table; values are the JSON arrays of ``value_after`` and
    ``value_before``."""

    type: str
    entity_id: int
    created_by: int
    value_after: list[Any] = field(default_factory=list)
    value_before: list[Any] = field(default_factory=list)
    entity_type: str = "lead"


_INSERT = sql(
    "INSERT INTO events (account_id, id, type, entity_type, entity_id, created_by, created_at, "
    "value_after, value_before) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
)


async def record(
    conn: Connection, account_id: int, events: Sequence[NewEvent], now: int
) -> list[str]:
    """Insert the events in order (ids increase with it); returns their ids."""
    if not events:
        return []
    base_ms = max(now * 1000, int(time.time() * 1000))
    ids = sorted(new_event_id(base_ms) for _ in events)
    rows = [
        (
            account_id, event_id, e.type, e.entity_type, e.entity_id, e.created_by, now,
            json.dumps(e.value_after, separators=(",", ":")),
            json.dumps(e.value_before, separators=(",", ":")),
        )
        for event_id, e in zip(ids, events, strict=True)
    ]  # fmt: skip
    await conn.execute_many(_INSERT, rows)
    return ids
