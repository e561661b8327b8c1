"""Writing events. Every write path calls :func:`record` inside its own transaction, so the log
holds exactly the changes that were committed."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec

from kommodore.db.database import Connection
from kommodore.events import store

_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


def _base32(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def new_event_ids(count: int, now_ms: int | None = None) -> list[str]:
    """``count`` ids of 26 characters in lower-case Crockford base32, as Kommo's event ids
    look (``01pz58t6p04ymgsgfbmfyfy1mf``): 10 characters of milliseconds (as a ULID), 12 of
    randomness drawn once per call, and a 4-character counter, so ids sort by time and, within
    a call, in order."""
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    ids: list[str] = []
    while len(ids) < count:
        prefix = _base32(ms, 10) + _base32(int.from_bytes(os.urandom(8), "big") >> 4, 12)
        block = min(count - len(ids), 32**4)
        ids += [prefix + _COUNTER[i >> 10] + _COUNTER[i & 1023] for i in range(block)]
    return ids


_COUNTER = [_CROCKFORD[i >> 5] + _CROCKFORD[i & 31] for i in range(1024)]
"""Two base32 characters for 0..1023; two of them make the 4-character counter."""


def new_event_id(now_ms: int | None = None) -> str:
    return new_event_ids(1, now_ms)[0]


@dataclass(frozen=True, slots=True)
class NewEvent:
    """One event of Kommo's table; values are the JSON arrays of ``value_after`` and
    ``value_before``."""

    type: str
    entity_id: int
    created_by: int
    value_after: list[Any] = field(default_factory=list)
    value_before: list[Any] = field(default_factory=list)
    entity_type: str = "lead"


async def record(
    conn: Connection, account_id: int, events: Sequence[NewEvent], now: int
) -> list[str]:
    """Insert the events in order (ids increase with it); returns their ids."""
    if not events:
        return []
    ids = new_event_ids(len(events), max(now * 1000, int(time.time() * 1000)))
    encode = msgspec.json.encode
    rows = [
        (
            account_id, event_id, e.type, e.entity_type, e.entity_id, e.created_by, now,
            encode(e.value_after).decode(), encode(e.value_before).decode(),
        )
        for event_id, e in zip(ids, events, strict=True)
    ]  # fmt: skip
    await store.insert_events(conn, rows)
    return ids
