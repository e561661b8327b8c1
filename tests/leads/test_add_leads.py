"""POST /api/v4/leads: the answer, the defaults, every writable field read back
through GET, and the tolerance for what clients send along."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.factories import Factory
from tests.leads.writing import LEADS_URL, ORIGIN, Clock, as_admin, as_user


def _created(ids: list[int], request_ids: list[str]) -> dict[str, Any]:
    return {
        "_links": {"self": {"href": LEADS_URL}},
        "_embedded": {
            "leads": [
                {"id": i, "request_id": r, "_links": {"self": {"href": f"{LEADS_URL}/{i}"}}}
                for i, r in zip(ids, request_ids, strict=True)
            ]
        },
    }


def test_answer_and_defaults(client: TestClient, factory: Factory):
    """Two empty leads: Kommo's add answer, then each lead whole as GET reads it: the main
    pipeline's first regular stage, the acting user everywhere, timestamps from the clock."""
    api = as_admin(client, factory)
    account = api.account
    with Clock() as clock:
        response = api.post("/api/v4/leads", [{}, {"request_id": "mine"}])
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/hal+json"
    body = response.json()
    ids = [item["id"] for item in body["_embedded"]["leads"]]
    assert body == _created(ids, ["0", "mine"])
    assert list(body) == ["_links", "_embedded"]
    assert ids[1] > ids[0]
    group = factory.user_group(account, account.admin)
    for lead_id in ids:
        lead = api.lead(lead_id)
        assert lead is not None
        assert clock.covers(lead["created_at"])
        assert lead == {
            "id": lead_id, "name": "", "price": 0, "responsible_user_id": account.admin,
            "group_id": group, "status_id": account.stages["first"][1],
            "pipeline_id": account.main_pipeline, "loss_reason_id": None,
            "created_by": account.admin, "updated_by": account.admin,
            "created_at": lead["created_at"], "updated_at": lead["created_at"],
            "closed_at": None, "closest_task_at": None, "is_deleted": False,
            "custom_fields_values": None, "score": None, "account_id": account.id,
            "labor_cost": None, "is_price_computed": False,
            "_links": {"self": {"href": f"{LEADS_URL}/{lead_id}"}},
            "_embedded": {"tags": [], "companies": []},
        }  # fmt: skip


def test_request_ids_echo_as_strings(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    response = api.post("/api/v4/leads", [{"request_id": 7}, {}, {"request_id": "x-1"}])
    assert response.status_code == 200
    assert [i["request_id"] for i in response.json()["_embedded"]["leads"]] == ["7", "1", "x-1"]


def test_every_writable_field(client: TestClient, factory: Factory):
    """Each field of Kommo's API given, each read back as sent (contacts: the one flagged main)."""
    api = as_admin(client, factory)
    account = api.account
    owner = factory.user(account, group="two")
    robot_editor = 0
    hot = factory.tag(account, "hot", "FF8F92")
    first_contact = factory.party(account, "contacts", owner)
    main_contact = factory.party(account, "contacts", owner)
    company = factory.party(account, "companies", owner)
    source = factory.source(account, "Website")
    reason = factory.loss_reason(account)
    (lead_id,) = api.add(
        {
            "name": "Big deal", "price": 1500.0, "status_id": 143,
            "pipeline_id": account.other_pipeline, "loss_reason_id": reason,
            "responsible_user_id": owner, "created_by": robot_editor, "updated_by": owner,
            "created_at": 1_600_000_000, "updated_at": 1_600_000_100, "closed_at": 1_600_000_050,
            "tags_to_add": [{"name": "fresh"}],
            "_embedded": {
                "tags": [{"id": hot}],
                "contacts": [{"id": first_contact}, {"id": main_contact, "is_main": True}],
                "companies": [{"id": company}],
                "source": {"external_id": f"ext-{source}", "type": "widget"},
            },
            "visitor_uid": "abc",
        }
    )  # fmt: skip
    lead = api.lead(lead_id, "contacts,source_id,source,loss_reason")
    assert lead is not None
    fresh = next(t for t in lead["_embedded"]["tags"] if t["name"] == "fresh")
    assert lead["_embedded"] == {
        "tags": sorted(
            [{"id": hot, "name": "hot", "color": "FF8F92"},
             {"id": fresh["id"], "name": "fresh", "color": None}],
            key=lambda t: t["id"],
        ),
        "loss_reason": [
            {"id": reason, "name": "Too expensive", "sort": 100,
             "created_at": lead["_embedded"]["loss_reason"][0]["created_at"],
             "updated_at": lead["_embedded"]["loss_reason"][0]["updated_at"],
             "_links": {"self": {"href": f"{ORIGIN}/api/v4/leads/loss_reasons/{reason}"}}}
        ],
        "companies": [
            {"id": company, "_links": {"self": {"href": f"{ORIGIN}/api/v4/companies/{company}"}}}
        ],
        "contacts": [
            {"id": main_contact, "is_main": True,
             "_links": {"self": {"href": f"{ORIGIN}/api/v4/contacts/{main_contact}"}}},
            {"id": first_contact, "is_main": False,
             "_links": {"self": {"href": f"{ORIGIN}/api/v4/contacts/{first_contact}"}}},
        ],
        "source": {"id": source, "name": "Website"},
    }  # fmt: skip
    del lead["_embedded"]
    assert lead == {
        "id": lead_id, "name": "Big deal", "price": 1500, "responsible_user_id": owner,
        "group_id": account.groups["two"], "status_id": 143,
        "pipeline_id": account.other_pipeline, "loss_reason_id": reason, "source_id": source,
        "created_by": 0, "updated_by": owner, "created_at": 1_600_000_000,
        "updated_at": 1_600_000_100, "closed_at": 1_600_000_050, "closest_task_at": None,
        "is_deleted": False, "custom_fields_values": None, "score": None,
        "account_id": account.id, "labor_cost": None, "is_price_computed": False,
        "_links": {"self": {"href": f"{LEADS_URL}/{lead_id}"}},
    }  # fmt: skip


def test_first_contact_is_main_when_none_is_flagged(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    one = factory.party(api.account, "contacts", api.user_id)
    two = factory.party(api.account, "contacts", api.user_id)
    (lead_id,) = api.add({"_embedded": {"contacts": [{"id": two}, {"id": one}, {"id": two}]}})
    lead = api.lead(lead_id, "contacts")
    assert lead is not None
    assert [(c["id"], c["is_main"]) for c in lead["_embedded"]["contacts"]] == [
        (two, True),
        (one, False),
    ]


def test_price_floats(client: TestClient, factory: Factory):
    """The PHP SDK sends every price as a float; the answer's ``price`` is an integer."""
    api = as_admin(client, factory)
    ids = api.add({"price": 100.0}, {"price": 99.9}, {"price": 0})
    prices = [api.lead(i)["price"] for i in ids]  # type: ignore[index]
    assert prices == [100, 99, 0]


def test_a_source_without_a_pipeline_puts_the_lead_in_the_sources_pipeline(
    client: TestClient, factory: Factory
):
    api = as_admin(client, factory)
    account = api.account
    source = factory.source(account, "Chat")
    factory.execute(
        "UPDATE sources SET pipeline_id = :p WHERE account_id = :a AND id = :s",
        p=account.other_pipeline, a=account.id, s=source,
    )  # fmt: skip
    (lead_id,) = api.add({"_embedded": {"source": {"external_id": f"ext-{source}"}}})
    lead = api.lead(lead_id, "source_id")
    assert lead is not None
    assert (lead["pipeline_id"], lead["status_id"], lead["source_id"]) == (
        *account.stages["other_first"],
        source,
    )


def test_read_only_fields_and_nulls_are_ignored(client: TestClient, factory: Factory):
    """a client sends back what it read; nothing of it is an error."""
    api = as_admin(client, factory)
    (lead_id,) = api.add(
        {
            "name": "Echo", "id": 5, "account_id": 1, "is_deleted": True, "group_id": 99,
            "score": 3, "labor_cost": None, "loss_reason_id": None, "source_id": None,
            "custom_fields_values": None, "closest_task_at": 5, "is_price_computed": True,
            "price": None, "status_id": None, "responsible_user_id": None,
            "_links": {"self": {"href": "x"}},
            "_embedded": {"tags": [], "contacts": [], "companies": [], "loss_reason": None},
        }
    )  # fmt: skip
    lead = api.lead(lead_id)
    assert lead is not None
    assert lead["id"] == lead_id != 5
    assert (lead["name"], lead["is_deleted"], lead["score"], lead["account_id"]) == (
        "Echo", False, None, api.account.id,
    )  # fmt: skip
    assert lead["group_id"] == factory.user_group(api.account, api.user_id)


def test_bodies_are_json_whatever_the_content_type(client: TestClient, factory: Factory):
    """JSON with no Content-Type, as form-encoded, or chunked."""
    api = as_admin(client, factory)
    body = b'[{"name": "typed"}]'
    for headers in (
        {"content-type": "application/x-www-form-urlencoded"},
        {"content-type": "text/plain"},
        {},
    ):
        response = api.post("/api/v4/leads", content=body, headers=headers)
        assert response.status_code == 200, (headers, response.text)

    def chunks() -> Any:
        yield b'[{"name": '
        yield b'"chunked"}]'

    response = client.post("/api/v4/leads", content=chunks(), headers=api.headers)
    assert response.status_code == 200, response.text
    lead = api.lead(response.json()["_embedded"]["leads"][0]["id"])
    assert lead is not None and lead["name"] == "chunked"


def test_a_single_object_is_a_batch_of_one(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    response = api.post("/api/v4/leads", {"name": "alone"})
    assert response.status_code == 200
    (item,) = response.json()["_embedded"]["leads"]
    assert item["request_id"] == "0"
    assert api.lead(item["id"])["name"] == "alone"  # type: ignore[index]


def test_new_leads_are_found_by_query(client: TestClient, factory: Factory):
    """The search index follows writes: a new name and value are found at once."""
    api = as_admin(client, factory)
    field, _ = factory.field(api.account, "text")
    (lead_id,) = api.add(
        {
            "name": "Zebrafish order",
            "custom_fields_values": [{"field_id": field, "values": [{"value": "Okapi-77"}]}],
        }
    )
    for query in ("zebrafish", "okapi-7"):
        response = client.get(f"/api/v4/leads?query={query}", headers=api.headers)
        assert response.status_code == 200, query
        assert [lead["id"] for lead in response.json()["_embedded"]["leads"]] == [lead_id]


def test_a_250_lead_batch(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    ids = api.add(*({"name": f"n{i}", "tags_to_add": [{"name": f"t{i % 3}"}]} for i in range(250)))
    assert len(ids) == 250 == len(set(ids))
    assert api.lead_ids() == sorted(ids)


def test_context_user_acts_for_the_admin(client: TestClient, factory: Factory):
    """X-Context-User-ID on an admin's token: the lead is created by that user."""
    api = as_admin(client, factory)
    user = factory.user(api.account, group="one")
    response = api.post(
        "/api/v4/leads", [{"name": "ctx"}], headers={"X-Context-User-ID": str(user)}
    )
    assert response.status_code == 200
    lead = as_user(client, factory, api.account, user).lead(
        response.json()["_embedded"]["leads"][0]["id"]
    )
    assert lead is not None
    assert (lead["created_by"], lead["updated_by"], lead["responsible_user_id"]) == (
        user,
        user,
        user,
    )
