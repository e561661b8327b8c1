"""Custom field rows with every column under the test's control (the shared factory fixes
most of them)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from kommodore.db import schema
from tests.factories import NOW, Account, Factory


def add_field(
    factory: Factory,
    account: Account,
    field_type: str,
    *,
    entity_type: str = "leads",
    enums: Sequence[tuple[str, int, str | None]] = (),
    **columns: Any,
) -> tuple[int, list[int]]:
    """A field with ``columns`` over the defaults; ``enums`` are (value, sort, code). JSON
    columns are given as Python values and stored as text."""
    fid = factory.id("custom_fields")
    row: dict[str, Any] = {
        "account_id": account.id, "id": fid, "entity_type": entity_type,
        "name": f"Field {fid}", "code": None, "sort": 500, "type": field_type,
        "is_computed": False, "is_predefined": False, "is_deletable": True,
        "is_api_only": False, "group_id": None, "required_statuses": None,
        "hidden_statuses": [], "remind": None, "currency": None, "chained_lists": None,
        "tracking_callback": None, "search_in": None, "created_at": NOW, "updated_at": NOW,
    }  # fmt: skip
    row.update(columns)
    for key in ("required_statuses", "hidden_statuses", "chained_lists"):
        if row[key] is not None:
            row[key] = json.dumps(row[key])
    factory._insert(schema.custom_fields, [row])
    enum_ids = factory.ids("custom_field_enums", len(enums)) if enums else []
    if enums:
        factory._insert(
            schema.custom_field_enums,
            [
                {"account_id": account.id, "id": eid, "field_id": fid, "value": value,
                 "sort": sort, "code": code}
                for eid, (value, sort, code) in zip(enum_ids, enums, strict=True)
            ],
        )  # fmt: skip
    return fid, enum_ids
