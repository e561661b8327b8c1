"""Every custom field type of Kommo's API, grouped by how its values are stored and read."""

from __future__ import annotations

TEXT = frozenset({"text", "textarea", "url", "streetaddress", "tracking_data", "org_legal_name"})
NUMERIC = frozenset({"numeric", "monetary", "price"})
"""Read back as strings (``{"value": "12"}``), as Kommo does."""
CHECKBOX = frozenset({"checkbox"})
DATE = frozenset({"date", "date_time", "birthday"})
"""Unix seconds as JSON integers."""
ENUM_LABEL = frozenset({"select", "multiselect", "radiobutton", "category"})
"""The value is the enum's label."""
ENUM_TYPED_TEXT = frozenset({"multitext", "smart_address"})
"""The value is free text; the enum says what kind (WORK, city, ...)."""
OBJECT = frozenset({"legal_entity", "items", "linked_entity", "file", "payer", "supplier"})
CHAINED = frozenset({"chained_list"})

ALL = TEXT | NUMERIC | CHECKBOX | DATE | ENUM_LABEL | ENUM_TYPED_TEXT | OBJECT | CHAINED
WITH_ENUMS = ENUM_LABEL | ENUM_TYPED_TEXT
