"""What a note write tells the world: the event on its parent (spec §10) and the ``note_*``
webhook (§11.3), both written in the writing transaction."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kommodore.accounts import store as accounts
from kommodore.db.database import Connection
from kommodore.events.record import NewEvent, record
from kommodore.notes.store import Kind, NoteRow
from kommodore.webhooks import outbox
from kommodore.webhooks.payload import Pair

EVENT_OF_TYPE = {
    "common": "common_note_added",
    "call_in": "incoming_call",
    "call_out": "outgoing_call",
    "service_message": "service_note_added",
    "extended_service_message": "service_note_added",
    "message_cashier": "message_to_cashier_note_added",
    "geolocation": "geo_note_added",
    "sms_in": "incoming_sms",
    "sms_out": "outgoing_sms",
    "attachment": "attachment_note_added",
}
"""The event a new note of each writable type records on its parent."""

LEGACY_TYPE = {
    "common": 4, "attachment": 5, "call_in": 10, "call_out": 11, "geolocation": 24,
    "service_message": 25, "message_cashier": 28, "extended_service_message": 34,
    "sms_in": 102, "sms_out": 103,
}  # fmt: skip
"""The amoCRM v2 note type numbers webhooks carry (``note_type``)."""

ELEMENT_TYPE: dict[Kind, int] = {"leads": 2, "contacts": 1, "companies": 3}
SINGULAR: dict[Kind, str] = {"leads": "lead", "contacts": "contact", "companies": "company"}


def hook_text(note_type: str, params: dict[str, object]) -> str:
    """A hook's ``text``: the note's text; for a call a JSON string with Kommo's upper-case
    keys; for an attachment its file name."""
    if note_type in ("call_in", "call_out"):
        call = {
            "UNIQ": params.get("uniq", ""),
            "LINK": params.get("link", ""),
            "PHONE": params.get("phone", ""),
            "DURATION": params.get("duration", 0),
            "SRC": params.get("source", ""),
        }
        return json.dumps(call, ensure_ascii=False, separators=(",", ":"))
    if note_type == "attachment":
        return str(params.get("file_name", ""))
    return str(params.get("text", ""))


def local_time(timestamp: int, zone: ZoneInfo | None) -> str:
    """``Y-m-d H:i:s`` in the account's time zone, as the legacy hook fields are."""
    moment = datetime.fromtimestamp(timestamp, UTC)
    return (moment.astimezone(zone) if zone else moment).strftime("%Y-%m-%d %H:%M:%S")


async def _zone(conn: Connection, account_id: int) -> ZoneInfo | None:
    account = await accounts.get_account(conn, account_id)
    try:
        settings = json.loads(account.settings) if account and account.settings else {}
        name = settings.get("datetime_settings", {}).get("timezone", "UTC")
        return ZoneInfo(name) if isinstance(name, str) else None
    except (ValueError, AttributeError, ZoneInfoNotFoundError):
        return None


def note_pairs(note: NoteRow, kind: Kind, account_id: int, zone: ZoneInfo | None) -> list[Pair]:
    """One item relative to ``{entity}[note][i]``, in the order of a real hook."""
    params = json.loads(note.params)
    pairs: list[Pair] = [
        ("[note][element_type]", str(ELEMENT_TYPE[kind])),
        ("[note][element_id]", str(note.entity_id)),
        ("[note][note_type]", str(LEGACY_TYPE.get(note.note_type, 0))),
        ("[note][text]", hook_text(note.note_type, params)),
        ("[note][account_id]", str(account_id)),
        ("[note][date_create]", local_time(note.created_at, zone)),
        ("[note][timestamp_x]", local_time(note.updated_at, zone)),
        ("[note][created_by]", str(note.created_by)),
        ("[note][modified_by]", str(note.updated_by)),
        ("[note][main_user_id]", str(note.responsible_user_id)),
        ("[note][group_id]", str(note.group_id)),
        ("[note][id]", str(note.id)),
        ("[note][created_at]", str(note.created_at)),
        ("[note][updated_at]", str(note.updated_at)),
    ]
    if kind != "leads":
        pairs.append(("[type]", SINGULAR[kind]))
    return pairs


async def report_added(
    conn: Connection, account_id: int, kind: Kind, notes: Sequence[NoteRow], now: int
) -> None:
    """The ``*_note_added``/call/SMS event of each new note on its parent, and one delivery
    of the ``note_{lead|contact|company}`` hook per subscribed webhook."""
    await record(
        conn,
        account_id,
        [
            NewEvent(
                EVENT_OF_TYPE[n.note_type], n.entity_id, n.created_by,
                [{"note": {"id": n.id}}], entity_type=SINGULAR[kind],
            )
            for n in notes
        ],
        now,
    )  # fmt: skip
    action = f"note_{SINGULAR[kind]}"
    hooks = await outbox.subscribers(conn, account_id, {action})
    if not hooks or not notes:
        return
    zone = await _zone(conn, account_id)
    items = {action: [note_pairs(n, kind, account_id, zone) for n in notes]}
    await outbox.enqueue(conn, account_id, hooks, items, now)
