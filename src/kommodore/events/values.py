"""The ``custom_field_value`` items of ``custom_field_value_changed`` events, shared by every
entity whose edits record them (leads, contacts, companies)."""

from __future__ import annotations

from typing import Any

#: Kommo's numeric field type codes (the amoCRM v2 ids) for ``custom_field_value.field_type``.
FIELD_TYPE_CODES = {
    "text": 1, "numeric": 2, "checkbox": 3, "select": 4, "multiselect": 5, "date": 6, "url": 7,
    "multitext": 8, "textarea": 9, "radiobutton": 10, "streetaddress": 11, "smart_address": 13,
    "birthday": 14, "legal_entity": 15, "items": 16, "category": 17, "date_time": 19,
    "price": 20, "tracking_data": 21, "linked_entity": 22, "chained_list": 23, "monetary": 24,
    "file": 25, "payer": 26, "supplier": 27, "org_legal_name": 28,
}  # fmt: skip

ValueKey = tuple[int | None, str | None, int | None, str | None]
"""(enum_id, value_text, value_int, value_json): what identifies a stored value."""


def value_entry(field_id: int, field_type: str, key: ValueKey, label: str | None) -> dict[str, Any]:
    """One ``custom_field_value`` of an event: the enum's label or the value as text."""
    enum_id, text, number, blob = key
    shown = label if label is not None else text
    if shown is None and number is not None:
        shown = str(number)
    if shown is None:
        shown = blob
    return {
        "custom_field_value": {
            "field_id": field_id,
            "field_type": FIELD_TYPE_CODES.get(field_type, 0),
            "enum_id": enum_id,
            "text": shown,
        }
    }
