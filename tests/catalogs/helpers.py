"""Catalogs and elements with every column under the test's control."""

from __future__ import annotations

from typing import Any

from kommodore.db import schema
from tests.factories import NOW, Account, Factory


def add_catalog(factory: Factory, account: Account, **columns: Any) -> int:
    cid = factory.id("catalogs")
    row: dict[str, Any] = {
        "account_id": account.id, "id": cid, "name": f"Catalog {cid}", "type": "regular",
        "sort": 10, "can_add_elements": True, "can_show_in_cards": False,
        "can_link_multiple": True, "can_be_deleted": True, "sdk_widget_code": None,
        "created_by": 0, "updated_by": 0, "created_at": NOW - 100, "updated_at": NOW - 50,
    }  # fmt: skip
    row.update(columns)
    factory._insert(schema.catalogs, [row])
    return cid


def add_elements(
    factory: Factory, account: Account, catalog_id: int, names: list[str], **columns: Any
) -> list[int]:
    ids = factory.ids("catalog_elements", len(names))
    rows = []
    for eid, name in zip(ids, names, strict=True):
        row: dict[str, Any] = {
            "account_id": account.id, "id": eid, "catalog_id": catalog_id, "name": name,
            "created_by": 0, "updated_by": 0, "created_at": NOW - 10, "updated_at": NOW - 5,
            "is_deleted": False,
        }  # fmt: skip
        row.update(columns)
        rows.append(row)
    factory._insert(schema.catalog_elements, rows)
    return ids
