"""Custom field values read back in Kommo's shapes for every type of Kommo's API."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.testclient import TestClient

from kommodore.custom_fields import types
from tests.factories import Factory

SPEC_TYPES = {
    "text", "numeric", "checkbox", "select", "multiselect", "multitext", "date", "url",
    "textarea", "radiobutton", "streetaddress", "smart_address", "birthday", "legal_entity",
    "date_time", "price", "category", "items", "tracking_data", "linked_entity", "chained_list",
    "monetary", "file", "payer", "supplier", "org_legal_name",
}  # fmt: skip

LEGAL = {"name": "Acme B.V.", "entity_type": 2, "vat_id": "NL123456789B01", "kpp": None}
ITEMS = {
    "sku": "W-1", "description": "Widget", "unit_price": 10, "quantity": 2, "unit_type": "pcs",
    "discount": {"type": "percentage", "value": 5}, "vat_rate_id": 0,
}  # fmt: skip
LINKED = {"name": "Widget", "entity_id": 5, "entity_type": "catalog_elements", "catalog_id": 7}
FILE = {"file_uuid": "f1", "version_uuid": "v1", "file_name": "a.pdf", "file_size": 1024}
PAYER = {"name": "Payer Ltd", "entity_type": 2}


def test_every_spec_type_is_known():
    assert types.ALL == SPEC_TYPES


# (type, enums, stored values [(column values)], expected read values)
CASES: list[tuple[str, list[tuple[str, str | None]], list[dict[str, Any]], list[Any]]] = [
    ("text", [], [{"value_text": "hello"}], [{"value": "hello"}]),
    ("textarea", [], [{"value_text": "line 1\nline 2"}], [{"value": "line 1\nline 2"}]),
    ("url", [], [{"value_text": "https://example.com/a"}], [{"value": "https://example.com/a"}]),
    ("streetaddress", [], [{"value_text": "Main st 1"}], [{"value": "Main st 1"}]),
    ("tracking_data", [], [{"value_text": "google"}], [{"value": "google"}]),
    ("org_legal_name", [], [{"value_text": "Acme"}], [{"value": "Acme"}]),
    ("numeric", [], [{"value_text": "12", "value_number": 12.0}], [{"value": "12"}]),
    ("monetary", [], [{"value_text": "99.95", "value_number": 99.95}], [{"value": "99.95"}]),
    ("price", [], [{"value_text": "5", "value_number": 5.0}], [{"value": "5"}]),
    ("checkbox", [], [{"value_int": 1}], [{"value": True}]),
    ("date", [], [{"value_int": 1577836800}], [{"value": 1577836800}]),
    ("date_time", [], [{"value_int": 1746338400}], [{"value": 1746338400}]),
    ("birthday", [], [{"value_int": 631152000}], [{"value": 631152000}]),
    ("select", [("North", None), ("South", "S")], [{"enum": 1}],
     [{"value": "South", "enum_id": "E1", "enum_code": "S"}]),
    ("radiobutton", [("Yes", None), ("No", None)], [{"enum": 0}],
     [{"value": "Yes", "enum_id": "E0", "enum_code": None}]),
    ("category", [("SMB", None)], [{"enum": 0}],
     [{"value": "SMB", "enum_id": "E0", "enum_code": None}]),
    ("multiselect", [("Math", None), ("Art", None), ("Music", None)], [{"enum": 2}, {"enum": 0}],
     [{"value": "Music", "enum_id": "E2", "enum_code": None},
      {"value": "Math", "enum_id": "E0", "enum_code": None}]),
    ("multitext", [("WORK", "WORK"), ("MOB", "MOB")],
     [{"enum": 1, "value_text": "+31612345678"}, {"enum": 0, "value_text": "+31201234567"}],
     [{"value": "+31612345678", "enum_id": "E1", "enum_code": "MOB"},
      {"value": "+31201234567", "enum_id": "E0", "enum_code": "WORK"}]),
    ("smart_address", [("address_line_1", "address_line_1"), ("city", "city")],
     [{"enum": 0, "value_text": "Main st 1"}, {"enum": 1, "value_text": "Amsterdam"}],
     [{"value": "Main st 1", "enum_id": "E0", "enum_code": "address_line_1"},
      {"value": "Amsterdam", "enum_id": "E1", "enum_code": "city"}]),
    ("legal_entity", [], [{"value_json": json.dumps(LEGAL)}], [{"value": LEGAL}]),
    ("items", [], [{"value_json": json.dumps(ITEMS)}], [{"value": ITEMS}]),
    ("linked_entity", [], [{"value_json": json.dumps(LINKED)}], [{"value": LINKED}]),
    ("file", [], [{"value_json": json.dumps(FILE)}], [{"value": FILE}]),
    ("payer", [], [{"value_json": json.dumps(PAYER)}], [{"value": PAYER}]),
    ("supplier", [], [{"value_json": json.dumps(PAYER)}], [{"value": PAYER}]),
    ("chained_list", [], [{"value_json": json.dumps({"catalog_id": 3, "catalog_element_id": 9})}],
     [{"catalog_id": 3, "catalog_element_id": 9}]),
]  # fmt: skip


def test_cases_cover_every_type():
    assert {case[0] for case in CASES} == SPEC_TYPES


def _resolve(expected: Any, enum_ids: list[int]) -> Any:
    """Replace the placeholders "E<n>" with the n-th enum id the factory created."""
    if isinstance(expected, dict):
        return {k: _resolve(v, enum_ids) for k, v in expected.items()}
    if isinstance(expected, list):
        return [_resolve(v, enum_ids) for v in expected]
    if isinstance(expected, str) and expected[:1] == "E" and expected[1:].isdigit():
        return enum_ids[int(expected[1:])]
    return expected


def test_a_lead_with_every_type_reads_back_in_kommo_shapes(client: TestClient, factory: Factory):
    account = factory.account()
    lead_id = factory.lead(account)
    wanted = []
    for sort, (field_type, enums, stored, read) in enumerate(CASES):
        field_id, enum_ids = factory.field(
            account, field_type, f"F {field_type}", enums=enums, sort=sort
        )
        for position, columns in enumerate(stored):
            columns = dict(columns)
            if "enum" in columns:
                columns["enum_id"] = enum_ids[columns.pop("enum")]
            factory.value(account, lead_id, field_id, position=position, **columns)
        wanted.append(
            {"field_id": field_id, "field_name": f"F {field_type}", "field_code": None,
             "field_type": field_type, "values": _resolve(read, enum_ids)}
        )  # fmt: skip
    token = factory.token(account, account.admin)
    response = client.get(f"/api/v4/leads/{lead_id}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json()["custom_fields_values"] == wanted


@pytest.mark.parametrize("field_type", sorted(types.NUMERIC))
def test_numeric_values_are_strings(field_type: str):
    from kommodore.custom_fields.values import read_value

    value = read_value(field_type, enum_id=None, enum_value=None, enum_code=None,
                       value_text="1.5", value_int=None, value_json=None)  # fmt: skip
    assert value == {"value": "1.5"}
