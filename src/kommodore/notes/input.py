"""A note write item taken apart and checked: the keys Kommo takes, the ``params`` of each
writable type as written, and the errors at Kommo's paths (``params.text``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kommodore.http.validation import ItemErrors, Reader, storable_text

MAX_TEXT = 20_000
"""Longer ``params`` strings are refused with ``TooLong`` (observed on Kommo for ``text``)."""
TOO_LONG = "TooLong"
NOT_BLANK = "NotBlank"
BLANK = "This value should not be blank."

WRITABLE = (
    "common", "call_in", "call_out", "service_message", "extended_service_message",
    "message_cashier", "geolocation", "sms_in", "sms_out", "attachment",
)  # fmt: skip
"""The types a client may add and edit (spec §8.2)."""

READ_ONLY = frozenset(
    {
        "amomail_message", "chat", "site_visit", "link_followed", "targeting_in",
        "targeting_out", "transaction", "invoice_paid", "bill_paid", "zoom_meeting",
        "dropbox_attachment", "ai_result", "lead_auto_created",
    }
)  # fmt: skip
"""System types a list may hold (from a seed file) but no client may write."""

CASHIER_STATUSES = ("created", "shown", "canceled")
CALL_STATUSES = range(1, 9)
"""1 left a message .. 7 busy, and 8 undefined (the SDK's)."""

_STRING, _INT, _COORD, _RESPONSIBLE = "string", "int", "coordinate", "responsible"

# Each writable type's keys in the order the API reads them: (key, kind, required).
PARAMS: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "common": (("text", _STRING, True),),
    "call_in": (
        ("uniq", _STRING, False),
        ("duration", _INT, True),
        ("source", _STRING, False),
        ("link", _STRING, False),
        ("phone", _STRING, True),
        ("call_responsible", _RESPONSIBLE, False),
        ("call_result", _STRING, False),
        ("call_status", _INT, False),
    ),
    "service_message": (("service", _STRING, True), ("text", _STRING, True)),
    "message_cashier": (("status", _STRING, True), ("text", _STRING, True)),
    "geolocation": (
        ("text", _STRING, True),
        ("address", _STRING, False),
        ("longitude", _COORD, False),
        ("latitude", _COORD, False),
    ),
    "sms_in": (("text", _STRING, True), ("phone", _STRING, True)),
    "attachment": (
        ("file_uuid", _STRING, True),
        ("version_uuid", _STRING, False),
        ("file_name", _STRING, False),
    ),
}
PARAMS["call_out"] = PARAMS["call_in"]
PARAMS["extended_service_message"] = PARAMS["service_message"]
PARAMS["sms_out"] = PARAMS["sms_in"]


@dataclass(slots=True)
class NoteInput:
    """One item of a POST or PATCH: what it sends, None where it sends nothing."""

    request_id: str
    errors: ItemErrors
    id: int | None = None
    entity_id: int | None = None
    note_type: str | None = None
    params: dict[str, Any] | None = None
    created_by: int | None = None
    updated_by: int | None = None
    responsible_user_id: int | None = None
    created_at: int | None = None
    updated_at: int | None = None
    reader: Reader | None = None
    """An edit's reader: its ``params`` are read once the note's type is known."""


def _string(r: Reader, key: str, value: Any) -> str | None:
    if not isinstance(value, str):
        r.errors.invalid_type(r.path(key), "string")
        return None
    if len(value) > MAX_TEXT:
        r.errors.add(
            TOO_LONG,
            r.path(key),
            f"This value is too long. It should have {MAX_TEXT} characters or less.",
        )
        return None
    if not storable_text(value):
        r.errors.invalid(r.path(key), "This value contains characters not allowed.")
        return None
    return value


def _one(r: Reader, key: str, kind: str, value: Any) -> Any:
    """A param of ``kind`` as the API stores and reads it, or None after recording why not."""
    if kind == _STRING:
        return _string(r, key, value)
    if kind == _INT:
        number = r.integer(key, maximum=2**31 - 1)
        return number
    if kind == _COORD:  # coordinates read back as strings; numbers are taken as sent
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        return _string(r, key, value)
    # call_responsible: a user id, or who took the call as a name or phone
    if isinstance(value, int) and not isinstance(value, bool):
        return r.id(key)
    return _string(r, key, value)


def read_params(r: Reader, note_type: str) -> dict[str, Any] | None:
    """``params`` of a writable type, in the read order of its keys; keys the type does not
    have are dropped. None (after recording why) when it is missing or not an object, or a
    required key is blank."""
    if "params" not in r.data or not isinstance(r.data["params"], dict):
        r.errors.invalid_type("params", "object")
        return None
    p = Reader(r.data["params"], r.errors, "params.")
    out: dict[str, Any] = {}
    ok = True
    for key, kind, required in PARAMS[note_type]:
        value = p.data.get(key)
        if value is None or (isinstance(value, str) and not value.strip() and required):
            if required:
                p.errors.add(NOT_BLANK, p.path(key), BLANK)
                ok = False
            continue
        parsed = _one(p, key, kind, value)
        if parsed is None:
            ok = False
            continue
        out[key] = parsed
    if note_type == "message_cashier" and out.get("status") not in (None, *CASHIER_STATUSES):
        p.errors.not_supported(p.path("status"))
        ok = False
    if "call_status" in out and out["call_status"] not in CALL_STATUSES:
        p.errors.not_supported(p.path("call_status"))
        ok = False
    return out if ok else None


def read_item(r: Reader, request_id: str, *, update: bool, entity_in_path: bool) -> NoteInput:
    """Every key of a note item Kommo takes. What a write ignores is not read, so a client
    that sends a note back whole is not refused for it: ``entity_id`` on a parent's path and
    on edits (a note never moves), ``created_by`` and ``created_at`` on edits.
    ``is_need_to_trigger_digital_pipeline`` is read for its type only (kommodore has no
    digital pipeline)."""
    item = NoteInput(request_id, r.errors)
    if update:
        item.id = r.id("id")
    else:
        if not entity_in_path:
            item.entity_id = r.id("entity_id")
        item.created_by = r.id("created_by")
        item.created_at = r.timestamp("created_at")
    item.updated_by = r.id("updated_by")
    item.responsible_user_id = r.id("responsible_user_id")
    item.updated_at = r.timestamp("updated_at")
    r.boolean("is_need_to_trigger_digital_pipeline")
    note_type = r.data.get("note_type")
    if note_type is not None and not isinstance(note_type, str):
        r.errors.invalid_type("note_type", "string")
    elif isinstance(note_type, str):
        item.note_type = note_type
    return item


def check_type(item: NoteInput, r: Reader) -> None:
    """A POST item's type: it must be sent and writable (``NotSupportedChoice`` at
    ``note_type`` otherwise); then its ``params``."""
    raw = r.data.get("note_type")
    if item.note_type not in PARAMS:
        if raw is None or isinstance(raw, str):  # another JSON type is already InvalidType
            item.errors.not_supported("note_type")
        return
    item.params = read_params(r, item.note_type)


def stored_params(note_type: str, params: dict[str, Any]) -> dict[str, Any]:
    """``params`` as the API reads them back. An attachment is written as a file of the
    account's drive (``file_uuid``, ``version_uuid``, ``file_name``) and read with Kommo's
    list keys; without a version the answer says ``null`` (kommodore keeps no drive, so it
    cannot name the latest version)."""
    if note_type != "attachment":
        return params
    name = params.get("file_name", "")
    return {
        "is_drive_attachment": True,
        "text": name,
        "original_name": name,
        "file_uuid": params["file_uuid"],
        "version_uuid": params.get("version_uuid"),
        "file_name": name,
    }
