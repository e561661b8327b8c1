"""GET /api/v4/leads/unsorted and /unsorted/{uid}: what a complex add's ``_embedded.metadata``
made, in Kommo's shape (whole answers), its filters, order and pages, the lead rights, entries
leaving once their lead is accepted (moved out of the incoming stage) or deleted, other
accounts' uids unknown, and a refused complex add keeping nothing. Both databases."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from starlette.testclient import TestClient

from tests.factories import Factory
from tests.leads.writing import ORIGIN, As, as_admin, as_user, assert_problem, validation_body

FORM = {"category": "forms", "form_id": "contact-form", "form_name": "Contact us",
        "form_page": "https://example.com/contact", "form_sent_at": 1_700_000_000,
        "ip": "192.0.2.1", "referer": "https://example.com/", "extra": "not kept"}  # fmt: skip
SIP = {"category": "sip", "uniq": "call-1", "duration": 54, "service_code": "CkAvb",
       "phone": "+7 999 000", "called_at": 1_700_000_100, "from": 42,
       "link": "https://example.com/call.mp3"}  # fmt: skip
URL = f"{ORIGIN}/api/v4/leads/unsorted"


def _complex(api: As, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    response = api.post("/api/v4/leads/complex", items)
    assert response.status_code == 200, response.text
    answer: list[dict[str, Any]] = response.json()
    return answer


def _get(api: As, path: str, status: int = 200) -> Any:
    response = api.client.get(path, headers=api.headers)
    assert response.status_code == status, (path, response.text)
    if status == 204:
        assert response.content == b""
        return None
    assert response.headers["content-type"] == "application/hal+json"
    return response.json()


def _ref(path: str, entity_id: int | None) -> list[dict[str, Any]]:
    if entity_id is None:
        return []
    return [{"id": entity_id, "_links": {"self": {"href": f"{ORIGIN}/api/v4/{path}/{entity_id}"}}}]


def _entry(uid: str, account_id: int, category: str, pipeline_id: int, created_at: int,
           metadata: dict[str, Any], lead: int, contact: int | None,
           company: int | None) -> dict[str, Any]:  # fmt: skip
    """An entry as Kommo's Unsorted API shows it, in its key order."""
    return {
        "uid": uid, "source_uid": None, "source_name": None, "category": category,
        "pipeline_id": pipeline_id, "created_at": created_at, "metadata": metadata,
        "account_id": account_id, "_links": {"self": {"href": f"{URL}/{uid}"}},
        "_embedded": {"contacts": _ref("contacts", contact), "leads": _ref("leads", lead),
                      "companies": _ref("companies", company)},
    }  # fmt: skip


FORM_KEPT = {"form_id": "contact-form", "form_name": "Contact us",
             "form_page": "https://example.com/contact", "ip": "192.0.2.1",
             "form_sent_at": 1_700_000_000, "referer": "https://example.com/",
             "visitor_uid": None}  # fmt: skip
SIP_KEPT = {"from": 42, "phone": "+7 999 000", "called_at": 1_700_000_100, "duration": 54,
            "link": "https://example.com/call.mp3", "service_code": "CkAvb",
            "uniq": "call-1"}  # fmt: skip


def _world(client: TestClient, factory: Factory) -> tuple[As, list[dict[str, Any]], int]:
    """An account with a form entry (new contact and company), a sip entry in the other
    pipeline (an existing contact) and a plain complex lead (no entry)."""
    api = as_admin(client, factory)
    known = factory.party(api.account, "contacts", api.user_id)
    answer = _complex(api, [
        {"name": "Form", "_embedded": {"metadata": FORM, "contacts": [{"first_name": "Ann"}],
                                       "companies": [{"name": "Acme"}]}},
        {"name": "Call", "pipeline_id": api.account.other_pipeline,
         "_embedded": {"metadata": SIP, "contacts": [{"id": known}]}},
        {"name": "Plain"},
    ])  # fmt: skip
    return api, answer, known


def _created_at(factory: Factory, lead_id: int) -> int:
    with factory.engine.begin() as conn:
        return int(
            conn.execute(
                sa.text("SELECT created_at FROM unsorted WHERE lead_id = :l"), {"l": lead_id}
            ).scalar_one()
        )


def test_list_and_one_whole(client: TestClient, factory: Factory) -> None:
    api, (form, call, plain), known = _world(client, factory)
    account = api.account
    body = _get(api, "/api/v4/leads/unsorted")
    first, second = body["_embedded"]["unsorted"]
    for item in (first, second):
        assert re.fullmatch(r"[0-9a-f]{60}", item["uid"])
    expected_items = [
        _entry(first["uid"], account.id, "forms", account.main_pipeline,
               _created_at(factory, form["id"]), FORM_KEPT, form["id"], form["contact_id"],
               form["company_id"]),
        _entry(second["uid"], account.id, "sip", account.other_pipeline,
               _created_at(factory, call["id"]), SIP_KEPT, call["id"], known, None),
    ]  # fmt: skip
    assert body == {
        "_page": 1,
        "_links": {"self": {"href": f"{URL}?page=1&limit=50"}},
        "_embedded": {"unsorted": expected_items},
    }
    keys = ["uid", "source_uid", "source_name", "category", "pipeline_id", "created_at",
            "metadata", "account_id", "_links", "_embedded"]  # fmt: skip
    assert list(first) == keys
    assert list(first["metadata"]) == list(FORM_KEPT)
    assert _get(api, f"/api/v4/leads/unsorted/{first['uid']}") == expected_items[0]
    assert _get(api, f"/api/v4/leads/unsorted/{second['uid']}") == expected_items[1]
    # the plain lead made none; unknown and other accounts' uids answer 204
    assert plain["id"] not in {i["_embedded"]["leads"][0]["id"] for i in expected_items}
    for unknown in ("0" * 60, "%00", "UPPER", "a" * 65, "%D0%AF"):
        _get(api, f"/api/v4/leads/unsorted/{unknown}", 204)
    _get(api, "/api/v4/leads/unsorted?filter[uid][]=%00&filter[uid][x][y]=1", 204)
    stranger = as_admin(client, factory)
    _get(stranger, f"/api/v4/leads/unsorted/{first['uid']}", 204)
    _get(stranger, "/api/v4/leads/unsorted", 204)
    # the lead itself is incoming, in its pipeline's incoming stage
    lead = api.lead(form["id"])
    assert lead is not None and (lead["pipeline_id"], lead["status_id"]) == account.stages[
        "incoming"]  # fmt: skip


def test_filters_order_and_pages(client: TestClient, factory: Factory) -> None:
    api, (form, call, _), _ = _world(client, factory)
    listed = _get(api, "/api/v4/leads/unsorted")["_embedded"]["unsorted"]
    by_lead = {i["_embedded"]["leads"][0]["id"]: i["uid"] for i in listed}
    f_uid, c_uid = by_lead[form["id"]], by_lead[call["id"]]

    def uids(query: str) -> list[str] | None:
        body = _get(api, f"/api/v4/leads/unsorted?{query}", 200)
        return [i["uid"] for i in body["_embedded"]["unsorted"]]

    assert uids("filter[category][]=sip") == [c_uid]
    assert uids("filter[category][]=forms&filter[category][]=sip") == [f_uid, c_uid]
    assert uids(f"filter[uid]={f_uid}") == [f_uid]
    assert uids(f"filter[uid][]={c_uid}&filter[uid][]={f_uid}") == [f_uid, c_uid]
    assert uids(f"filter[pipeline_id]={api.account.other_pipeline}") == [c_uid]
    assert uids("order[created_at]=desc") == [c_uid, f_uid]
    assert uids("order[created_at]=asc") == [f_uid, c_uid]
    _get(api, "/api/v4/leads/unsorted?filter[category][]=mail", 204)
    _get(api, "/api/v4/leads/unsorted?filter[pipeline_id]=1", 204)
    page = _get(api, "/api/v4/leads/unsorted?limit=1")
    assert [i["uid"] for i in page["_embedded"]["unsorted"]] == [f_uid]
    assert page["_links"] == {"self": {"href": f"{URL}?limit=1&page=1"},
                              "next": {"href": f"{URL}?limit=1&page=2"}}  # fmt: skip
    second = _get(api, "/api/v4/leads/unsorted?limit=1&page=2")
    assert [i["uid"] for i in second["_embedded"]["unsorted"]] == [c_uid]
    assert second["_page"] == 2 and "next" not in second["_links"]
    _get(api, "/api/v4/leads/unsorted?limit=1&page=3", 204)


def test_rights_follow_the_lead(client: TestClient, factory: Factory) -> None:
    """A user sees the entries of the leads they may view: all (A), their own (M), none (D)."""
    api = as_admin(client, factory)
    account = api.account
    mine = factory.user(account, view="M")
    answer = _complex(api, [
        {"responsible_user_id": mine, "_embedded": {"metadata": FORM}},
        {"_embedded": {"metadata": {**FORM, "form_id": "two"}}},
    ])  # fmt: skip
    everything = _get(api, "/api/v4/leads/unsorted")["_embedded"]["unsorted"]
    assert len(everything) == 2
    own = as_user(client, factory, account, mine)
    body = _get(own, "/api/v4/leads/unsorted")
    assert [i["_embedded"]["leads"][0]["id"] for i in body["_embedded"]["unsorted"]] == [
        answer[0]["id"]]  # fmt: skip
    hidden = everything[1]["uid"]
    _get(own, f"/api/v4/leads/unsorted/{hidden}", 204)
    nobody = as_user(client, factory, account, factory.user(account, view="D"))
    _get(nobody, "/api/v4/leads/unsorted", 204)
    _get(nobody, f"/api/v4/leads/unsorted/{everything[0]['uid']}", 204)


def test_accepted_or_deleted_leads_leave(client: TestClient, factory: Factory) -> None:
    api = as_admin(client, factory)
    accepted, deleted, kept = _complex(api, [
        {"_embedded": {"metadata": FORM}}, {"_embedded": {"metadata": FORM}},
        {"_embedded": {"metadata": FORM}},
    ])  # fmt: skip
    _, first = api.account.stages["first"]
    assert api.patch(f"/api/v4/leads/{accepted['id']}", {"status_id": first}).status_code == 200
    assert api.post("/admin/leads/delete", [{"id": deleted["id"]}]).status_code == 204
    body = _get(api, "/api/v4/leads/unsorted")
    assert [i["_embedded"]["leads"][0]["id"] for i in body["_embedded"]["unsorted"]] == [
        kept["id"]]  # fmt: skip


def test_bad_metadata_keeps_nothing(client: TestClient, factory: Factory) -> None:
    api = as_admin(client, factory)
    response = api.post("/api/v4/leads/complex", [
        {"_embedded": {"metadata": FORM}},
        {"_embedded": {"metadata": {**FORM, "ip": {"v": 4}, "referer": "x" * 1025}}},
        {"_embedded": {"metadata": {**SIP, "link": [1]}}},
    ])  # fmt: skip
    too_long = "This value is too long. It should have 1024 characters or less."
    assert_problem(response, 400, validation_body(
        ("1", [("InvalidType", "_embedded.metadata.ip", "This value should be of type string."),
               ("InvalidValue", "_embedded.metadata.referer", too_long)]),
        ("2", [("InvalidType", "_embedded.metadata.link", "This value should be of type string.")]),
    ))  # fmt: skip
    _get(api, "/api/v4/leads/unsorted", 204)
    assert api.lead_ids() == []
