"""Custom field values in Kommo's read shapes, from their stored columns."""

from __future__ import annotations

from typing import Any

import msgspec

from kommodore.custom_fields import types


def read_value(
    field_type: str,
    *,
    enum_id: int | None,
    enum_value: str | None,
    enum_code: str | None,
    value_text: str | None,
    value_int: int | None,
    value_json: str | None,
) -> dict[str, Any]:
    """One element of a field entry's ``values`` array."""
    if field_type in types.TEXT or field_type in types.NUMERIC:
        return {"value": value_text if value_text is not None else ""}
    if field_type in types.DATE:
        return {"value": value_int}
    if field_type in types.CHECKBOX:
        return {"value": bool(value_int)}
    if field_type in types.ENUM_LABEL:
        return {"value": enum_value, "enum_id": enum_id, "enum_code": enum_code}
    if field_type in types.ENUM_TYPED_TEXT:
        return {"value": value_text, "enum_id": enum_id, "enum_code": enum_code}
    if field_type in types.CHAINED:
        chained: dict[str, Any] = msgspec.json.decode(value_json or "{}")
        return {
            "catalog_id": chained.get("catalog_id"),
            "catalog_element_id": chained.get("catalog_element_id"),
        }
    # object-valued types: legal_entity, items, linked_entity, file, payer, supplier
    return {"value": msgspec.json.decode(value_json) if value_json else None}
