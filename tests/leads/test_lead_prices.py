"""Fractional budgets, as Kommo keeps them: ``price`` the whole units, ``price_with_minor_units``
the exact number, to the hundredth. Written as a fractional ``price`` (what the PHP SDK sends)
or as ``price_with_minor_units``; read back whole through GET, the list's ``filter[price]``,
the ``sale_field_changed`` events and the webhook items. A whole price's answers keep the shape
they always had (no ``price_with_minor_units`` key)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import pytest
from starlette.testclient import TestClient

from tests.factories import Factory
from tests.leads.writing import LEADS_URL, As, as_admin, assert_problem, validation_body
from tests.webhooks.helpers import add_webhook, deliveries

BETWEEN = "This value should be between 0 and 9007199254740992."
FLOAT = "This value should be of type float."


def _whole(api: As, lead_id: int, lead: dict[str, Any], **prices: Any) -> dict[str, Any]:
    """The lead GET answers after an add of ``{}`` by the admin, with ``prices`` in place."""
    account = api.account
    expected: dict[str, Any] = {"id": lead_id, "name": "", **prices}
    expected.update(
        {
            "responsible_user_id": account.admin, "group_id": lead["group_id"],
            "status_id": account.stages["first"][1], "pipeline_id": account.main_pipeline,
            "loss_reason_id": None, "created_by": account.admin, "updated_by": account.admin,
            "created_at": lead["created_at"], "updated_at": lead["updated_at"],
            "closed_at": None, "closest_task_at": None, "is_deleted": False,
            "custom_fields_values": None, "score": None, "account_id": account.id,
            "labor_cost": None, "is_price_computed": False,
            "_links": {"self": {"href": f"{LEADS_URL}/{lead_id}"}},
            "_embedded": {"tags": [], "companies": []},
        }
    )  # fmt: skip
    return expected


def _read(api: As, lead_id: int) -> dict[str, Any]:
    lead = api.lead(lead_id)
    assert lead is not None
    return lead


@pytest.mark.parametrize(
    ("sent", "price", "minor_units"),
    [
        ({"price": 100.5}, 100, "100.5"),
        ({"price_with_minor_units": 150.75}, 150, "150.75"),
        ({"price": 300, "price_with_minor_units": 300.99}, 300, "300.99"),
        ({"price": 7, "price_with_minor_units": None}, 7, None),
        ({"price": 0.1}, 0, "0.1"),
        ({"price": 0.29}, 0, "0.29"),
        ({"price": 100.05}, 100, "100.05"),
        ({"price": 99999999.999}, 99999999, "99999999.99"),
        ({"price": 1234.56789}, 1234, "1234.56"),
        ({"price": 0.009}, 0, None),
        ({"price": 1500.0}, 1500, None),
        ({"price_with_minor_units": 42}, 42, None),
        ({"price": 9007199254740992}, 9007199254740992, None),
    ],
)
def test_add_reads_back_whole_and_exact(
    client: TestClient, factory: Factory, sent: dict[str, Any], price: int, minor_units: str | None
):
    """The answer of GET, whole and in Kommo's key order: ``price_with_minor_units`` right
    after ``price`` when there is a fraction (digits past the hundredth dropped), absent when
    there is none."""
    api = as_admin(client, factory)
    (lead_id,) = api.add(sent)
    response = client.get(f"/api/v4/leads/{lead_id}", headers=api.headers)
    lead = response.json()
    prices: dict[str, Any] = {"price": price}
    if minor_units is not None:
        prices["price_with_minor_units"] = float(minor_units)
        assert f'"price":{price},"price_with_minor_units":{minor_units},'.encode() in (
            response.content
        )
    expected = _whole(api, lead_id, lead, **prices)
    assert lead == expected
    assert list(lead) == list(expected)


def test_edits_change_the_fraction_and_leave_sale_events(client: TestClient, factory: Factory):
    """Single and batch edits; each change of the number (fraction included) leaves one
    ``sale_field_changed`` with the numbers as written, which ``filter[value_*][value]`` finds;
    an edit to a whole price drops the key again."""
    api = as_admin(client, factory)
    (lead_id,) = api.add({"price": 100.5})
    response = api.patch(f"/api/v4/leads/{lead_id}", {"price_with_minor_units": 200.99})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "id": lead_id, "updated_at": response.json()["updated_at"],
        "_links": {"self": {"href": f"{LEADS_URL}/{lead_id}"}},
    }  # fmt: skip
    lead = _read(api, lead_id)
    assert lead == _whole(api, lead_id, lead, price=200, price_with_minor_units=200.99)

    response = api.patch("/api/v4/leads", [{"id": lead_id, "price": 200.99}])
    assert response.status_code == 200, response.text  # the same number: no event
    response = api.patch("/api/v4/leads", [{"id": lead_id, "price": 200, "request_id": "w"}])
    assert response.status_code == 200, response.text
    assert response.json()["_embedded"]["leads"] == [
        {"id": lead_id, "updated_at": response.json()["_embedded"]["leads"][0]["updated_at"],
         "request_id": "w", "_links": {"self": {"href": f"{LEADS_URL}/{lead_id}"}}}
    ]  # fmt: skip
    lead = _read(api, lead_id)
    assert lead == _whole(api, lead_id, lead, price=200)
    assert "price_with_minor_units" not in lead

    events = client.get(
        f"/api/v4/events?filter[entity]=lead&filter[entity_id]={lead_id}"
        "&filter[type]=sale_field_changed",
        headers=api.headers,
    ).json()["_embedded"]["events"]
    # newest first
    assert [(e["value_before"], e["value_after"]) for e in events] == [
        ([{"sale_field_value": {"sale": 200.99}}], [{"sale_field_value": {"sale": 200}}]),
        ([{"sale_field_value": {"sale": 100.5}}], [{"sale_field_value": {"sale": 200.99}}]),
    ]
    found = client.get(
        "/api/v4/events?filter[type]=sale_field_changed&filter[value_after][value]=200.99",
        headers=api.headers,
    ).json()["_embedded"]["events"]
    assert [(e["entity_id"], e["value_before"]) for e in found] == [
        (lead_id, [{"sale_field_value": {"sale": 100.5}}])
    ]


def test_bad_prices_are_refused_and_nothing_is_written(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    response = api.post(
        "/api/v4/leads",
        [
            {"price_with_minor_units": "100.5"},
            {"price_with_minor_units": -0.5, "price": 5},
            {"price": True, "price_with_minor_units": 1e300},
            {"price": 10.5, "price_with_minor_units": 10.75},
        ],
    )
    assert_problem(
        response,
        400,
        validation_body(
            ("0", [("InvalidType", "price_with_minor_units", FLOAT)]),
            ("1", [("InvalidValue", "price_with_minor_units", BETWEEN)]),
            ("2", [("InvalidType", "price", "This value should be of type int."),
                   ("InvalidValue", "price_with_minor_units", BETWEEN)]),
        ),
    )  # fmt: skip
    assert api.lead_ids() == []
    (lead_id,) = api.add({"price": 1.5})
    response = api.patch(f"/api/v4/leads/{lead_id}", {"price_with_minor_units": [1]})
    assert response.status_code == 400
    lead = _read(api, lead_id)
    assert lead == _whole(api, lead_id, lead, price=1, price_with_minor_units=1.5)


def test_filter_price_compares_to_the_hundredth(client: TestClient, factory: Factory):
    """``filter[price]`` takes whole and fractional bounds and compares the exact number: a
    whole bound ``to=100`` leaves 100.5 out; ``from`` rounds up, ``to`` down to a hundredth."""
    api = as_admin(client, factory)
    at_100, at_100_5, at_101 = api.add({"price": 100}, {"price": 100.5}, {"price": 101})

    def ids(query: str) -> list[int]:
        response = client.get(f"/api/v4/leads?{query}", headers=api.headers)
        if response.status_code == 204:
            return []
        assert response.status_code == 200, response.text
        return [lead["id"] for lead in response.json()["_embedded"]["leads"]]

    assert ids("filter[price][from]=100.5") == [at_100_5, at_101]
    assert ids("filter[price][from]=100.001") == [at_100_5, at_101]
    assert ids("filter[price][to]=100") == [at_100]
    assert ids("filter[price][to]=100.499") == [at_100]
    assert ids("filter[price]=100.5") == [at_100_5]
    assert ids("filter[price]=100.50") == [at_100_5]
    assert ids("filter[price]=100") == [at_100]
    assert ids("filter[price][from]=100.01&filter[price][to]=100.99") == [at_100_5]
    assert ids("filter[price][from]=100&filter[price][to]=101") == [at_100, at_100_5, at_101]
    assert ids("filter[price][from]=cheap") == []
    assert ids("filter[price][from]=99999999999999999999") == []


def test_webhook_items_carry_the_fraction(client: TestClient, factory: Factory):
    """``[price]`` is the whole units; ``[price_with_minor_units]`` follows it with the exact
    number only when there is a fraction, so a whole price's item is as it always was."""
    api = as_admin(client, factory)
    add_webhook(factory, api.account, "http://127.0.0.1:9/hook", ("add_lead", "update_lead"))
    fractional, whole = api.add({"price": 100.5}, {"price": 100})
    (added,) = deliveries(factory, api.account)
    keys = [k for k, _ in parse_qsl(added["body"], keep_blank_values=True)]
    fields = dict(parse_qsl(added["body"], keep_blank_values=True))
    assert (fields["leads[add][0][id]"], fields["leads[add][1][id]"]) == (
        str(fractional),
        str(whole),
    )
    first = [k.removeprefix("leads[add][0]") for k in keys if k.startswith("leads[add][0]")]
    second = [k.removeprefix("leads[add][1]") for k in keys if k.startswith("leads[add][1]")]
    assert second[:5] == ["[id]", "[name]", "[status_id]", "[pipeline_id]", "[price]"]
    assert first == [*second[:5], "[price_with_minor_units]", *second[5:]]
    assert (fields["leads[add][0][price]"], fields["leads[add][0][price_with_minor_units]"]) == (
        "100",
        "100.5",
    )
    assert fields["leads[add][1][price]"] == "100"

    api.patch(f"/api/v4/leads/{whole}", {"price_with_minor_units": 0.07})
    updated = dict(parse_qsl(deliveries(factory, api.account)[1]["body"]))
    assert (
        updated["leads[update][0][price]"],
        updated["leads[update][0][price_with_minor_units]"],
    ) == ("0", "0.07")


def test_complex_add_keeps_the_fraction(client: TestClient, factory: Factory):
    """``/leads/complex`` reads prices as ``/leads`` does (amoCRM's SDK test adds 10.11 and
    20.22 this way and reads them back)."""
    api = as_admin(client, factory)
    response = api.post(
        "/api/v4/leads/complex", [{"price": 10.11}, {"price_with_minor_units": 20.22}]
    )
    assert response.status_code == 200, response.text
    ids = [item["id"] for item in response.json()]
    read = [_read(api, lead_id) for lead_id in ids]
    assert [(lead["price"], lead["price_with_minor_units"]) for lead in read] == [
        (10, 10.11), (20, 20.22)
    ]  # fmt: skip
