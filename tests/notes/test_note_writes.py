"""Bad note writes answer Kommo's errors and change nothing; rights and tenancy as for leads
(a note is seen as its parent is, written with ``edit`` on it); each new note records its
event on the parent and queues the ``note_*`` webhook in Kommo's form encoding."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from tests.factories import NOW, Factory
from tests.leads.writing import NOT_A_CHOICE, As, as_admin, as_user
from tests.notes.test_notes import add, get
from tests.webhooks.helpers import add_webhook, deliveries

BLANK = "This value should not be blank."


def _count(factory: Factory, api: As) -> int:
    with factory.engine.begin() as conn:
        return int(
            conn.execute(
                sa.text("SELECT count(*) FROM notes WHERE account_id = :a"), {"a": api.account.id}
            ).scalar_one()
        )


def _errors(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert (body["title"], body["status"], body["detail"]) == (
        "Bad Request", 400, "Request validation failed",
    )  # fmt: skip
    errors: list[dict[str, Any]] = body["validation-errors"]
    return errors


def _one(request_id: str, code: str, path: str, detail: str) -> dict[str, Any]:
    return {"request_id": request_id, "errors": [{"code": code, "path": path, "detail": detail}]}


def test_bad_items_answer_every_error_and_write_nothing(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    lead = factory.lead(api.account)
    deleted = factory.lead(api.account, is_deleted=True)
    foreign = factory.lead(factory.account())
    stranger = factory.account().admin
    items = [
        {"entity_id": lead, "note_type": "common", "params": {"text": "fine"}},
        {"entity_id": lead, "params": {"text": "x"}},
        {"entity_id": lead, "note_type": "chat", "params": {}},
        {"entity_id": lead, "note_type": "nope", "params": {}},
        {"entity_id": lead, "note_type": 5, "params": {}},
        {"note_type": "common", "params": {"text": "x"}},
        {"entity_id": deleted, "note_type": "common", "params": {"text": "x"}},
        {"entity_id": foreign, "note_type": "common", "params": {"text": "x"}},
        {"entity_id": 10**15, "note_type": "common", "params": {"text": "x"}},
        {"entity_id": "1", "note_type": "common", "params": {"text": "x"}},
        {"entity_id": lead, "note_type": "common", "params": []},
        {"entity_id": lead, "note_type": "common"},
        {"entity_id": lead, "note_type": "common", "params": {"text": ""}},
        {"entity_id": lead, "note_type": "common", "params": {"text": "x" * 20_001}},
        {"entity_id": lead, "note_type": "common", "params": {"text": 7}},
        {"entity_id": lead, "note_type": "sms_in", "params": {"text": "x"}},
        {"entity_id": lead, "note_type": "call_in", "params": {"phone": "1", "duration": "60"}},
        {"entity_id": lead, "note_type": "call_out", "params": {"phone": "1", "duration": 1,
                                                                 "call_status": 9}},
        {"entity_id": lead, "note_type": "message_cashier", "params": {"status": "paid",
                                                                       "text": "x"}},
        {"entity_id": lead, "note_type": "attachment", "params": {"file_name": "a"}},
        {"entity_id": lead, "note_type": "common", "params": {"text": "x"},
         "responsible_user_id": stranger, "created_by": 10**20},
        "not an object",
    ]  # fmt: skip
    response = api.post("/api/v4/leads/notes", items)
    too_long = "This value is too long. It should have 20000 characters or less."
    assert _errors(response) == [
        _one("1", "NotSupportedChoice", "note_type", NOT_A_CHOICE),
        _one("2", "NotSupportedChoice", "note_type", NOT_A_CHOICE),
        _one("3", "NotSupportedChoice", "note_type", NOT_A_CHOICE),
        _one("4", "InvalidType", "note_type", "This value should be of type string."),
        _one("5", "NotSupportedChoice", "entity_id", NOT_A_CHOICE),
        _one("6", "NotSupportedChoice", "entity_id", NOT_A_CHOICE),
        _one("7", "NotSupportedChoice", "entity_id", NOT_A_CHOICE),
        _one("8", "NotSupportedChoice", "entity_id", NOT_A_CHOICE),
        _one("9", "InvalidType", "entity_id", "This value should be of type int."),
        _one("10", "InvalidType", "params", "This value should be of type object."),
        _one("11", "InvalidType", "params", "This value should be of type object."),
        _one("12", "NotBlank", "params.text", BLANK),
        _one("13", "TooLong", "params.text", too_long),
        _one("14", "InvalidType", "params.text", "This value should be of type string."),
        _one("15", "NotBlank", "params.phone", BLANK),
        _one("16", "InvalidType", "params.duration", "This value should be of type int."),
        _one("17", "NotSupportedChoice", "params.call_status", NOT_A_CHOICE),
        _one("18", "NotSupportedChoice", "params.status", NOT_A_CHOICE),
        _one("19", "NotBlank", "params.file_uuid", BLANK),
        {"request_id": "20", "errors": [
            {"code": "NotSupportedChoice", "path": "created_by", "detail": NOT_A_CHOICE},
            {"code": "NotSupportedChoice", "path": "responsible_user_id",
             "detail": NOT_A_CHOICE},
        ]},
        _one("21", "InvalidType", "", "This value should be of type object."),
    ]  # fmt: skip
    assert _count(factory, api) == 0


def test_bodies_and_limits(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    lead = factory.lead(api.account)
    for body, status, detail in (
        ([], 400, "Request data can not be empty"),
        ("text", 400, "Request data must be an array of objects"),
        ([{"note_type": "common", "params": {"text": "x"}}] * 251, 422, "Limit 250 per page"),
    ):
        response = api.post(f"/api/v4/leads/{lead}/notes", body)
        assert (response.status_code, response.json()["detail"]) == (status, detail)
    assert api.client.delete(f"/api/v4/leads/{lead}/notes", headers=api.headers).status_code == 405
    assert api.client.get("/api/v4/tasks/notes", headers=api.headers).status_code == 404
    assert api.client.get("/api/v4/leads/x/notes", headers=api.headers).status_code == 404
    huge = 2**64
    assert get(api, f"/api/v4/leads/{huge}/notes") is None
    assert get(api, f"/api/v4/leads/{huge}/notes/{huge}") is None
    assert api.post(f"/api/v4/leads/notes/{huge}/pin").status_code == 404
    assert _errors(api.post(f"/api/v4/leads/{huge}/notes",
                            [{"note_type": "common", "params": {"text": "x"}}])) == [
        _one("0", "NotSupportedChoice", "entity_id", NOT_A_CHOICE)
    ]  # fmt: skip
    ok = api.post(f"/api/v4/leads/{lead}/notes",
                  [{"note_type": "common", "params": {"text": "x"}}] * 250)  # fmt: skip
    assert ok.status_code == 200 and len(ok.json()["_embedded"]["notes"]) == 250
    assert _count(factory, api) == 250


def test_path_parent_wins_and_edits_never_move(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    lead, other = factory.lead(api.account), factory.lead(api.account)
    (note_id,) = add(api, "leads", lead, {"entity_id": other, "note_type": "common",
                                          "params": {"text": "x"}})  # fmt: skip
    assert get(api, f"/api/v4/leads/{lead}/notes/{note_id}")["entity_id"] == lead
    (ignored,) = add(api, "leads", lead, {"entity_id": "not an id", "note_type": "common",
                                          "params": {"text": "x"}})  # fmt: skip
    # a note sent back whole, read-only keys and all, is an edit of its params
    whole = get(api, f"/api/v4/leads/{lead}/notes/{ignored}?with=is_pinned")
    response = api.patch(f"/api/v4/leads/{lead}/notes/{ignored}",
                         {**whole, "params": {"text": "edited"}, "entity_id": other})  # fmt: skip
    assert response.status_code == 200, response.text
    after = get(api, f"/api/v4/leads/{lead}/notes/{ignored}?with=is_pinned")
    assert after == {**whole, "params": {"text": "edited"}, "updated_at": after["updated_at"]}
    assert get(api, f"/api/v4/leads/{other}/notes/{note_id}") is None
    assert get(api, f"/api/v4/contacts/notes/{note_id}") is None
    # edits through another parent's path, or naming unknown notes, are refused
    for path, item in (
        (f"/api/v4/leads/{other}/notes", {"id": note_id, "params": {"text": "y"}}),
        ("/api/v4/contacts/notes", {"id": note_id, "params": {"text": "y"}}),
        ("/api/v4/leads/notes", {"id": 10**15, "params": {"text": "y"}}),
    ):
        assert _errors(api.patch(path, [item])) == [
            _one("0", "NotSupportedChoice", "id", NOT_A_CHOICE)
        ]
    assert _errors(api.patch("/api/v4/leads/notes", [{"params": {"text": "y"}}])) == [
        _one("0", "FieldMissing", "id", "This field is missing.")
    ]
    assert _errors(api.patch("/api/v4/leads/notes", [{"id": note_id, "note_type": "sms_in"}])) == [
        _one("0", "NotSupportedChoice", "note_type", NOT_A_CHOICE)
    ]
    assert _errors(api.patch("/api/v4/leads/notes", [{"id": note_id, "params": {"text": ""}}])) == [
        _one("0", "NotBlank", "params.text", BLANK)
    ]
    assert get(api, f"/api/v4/leads/notes/{note_id}")["params"] == {"text": "x"}


def test_read_only_types_cannot_be_edited(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    lead = factory.lead(api.account)
    note_id = factory.id("notes")
    factory.execute(
        "INSERT INTO notes (account_id, id, entity_type, entity_id, note_type, params, "
        "responsible_user_id, group_id, created_by, updated_by, created_at, updated_at, "
        "is_pinned) VALUES (:a, :i, 'leads', :e, 'site_visit', :p, :u, 0, :u, :u, :t, :t, :f)",
        a=api.account.id, i=note_id, e=lead, p=json.dumps({"url": "https://x"}), u=api.user_id,
        t=NOW, f=False,
    )  # fmt: skip
    assert get(api, f"/api/v4/leads/notes/{note_id}")["params"] == {"url": "https://x"}
    assert _errors(api.patch("/api/v4/leads/notes", [{"id": note_id, "params": {"url": "y"}}])) == [
        _one("0", "NotSupportedChoice", "note_type", NOT_A_CHOICE)
    ]


def test_notes_of_deleted_parents_disappear(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    lead = factory.lead(api.account)
    (note_id,) = add(api, "leads", lead, {"note_type": "common", "params": {"text": "x"}})
    factory.execute("UPDATE leads SET is_deleted = :t WHERE account_id = :a AND id = :i",
                    t=True, a=api.account.id, i=lead)  # fmt: skip
    assert get(api, f"/api/v4/leads/notes/{note_id}") is None
    assert get(api, f"/api/v4/leads/{lead}/notes") is None
    assert get(api, f"/api/v4/leads/notes?filter[id]={note_id}") is None
    assert api.post(f"/api/v4/leads/notes/{note_id}/pin").status_code == 404


def test_other_accounts_notes_are_unknown(client: TestClient, factory: Factory):
    owner = as_admin(client, factory)
    lead = factory.lead(owner.account)
    (note_id,) = add(owner, "leads", lead, {"note_type": "common", "params": {"text": "x"}})
    stranger = as_admin(client, factory)
    assert get(stranger, f"/api/v4/leads/notes/{note_id}") is None
    assert get(stranger, f"/api/v4/leads/{lead}/notes") is None
    assert get(stranger, "/api/v4/leads/notes") is None
    assert stranger.post(f"/api/v4/leads/notes/{note_id}/pin").status_code == 404
    assert _errors(
        stranger.patch("/api/v4/leads/notes", [{"id": note_id, "params": {"text": "y"}}])
    ) == [_one("0", "NotSupportedChoice", "id", NOT_A_CHOICE)]
    assert get(owner, f"/api/v4/leads/notes/{note_id}")["params"] == {"text": "x"}


@pytest.mark.parametrize(
    ("kind", "view", "edit", "sees", "writes"),
    [
        ("leads", "A", "A", True, True),
        ("leads", "A", "D", True, False),
        ("leads", "M", "M", False, False),  # another user is responsible
        ("leads", "G", "G", True, True),  # same group as the responsible admin
        ("leads", "D", "D", False, False),
        ("contacts", "A", "D", True, False),
        ("contacts", "G", "G", True, True),
        ("contacts", "M", "M", False, False),
        ("companies", "A", "A", True, True),
        ("companies", "D", "D", False, False),
    ],
)  # fmt: skip
def test_rights_on_the_parent(
    client: TestClient, factory: Factory, kind: str, view: str, edit: str, sees: bool,
    writes: bool,
):  # fmt: skip
    admin = as_admin(client, factory)
    account = admin.account
    parent = (factory.lead(account) if kind == "leads"
              else factory.party(account, kind, admin.user_id))  # fmt: skip
    if kind != "leads":  # a party's group is its responsible user's (the admin is in "one")
        factory.execute(f"UPDATE {kind} SET group_id = :g WHERE id = :i",  # noqa: S608
                        g=account.groups["one"], i=parent)  # fmt: skip
    (note_id,) = add(admin, kind, parent, {"note_type": "common", "params": {"text": "x"}})
    user = as_user(client, factory, account, factory.user(account, view=view, edit=edit,
                                                          group="one"))  # fmt: skip
    shown = get(user, f"/api/v4/{kind}/notes/{note_id}")
    assert (shown is not None) == sees
    listed = get(user, f"/api/v4/{kind}/notes")
    assert (listed is not None) == sees
    if sees:
        assert listed["_embedded"]["notes"] == [shown]
    added = user.post(f"/api/v4/{kind}/{parent}/notes",
                      [{"note_type": "common", "params": {"text": "y"}}])  # fmt: skip
    edited = user.patch(f"/api/v4/{kind}/notes", [{"id": note_id, "params": {"text": "z"}}])
    pinned = user.post(f"/api/v4/{kind}/notes/{note_id}/pin")
    if writes:
        assert (added.status_code, edited.status_code, pinned.status_code) == (200, 200, 204)
    else:
        denied = {"request_id": "0", "errors": [
            {"code": "AccessDenied", "path": "entity_id",
             "detail": "You do not have the right to do this."}]}  # fmt: skip
        if sees:
            for response in (added, edited):
                assert response.status_code == 403
                assert response.json()["validation-errors"] == [denied]
        else:  # a parent the user cannot see answers as one that does not exist
            assert _errors(added) == [_one("0", "NotSupportedChoice", "entity_id", NOT_A_CHOICE)]
            assert _errors(edited) == [_one("0", "NotSupportedChoice", "id", NOT_A_CHOICE)]
        assert pinned.status_code == (403 if sees else 404)
        assert _count(factory, admin) == 1
        assert get(admin, f"/api/v4/{kind}/notes/{note_id}")["params"] == {"text": "x"}


def _events(factory: Factory, api: As) -> list[tuple[str, str, int, Any, int]]:
    with factory.engine.begin() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT type, entity_type, entity_id, value_after, created_by FROM events "
                "WHERE account_id = :a ORDER BY id"
            ),
            {"a": api.account.id},
        ).all()
    return [(r[0], r[1], r[2], json.loads(r[3]), r[4]) for r in rows]


def test_each_added_note_records_its_event(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    lead = factory.lead(api.account)
    company = factory.party(api.account, "companies", api.user_id)
    types = ["common", "call_in", "call_out", "service_message", "extended_service_message",
             "message_cashier", "geolocation", "sms_in", "sms_out", "attachment"]  # fmt: skip
    params = {"text": "t", "phone": "1", "duration": 1, "service": "s", "status": "created",
              "file_uuid": "f"}  # fmt: skip
    ids = add(api, "leads", lead, *({"note_type": t, "params": params} for t in types))
    (company_note,) = add(api, "companies", company, {"note_type": "common", "params": params})
    names = ["common_note_added", "incoming_call", "outgoing_call", "service_note_added",
             "service_note_added", "message_to_cashier_note_added", "geo_note_added",
             "incoming_sms", "outgoing_sms", "attachment_note_added"]  # fmt: skip
    assert _events(factory, api) == [
        *((name, "lead", lead, [{"note": {"id": i}}], api.user_id)
          for name, i in zip(names, ids, strict=True)),
        ("common_note_added", "company", company, [{"note": {"id": company_note}}], api.user_id),
    ]  # fmt: skip
    response = api.client.get(
        f"/api/v4/events?filter[entity]=lead&filter[entity_id]={lead}&filter[type]=incoming_call",
        headers=api.headers,
    )
    assert response.status_code == 200
    (event,) = response.json()["_embedded"]["events"]
    assert (event["type"], event["value_after"]) == ("incoming_call", [{"note": {"id": ids[1]}}])
    # edits and pins record nothing
    api.patch("/api/v4/leads/notes", [{"id": ids[0], "params": {"text": "u"}}])
    api.post(f"/api/v4/leads/notes/{ids[0]}/pin")
    assert len(_events(factory, api)) == 11


def test_note_webhooks_in_kommos_form_encoding(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    account = api.account
    add_webhook(factory, account, "http://127.0.0.1:9/notes",
                ("note_lead", "note_contact", "note_company"))  # fmt: skip
    add_webhook(factory, account, "http://127.0.0.1:9/leads", ("add_lead",))
    lead = factory.lead(account)
    contact = factory.party(account, "contacts", api.user_id)
    company = factory.party(account, "companies", api.user_id)
    (common,) = add(api, "leads", lead, {"note_type": "common", "params": {"text": "Hi & bye"},
                                         "created_at": 1_700_000_000})  # fmt: skip
    (call,) = add(
        api,
        "contacts",
        contact,
        {
            "note_type": "call_in",
            "params": {
                "uniq": "u1",
                "duration": 5,
                "source": "pbx",
                "link": "https://r",
                "phone": "+1",
            },
        },
    )
    (company_note,) = add(
        api, "companies", company, {"note_type": "sms_out", "params": {"text": "s", "phone": "2"}}
    )
    queued = deliveries(factory, account)
    assert [d["destination"] for d in queued] == ["http://127.0.0.1:9/notes"] * 3
    first = parse_qsl(queued[0]["body"])
    updated_at = dict(first)["leads[note][0][note][updated_at]"]
    group = str(account.groups["one"])
    assert first == [
        ("account[subdomain]", account.subdomain), ("account[id]", str(account.id)),
        ("account[_links][self]", f"https://{account.subdomain}.kommo.test"),
        ("leads[note][0][note][element_type]", "2"),
        ("leads[note][0][note][element_id]", str(lead)),
        ("leads[note][0][note][note_type]", "4"),
        ("leads[note][0][note][text]", "Hi & bye"),
        ("leads[note][0][note][account_id]", str(account.id)),
        ("leads[note][0][note][date_create]", "2023-11-14 22:13:20"),
        ("leads[note][0][note][timestamp_x]", queued[0]["body"] and _local(int(updated_at))),
        ("leads[note][0][note][created_by]", str(api.user_id)),
        ("leads[note][0][note][modified_by]", str(api.user_id)),
        ("leads[note][0][note][main_user_id]", str(api.user_id)),
        ("leads[note][0][note][group_id]", group),
        ("leads[note][0][note][id]", str(common)),
        ("leads[note][0][note][created_at]", "1700000000"),
        ("leads[note][0][note][updated_at]", updated_at),
    ]  # fmt: skip
    assert "leads%5Bnote%5D%5B0%5D%5Bnote%5D%5Btext%5D=Hi+%26+bye" in queued[0]["body"]
    second = dict(parse_qsl(queued[1]["body"]))
    assert second["contacts[note][0][note][element_type]"] == "1"
    assert second["contacts[note][0][note][note_type]"] == "10"
    assert json.loads(second["contacts[note][0][note][text]"]) == {
        "UNIQ": "u1",
        "LINK": "https://r",
        "PHONE": "+1",
        "DURATION": 5,
        "SRC": "pbx",
    }
    assert (second["contacts[note][0][note][id]"], second["contacts[note][0][type]"]) == (
        str(call), "contact",
    )  # fmt: skip
    assert list(second)[-1] == "contacts[note][0][type]"
    third = dict(parse_qsl(queued[2]["body"]))
    assert (third["contacts[note][0][note][element_type]"], third["contacts[note][0][type]"],
            third["contacts[note][0][note][id]"], third["contacts[note][0][note][note_type]"]) == (
        "3", "company", str(company_note), "103",
    )  # fmt: skip
    # a refused batch queues nothing
    api.post(f"/api/v4/leads/{lead}/notes", [{"note_type": "common", "params": {}}])
    assert len(deliveries(factory, account)) == 3


def _local(timestamp: int) -> str:
    import datetime

    return datetime.datetime.fromtimestamp(timestamp, datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")
