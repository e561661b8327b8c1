"""Custom field values on lead writes, read back in Kommo's read shapes:
a round trip for every type, each way of naming a field and an enum, and each refusal."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from kommodore.custom_fields import types
from tests.factories import Account, Factory
from tests.leads.writing import NOT_A_CHOICE, As, as_admin, assert_problem, validation_body

LEGAL = {"name": "Acme B.V.", "entity_type": 2, "vat_id": "NL123456789B01"}
ITEMS = {"sku": "W-1", "description": "Widget", "unit_price": 10, "quantity": 2,
         "discount": {"type": "percentage", "value": 5}}  # fmt: skip
LINKED = {"name": "Widget", "entity_id": 5, "entity_type": "catalog_elements", "catalog_id": 7}
FILE = {"file_uuid": "f1", "version_uuid": "v1", "file_name": "a.pdf", "file_size": 1024}
PAYER = {"name": "Payer Ltd", "entity_type": 2}
ENUMS: dict[str, list[tuple[str, str | None]]] = {
    "select": [("North", None), ("South", "S")],
    "radiobutton": [("Yes", "Y"), ("No", "N")],
    "category": [("Retail", None), ("Wholesale", None)],
    "multiselect": [("Math", "M"), ("Art", None), ("Music", None)],
    "multitext": [("WORK", "WORK"), ("MOB", "MOB")],
    "smart_address": [("address_line_1", None), ("city", None)],
}

# type -> (values written, values read back; "E<n>" is the field's n-th enum id)
ROUND_TRIP: dict[str, tuple[list[Any], list[Any]]] = {
    "text": ([{"value": "hello"}], [{"value": "hello"}]),
    "textarea": ([{"value": "line 1\nline 2"}], [{"value": "line 1\nline 2"}]),
    "url": ([{"value": "https://example.com/a"}], [{"value": "https://example.com/a"}]),
    "streetaddress": ([{"value": "Main st 1"}], [{"value": "Main st 1"}]),
    "tracking_data": ([{"value": "google"}], [{"value": "google"}]),
    "org_legal_name": ([{"value": "Acme"}], [{"value": "Acme"}]),
    "numeric": ([{"value": "1.5"}], [{"value": "1.5"}]),
    "monetary": ([{"value": 99.95}], [{"value": "99.95"}]),
    "price": ([{"value": 5}], [{"value": "5"}]),
    "checkbox": ([{"value": True}], [{"value": True}]),
    "date": ([{"value": 1577836800}], [{"value": 1577836800}]),
    "date_time": ([{"value": "2025-05-04T06:00:00+00:00"}], [{"value": 1746338400}]),
    "birthday": ([{"value": "1990-01-01T00:00:00+03:00"}], [{"value": 631141200}]),
    "select": ([{"value": "South"}], [{"value": "South", "enum_id": "E1", "enum_code": "S"}]),
    "radiobutton": ([{"enum_code": "n"}], [{"value": "No", "enum_id": "E1", "enum_code": "N"}]),
    "category": ([{"enum_id": "E0"}], [{"value": "Retail", "enum_id": "E0", "enum_code": None}]),
    "multiselect": (
        [{"enum_id": "E2"}, {"value": "Math"}, {"enum_code": "M"}],
        [{"value": "Music", "enum_id": "E2", "enum_code": None},
         {"value": "Math", "enum_id": "E0", "enum_code": "M"}],
    ),
    "multitext": (
        [{"value": "+31 6 1234", "enum_code": "MOB"}, {"value": "+31 20 1234"}],
        [{"value": "+31 6 1234", "enum_id": "E1", "enum_code": "MOB"},
         {"value": "+31 20 1234", "enum_id": "E0", "enum_code": "WORK"}],
    ),
    "smart_address": (
        [{"value": "Main st 1", "enum_id": "E0"}, {"value": "Utrecht", "enum_id": "E1"}],
        [{"value": "Main st 1", "enum_id": "E0", "enum_code": None},
         {"value": "Utrecht", "enum_id": "E1", "enum_code": None}],
    ),
    "legal_entity": ([{"value": LEGAL}], [{"value": LEGAL}]),
    "items": ([{"value": ITEMS}], [{"value": ITEMS}]),
    "linked_entity": ([{"value": LINKED}], [{"value": LINKED}]),
    "file": ([{"value": FILE}], [{"value": FILE}]),
    "payer": ([{"value": PAYER}], [{"value": PAYER}]),
    "supplier": ([{"value": PAYER}], [{"value": PAYER}]),
    "chained_list": (
        [{"catalog_id": 7, "catalog_element_id": 9}],
        [{"catalog_id": 7, "catalog_element_id": 9}],
    ),
}  # fmt: skip


def _with_enum_ids(value: Any, enum_ids: list[int]) -> Any:
    if isinstance(value, str) and value.startswith("E") and value[1:].isdigit():
        return enum_ids[int(value[1:])]
    if isinstance(value, dict):
        return {k: _with_enum_ids(v, enum_ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_enum_ids(v, enum_ids) for v in value]
    return value


def test_every_type_is_covered():
    assert set(ROUND_TRIP) == types.ALL


def test_every_type_round_trips(client: TestClient, factory: Factory):
    """One lead holding a value of every type reads back in Kommo's shapes, fields by sort."""
    api = as_admin(client, factory)
    written = []
    expected = []
    for sort, (field_type, (sent, read)) in enumerate(sorted(ROUND_TRIP.items())):
        field_id, enum_ids = factory.field(
            api.account, field_type, name=f"F {field_type}", code=f"C_{field_type.upper()}",
            enums=ENUMS.get(field_type, ()), sort=sort,
        )  # fmt: skip
        key = {"field_code": f"C_{field_type.upper()}"} if sort % 2 else {"field_id": field_id}
        written.append({**key, "values": _with_enum_ids(sent, enum_ids)})
        expected.append(
            {"field_id": field_id, "field_name": f"F {field_type}",
             "field_code": f"C_{field_type.upper()}", "field_type": field_type,
             "values": _with_enum_ids(read, enum_ids)}
        )  # fmt: skip
    (lead_id,) = api.add({"custom_fields_values": written})
    lead = api.lead(lead_id)
    assert lead is not None
    assert lead["custom_fields_values"] == expected
    # and through the edit path, as a client that writes the read shapes back
    response = api.patch(f"/api/v4/leads/{lead_id}", {"custom_fields_values": expected})
    assert response.status_code == 200, response.text
    assert api.lead(lead_id)["custom_fields_values"] == expected  # type: ignore[index]


def _field(factory: Factory, account: Account, field_type: str) -> tuple[int, list[int]]:
    return factory.field(account, field_type, enums=ENUMS.get(field_type, ()))


def _refused(api: As, values: list[dict[str, Any]], *errors: tuple[str, str, str]) -> None:
    (lead_id,) = api.add({})
    before = api.lead(lead_id)
    response = api.patch("/api/v4/leads", [{"id": lead_id, "custom_fields_values": values}])
    assert_problem(response, 400, validation_body(("0", list(errors))))
    assert api.lead(lead_id) == before


@pytest.mark.parametrize(
    ("field_type", "values", "path", "code", "detail"),
    [
        ("select", [{"value": "West"}], "values.0.value", "NotSupportedChoice", NOT_A_CHOICE),
        ("select", [{"enum_id": 1}], "values.0.enum_id", "NotSupportedChoice", NOT_A_CHOICE),
        ("select", [{"enum_code": "ZZ"}], "values.0.enum_code", "NotSupportedChoice",
         NOT_A_CHOICE),
        ("select", [{"value": "North"}, {"value": "South"}], "values", "InvalidValue",
         "This field takes one value."),
        ("multiselect", [{"value": 5}], "values.0.value", "InvalidType",
         "This value should be of type string."),
        ("numeric", [{"value": "twelve"}], "values.0.value", "InvalidType",
         "This value should be of type numeric."),
        ("numeric", [{"value": True}], "values.0.value", "InvalidType",
         "This value should be of type numeric."),
        ("checkbox", [{"value": "yes"}], "values.0.value", "InvalidType",
         "This value should be of type bool."),
        ("date", [{"value": "tomorrow"}], "values.0.value", "InvalidType",
         "This value should be of type date."),
        ("date", [{"value": 1.5}], "values.0.value", "InvalidType",
         "This value should be of type int."),
        ("date", [{"value": "2020-01-01T00:00:00"}], "values.0.value", "InvalidValue",
         "A date needs a time zone offset (RFC 3339)."),
        ("text", [{"value": {"a": 1}}], "values.0.value", "InvalidType",
         "This value should be of type string."),
        ("text", [{}], "values.0.value", "FieldMissing", "This field is missing."),
        ("text", [{"value": "x" * 10_001}], "values.0.value", "InvalidValue",
         "This value is too long. It should have 10000 characters or less."),
        ("text", [{"value": "nul\u0000"}], "values.0.value", "InvalidValue",
         "This value contains characters not allowed."),
        ("text", {"value": "x"}, "values", "InvalidType", "This value should be of type array."),
        ("legal_entity", [{"value": "Acme"}], "values.0.value", "InvalidType",
         "This value should be of type object."),
        ("legal_entity", [{"value": {"vat_id": "1"}}], "values.0.value.name", "FieldMissing",
         "This field is missing."),
        ("chained_list", [{"catalog_id": 7}], "values.0.catalog_element_id", "FieldMissing",
         "This field is missing."),
        ("multitext", [{"value": "+1", "enum_code": "FAX"}], "values.0.enum_code",
         "NotSupportedChoice", NOT_A_CHOICE),
    ],
)  # fmt: skip
def test_refused_values(client: TestClient, factory: Factory, field_type: str, values: Any,
                        path: str, code: str, detail: str):  # fmt: skip
    api = as_admin(client, factory)
    field_id, _ = _field(factory, api.account, field_type)
    _refused(
        api,
        [{"field_id": field_id, "values": values}],
        (code, f"custom_fields_values.0.{path}", detail),
    )


def test_unknown_and_foreign_fields(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    foreign, _ = factory.field(factory.account(), "text", code="FOREIGN")
    _refused(
        api,
        [
            {"field_id": foreign, "values": [{"value": "x"}]},
            {"field_code": "FOREIGN", "values": [{"value": "x"}]},
            {"values": [{"value": "x"}]},
            {"field_id": "12", "values": [{"value": "x"}]},
            "not an object",
        ],
        # a non-object entry is found while the item is read, the rest once fields are known
        ("InvalidType", "custom_fields_values.4", "This value should be of type object."),
        ("NotSupportedChoice", "custom_fields_values.0.field_id", NOT_A_CHOICE),
        ("NotSupportedChoice", "custom_fields_values.1.field_code", NOT_A_CHOICE),
        ("FieldMissing", "custom_fields_values.2.field_id", "This field is missing."),
        ("InvalidType", "custom_fields_values.3.field_id", "This value should be of type int."),
    )


def test_numbers_and_numeric_strings(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    field_id, _ = factory.field(api.account, "numeric", name="N")
    (lead_id,) = api.add(
        {"custom_fields_values": [{"field_id": field_id, "values": [{"value": 12.0}]}]}
    )
    assert api.lead(lead_id)["custom_fields_values"][0]["values"] == [  # type: ignore[index]
        {"value": "12"}
    ]
    response = client.get(f"/api/v4/leads?filter[custom_fields_values][{field_id}][from]=11"
                          f"&filter[custom_fields_values][{field_id}][to]=13",
                          headers=api.headers)  # fmt: skip
    assert [lead["id"] for lead in response.json()["_embedded"]["leads"]] == [lead_id]
