"""GET /api/v4/account: the account row, the acting user, and the ``with`` extras.

The extras live in ``accounts.settings`` (JSON). A key missing there takes a Kommo-like
default, so a freshly created account still answers every ``with`` the way Kommo would; object
settings are merged over their defaults so every documented key is present.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from msgspec import UNSET

from kommodore.accounts import store, wire
from kommodore.auth.service import Principal
from kommodore.db.database import Connection
from kommodore.http.hal import self_links

#: The ``with`` values GET /account understands; others are ignored.
ACCOUNT_WITH = frozenset(
    {
        "amojo_id",
        "amojo_rights",
        "users_groups",
        "task_types",
        "version",
        "entity_names",
        "datetime_settings",
        "drive_url",
        "is_api_filter_enabled",
        "invoices_settings",
    }
)

DEFAULT_AMOJO_RIGHTS: dict[str, Any] = {"can_direct": True, "can_create_groups": True}
DEFAULT_TASK_TYPES: list[dict[str, Any]] = [
    {"id": 1, "name": "Follow-up", "color": None, "icon_id": None, "code": "FOLLOW_UP"},
    {"id": 2, "name": "Meeting", "color": None, "icon_id": None, "code": "MEETING"},
]
DEFAULT_ENTITY_NAMES: dict[str, Any] = {
    "leads": {
        "en": {
            "singular_form": {"default": "lead"},
            "plural_form": {"default": "leads"},
        }
    }
}
DEFAULT_DATETIME_SETTINGS: dict[str, Any] = {
    "date_pattern": "d.m.Y H:i",
    "short_date_pattern": "d.m.Y",
    "short_time_pattern": "H:i",
    "date_format": "d.m.Y",
    "time_format": "H:i:s",
    "timezone": "UTC",
    "timezone_offset": "+00:00",
}
DEFAULT_INVOICES_LANG = "en"
_FLAGS = ("is_unsorted_on", "is_loss_reason_enabled", "is_helpbot_enabled", "is_technical_account")


def _settings(raw: str) -> dict[str, Any]:
    """The stored extras; anything but a JSON object counts as none stored."""
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def account_uuid(account_id: int, settings: dict[str, Any]) -> str:
    """The account's ``uuid`` (Kommo sends it beside ``amojo_id``): a stored one, else one
    derived from the account id, so it never changes between requests or servers."""
    stored = settings.get("uuid")
    if isinstance(stored, str):
        return stored
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"kommodore:account:{account_id}"))


def _merged(defaults: dict[str, Any], stored: Any) -> dict[str, Any]:
    """Stored keys over the defaults: the documented keys stay in Kommo's order."""
    return {**defaults, **stored} if isinstance(stored, dict) else dict(defaults)


async def _stored_settings(conn: Connection, account_id: int) -> dict[str, Any]:
    row = await store.get_account(conn, account_id)
    return {} if row is None else _settings(row.settings)


async def task_types(conn: Connection, account_id: int) -> list[dict[str, Any]]:
    """The account's task types (``with=task_types``): stored ones, else Kommo's two fixed
    types; tasks read them to check ``task_type_id``."""
    types = (await _stored_settings(conn, account_id)).get("task_types")
    return types if isinstance(types, list) else DEFAULT_TASK_TYPES


async def timezone(conn: Connection, account_id: int) -> str:
    """The account's time zone name (``datetime_settings.timezone``), for the local
    date-times of webhook bodies."""
    stored = (await _stored_settings(conn, account_id)).get("datetime_settings")
    merged = _merged(DEFAULT_DATETIME_SETTINGS, stored)
    zone = merged.get("timezone")
    return zone if isinstance(zone, str) and zone else "UTC"


async def read_account(
    conn: Connection, principal: Principal, with_: frozenset[str], origin: str
) -> bytes:
    account_id = principal.account.id
    row = await store.get_account(conn, account_id)
    if row is None:  # authentication found it a moment ago on this same connection
        raise LookupError(f"account {account_id} vanished")
    columns = row._asdict()
    settings = _settings(columns.pop("settings"))
    amojo_id, version = columns.pop("amojo_id"), columns.pop("version")
    for flag in _FLAGS:  # 0/1 on SQLite
        columns[flag] = bool(columns[flag])
    model = wire.Account(
        **columns,
        current_user_id=principal.actor.user_id,
        links=self_links(f"{origin}/api/v4/account"),
    )
    if "amojo_id" in with_:
        model.amojo_id = amojo_id
        model.uuid = account_uuid(account_id, settings)
    if "version" in with_:
        model.version = version
    if "entity_names" in with_:
        names = settings.get("entity_names")
        model.entity_names = names if isinstance(names, dict) else DEFAULT_ENTITY_NAMES
    if "drive_url" in with_:
        drive = settings.get("drive_url")
        # No file service here: by default point at this server rather than at Kommo's.
        model.drive_url = drive if isinstance(drive, str) else origin
    if "is_api_filter_enabled" in with_:
        enabled = settings.get("is_api_filter_enabled")
        model.is_api_filter_enabled = enabled if isinstance(enabled, bool) else True
    if "invoices_settings" in with_:
        stored = settings.get("invoices_settings")
        if isinstance(stored, dict):
            model.invoices_settings = _merged(
                {"lang": DEFAULT_INVOICES_LANG, "invoices_catalog_id": None}, stored
            )
        else:
            catalog_id = await store.invoices_catalog_id(conn, account_id)
            model.invoices_settings = {
                "lang": DEFAULT_INVOICES_LANG,
                "invoices_catalog_id": catalog_id,
            }

    embedded = wire.AccountEmbedded()
    if "amojo_rights" in with_:
        embedded.amojo_rights = _merged(DEFAULT_AMOJO_RIGHTS, settings.get("amojo_rights"))
    if "users_groups" in with_:
        embedded.users_groups = [
            wire.UserGroup(id=g.id, name=g.name, uuid=g.uuid)
            for g in await store.user_groups(conn, account_id)
        ]
    if "task_types" in with_:
        types = settings.get("task_types")
        embedded.task_types = types if isinstance(types, list) else DEFAULT_TASK_TYPES
    if "datetime_settings" in with_:
        embedded.datetime_settings = _merged(
            DEFAULT_DATETIME_SETTINGS, settings.get("datetime_settings")
        )
    if any(
        value is not UNSET
        for value in (
            embedded.amojo_rights,
            embedded.users_groups,
            embedded.task_types,
            embedded.datetime_settings,
        )
    ):
        model.embedded = embedded
    return wire.encoder.encode(model)
