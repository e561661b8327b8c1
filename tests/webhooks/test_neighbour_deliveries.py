"""Every webhook action of contacts, companies, notes and tasks, triggered through the API and
delivered by the worker to a real HTTP receiver: each subscribed webhook (one per event, told
apart by its query string) receives its body whole, byte for byte as Kommo form-encodes it, with
the headers of every delivery; a webhook whose event did not happen receives nothing.

``delete_*``/``restore_*`` of contacts and companies and ``delete_task`` are subscribed too:
nothing in kommodore deletes contacts, companies or tasks (Kommo does it in its UI only, and
kommodore's admin surface deletes leads only), so they never arrive."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from kommodore.webhooks.payload import php_quote
from tests.conftest import BASE_DOMAIN, Backend
from tests.factories import Account, Factory
from tests.leads.writing import As, as_admin
from tests.webhooks.helpers import Receiver, add_webhook, run_until_idle, settings

Pair = tuple[str, str]

FIRED = (
    "add_contact", "update_contact", "responsible_contact",
    "add_company", "update_company", "responsible_company",
    "note_lead", "note_contact", "note_company",
    "add_task", "update_task", "responsible_task",
)  # fmt: skip
NEVER = ("delete_contact", "restore_contact", "delete_company", "restore_company", "delete_task")
ZONE = "Asia/Kolkata"
"""The account's time zone (+05:30): the local date-times of note and task items follow it."""
T0 = 1_700_000_000


def local(stamp: int) -> str:
    return (
        datetime.fromtimestamp(stamp, UTC).astimezone(ZoneInfo(ZONE)).strftime("%Y-%m-%d %H:%M:%S")
    )


def encoded(account: Account, *sections: tuple[str, Sequence[Sequence[Pair]]]) -> bytes:
    """The body: the account block, then each section's items under ``{section}[i]``."""
    pairs: list[Pair] = [
        ("account[subdomain]", account.subdomain),
        ("account[id]", str(account.id)),
        ("account[_links][self]", f"https://{account.subdomain}.{BASE_DOMAIN}"),
    ]
    for key, items in sections:
        pairs += [(f"{key}[{i}]{k}", v) for i, item in enumerate(items) for k, v in item]
    quote_via: Any = php_quote
    return urlencode(pairs, quote_via=quote_via).encode()


def party_item(
    account: Account, party: dict[str, Any], kind: str, *, old: int | None = None,
    company: tuple[int, str] | None = None, tags: Sequence[tuple[int, str]] = (),
    fields: Sequence[Pair] = (), leads: Sequence[int] = (),
) -> list[Pair]:  # fmt: skip
    """A ``contacts[action][i]`` item in the key order of Kommo's example, from the entity as
    ``GET`` answers it."""
    pairs = [("[id]", str(party["id"])), ("[name]", str(party["name"])),
             ("[responsible_user_id]", str(party["responsible_user_id"]))]  # fmt: skip
    if old is not None:
        pairs.append(("[old_responsible_user_id]", str(old)))
    pairs += [
        ("[date_create]", str(party["created_at"])), ("[last_modified]", str(party["updated_at"])),
        ("[created_user_id]", str(party["created_by"])),
        ("[modified_user_id]", str(party["updated_by"])),
    ]  # fmt: skip
    if company is not None:
        pairs += [("[company_name]", company[1]), ("[linked_company_id]", str(company[0]))]
    pairs.append(("[account_id]", str(account.id)))
    for i, (tag_id, name) in enumerate(tags):
        pairs += [(f"[tags][{i}][id]", str(tag_id)), (f"[tags][{i}][name]", name)]
    pairs += fields
    pairs += [(f"[linked_leads_id][{lead}][ID]", str(lead)) for lead in leads]
    pairs += [
        ("[created_at]", str(party["created_at"])),
        ("[updated_at]", str(party["updated_at"])),
        ("[type]", kind),
    ]
    return pairs


def note_item(account: Account, note: dict[str, Any], element: int, legacy: int, text: str,
              kind: str | None) -> list[Pair]:  # fmt: skip
    created, updated = int(note["created_at"]), int(note["updated_at"])
    pairs = [
        ("[note][element_type]", str(element)), ("[note][element_id]", str(note["entity_id"])),
        ("[note][note_type]", str(legacy)), ("[note][text]", text),
        ("[note][account_id]", str(account.id)), ("[note][date_create]", local(created)),
        ("[note][timestamp_x]", local(updated)), ("[note][created_by]", str(note["created_by"])),
        ("[note][modified_by]", str(note["updated_by"])),
        ("[note][main_user_id]", str(note["responsible_user_id"])),
        ("[note][group_id]", str(note["group_id"])), ("[note][id]", str(note["id"])),
        ("[note][created_at]", str(created)), ("[note][updated_at]", str(updated)),
    ]  # fmt: skip
    return pairs + ([("[type]", kind)] if kind else [])


def task_item(account: Account, task: dict[str, Any], *, close: bool | None = None,
              old: int | None = None, result_id: int | None = None) -> list[Pair]:  # fmt: skip
    pairs = [
        ("[id]", str(task["id"])), ("[element_id]", str(task["entity_id"])),
        ("[element_type]", "2"), ("[task_type]", str(task["task_type_id"])),
        ("[text]", str(task["text"])), ("[status]", "1" if task["is_completed"] else "0"),
        ("[account_id]", str(account.id)), ("[created_user_id]", str(task["created_by"])),
        ("[responsible_user_id]", str(task["responsible_user_id"])),
    ]  # fmt: skip
    if old is not None:
        pairs.append(("[old_responsible_user_id]", str(old)))
    pairs += [
        ("[date_create]", local(int(task["created_at"]))),
        ("[last_modified]", local(int(task["updated_at"]))),
        ("[complete_till]", local(int(task["complete_till"]))),
    ]
    if close is not None:
        pairs.append(("[action_close]", "1" if close else "0"))
    if result_id is not None:
        result = task["result"]
        assert isinstance(result, dict)
        pairs += [("[result][id]", str(result_id)), ("[result][text]", result["text"])]
    pairs += [("[created_at]", str(task["created_at"])), ("[updated_at]", str(task["updated_at"]))]
    return pairs


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


class Hooks:
    """One webhook per event, each delivering to ``/hook?{event}``."""

    def __init__(self, backend: Backend, factory: Factory, account: Account, receiver: Receiver):
        self.backend, self.receiver, self.seen = backend, receiver, 0
        for event in FIRED + NEVER:
            add_webhook(factory, account, f"{receiver.url}?{event}", (event,))

    def arrive(self, expected: dict[str, bytes]) -> None:
        """Run the worker until nothing is due: exactly ``expected`` (event → body) arrived
        since the last call, each once, with the headers of every delivery."""
        run_until_idle(self.backend.url, settings())
        new = self.receiver.requests[self.seen :]
        self.seen = len(self.receiver.requests)
        got = {r.path.removeprefix("/hook?"): r for r in new}
        assert len(got) == len(new), [r.path for r in new]
        assert {e: got[e].body for e in got} == expected
        port = self.receiver.server.server_address[1]
        for r in new:
            assert r.headers == {
                "Host": f"127.0.0.1:{port}", "User-Agent": "kommodore-webhooks/1.0",
                "Content-Type": "application/x-www-form-urlencoded",
                "Content-Length": str(len(r.body)), "Accept": "*/*",
            }  # fmt: skip


def _get(api: As, path: str) -> dict[str, Any]:
    response = api.client.get(path, headers=api.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _ok(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 204), response.text
    return response.json() if response.status_code == 200 else {}


def test_every_action_arrives_byte_for_byte(
    backend: Backend, client: TestClient, factory: Factory, receiver: Receiver
) -> None:
    api = as_admin(client, factory)
    a, admin = api.account, api.user_id
    factory.execute(
        "UPDATE accounts SET settings = :s WHERE id = :i",
        s=f'{{"datetime_settings": {{"timezone": "{ZONE}"}}}}', i=a.id,
    )  # fmt: skip
    phone, (work,) = factory.field(a, "multitext", "Phone", "PHONE", [("WORK", None)], 2,
                                   "contacts")  # fmt: skip
    other = factory.user(a, group="two")
    lead = factory.lead(a)
    hooks = Hooks(backend, factory, a, receiver)

    # add_company, add_contact (tags and a phone)
    made = api.post(
        "/api/v4/companies", [{"name": "Acme & Co", "created_at": T0, "updated_at": T0}]
    )
    company_id = _ok(made)["_embedded"]["companies"][0]["id"]
    company = _get(api, f"/api/v4/companies/{company_id}")
    hooks.arrive(
        {"add_company": encoded(a, ("contacts[add]", [party_item(a, company, "company")]))}
    )
    added = _ok(api.post("/api/v4/contacts", [
        {"name": "Ann Lee", "created_at": T0, "updated_at": T0 + 1,
         "tags_to_add": [{"name": "vip ~"}],
         "custom_fields_values": [{"field_code": "PHONE",
                                   "values": [{"value": "+7 (999) 1", "enum_code": "WORK"}]}]}
    ]))  # fmt: skip
    cid = added["_embedded"]["contacts"][0]["id"]
    contact = _get(api, f"/api/v4/contacts/{cid}")
    tag = contact["_embedded"]["tags"][0]["id"]
    tags = [(tag, "vip ~")]
    fields: list[Pair] = [
        ("[custom_fields][0][id]", str(phone)), ("[custom_fields][0][name]", "Phone"),
        ("[custom_fields][0][values][0][value]", "+7 (999) 1"),
        ("[custom_fields][0][values][0][enum]", str(work)), ("[custom_fields][0][code]", "PHONE"),
    ]  # fmt: skip
    hooks.arrive({"add_contact": encoded(a, ("contacts[add]", [
        party_item(a, contact, "contact", tags=tags, fields=fields)]))})  # fmt: skip

    # update_contact and update_company: a link between them bumps both ends
    _ok(api.post(f"/api/v4/contacts/{cid}/link",
                 [{"to_entity_id": company_id, "to_entity_type": "companies"}]))  # fmt: skip
    contact = _get(api, f"/api/v4/contacts/{cid}")
    company = _get(api, f"/api/v4/companies/{company_id}")
    acme = (company_id, "Acme & Co")
    hooks.arrive({
        "update_contact": encoded(a, ("contacts[update]", [
            party_item(a, contact, "contact", company=acme, tags=tags, fields=fields)])),
        "update_company": encoded(a, ("contacts[update]", [party_item(a, company, "company")])),
    })  # fmt: skip
    # a lead linked to the contact from the lead's side: the contact's update names the lead
    _ok(api.post(f"/api/v4/leads/{lead}/link", [{"to_entity_id": cid,
                                                 "to_entity_type": "contacts"}]))  # fmt: skip
    contact = _get(api, f"/api/v4/contacts/{cid}")
    hooks.arrive(
        {
            "update_contact": encoded(
                a,
                (
                    "contacts[update]",
                    [
                        party_item(
                            a,
                            contact,
                            "contact",
                            company=acme,
                            tags=tags,
                            fields=fields,
                            leads=[lead],
                        )
                    ],
                ),
            )
        }
    )

    # an edit (single form), then a new responsible user (batch form): update + responsible
    _ok(api.patch(f"/api/v4/contacts/{cid}", {"name": "Ann", "updated_at": T0 + 100}))
    contact = _get(api, f"/api/v4/contacts/{cid}")
    extras = {"company": acme, "tags": tags, "fields": fields, "leads": [lead]}
    hooks.arrive(
        {
            "update_contact": encoded(
                a, ("contacts[update]", [party_item(a, contact, "contact", **extras)])
            )
        }
    )
    _ok(api.patch("/api/v4/contacts", [{"id": cid, "responsible_user_id": other,
                                        "updated_at": T0 + 200}]))  # fmt: skip
    contact = _get(api, f"/api/v4/contacts/{cid}")
    hooks.arrive({
        "update_contact": encoded(a, ("contacts[update]", [
            party_item(a, contact, "contact", **extras)])),
        "responsible_contact": encoded(a, ("contacts[responsible]", [
            party_item(a, contact, "contact", old=admin, **extras)])),
    })  # fmt: skip
    _ok(api.patch(f"/api/v4/companies/{company_id}", {"name": "Acme", "updated_at": T0 + 300}))
    company = _get(api, f"/api/v4/companies/{company_id}")
    hooks.arrive({"update_company": encoded(a, ("contacts[update]", [
        party_item(a, company, "company")]))})  # fmt: skip
    _ok(api.patch("/api/v4/companies", [{"id": company_id, "responsible_user_id": other,
                                         "updated_at": T0 + 400}]))  # fmt: skip
    company = _get(api, f"/api/v4/companies/{company_id}")
    hooks.arrive({
        "update_company": encoded(a, ("contacts[update]", [party_item(a, company, "company")])),
        "responsible_company": encoded(a, ("contacts[responsible]", [
            party_item(a, company, "company", old=admin)])),
    })  # fmt: skip

    # notes on a lead, a contact and a company
    def note(kind: str, parent: int, item: dict[str, Any]) -> dict[str, Any]:
        written = _ok(api.post(f"/api/v4/{kind}/{parent}/notes", [item]))
        note_id = written["_embedded"]["notes"][0]["id"]
        return _get(api, f"/api/v4/{kind}/notes/{note_id}")

    common = note("leads", lead, {"note_type": "common", "params": {"text": "Hi & ~ bye"},
                                  "created_at": T0 + 500, "updated_at": T0 + 501})  # fmt: skip
    hooks.arrive({"note_lead": encoded(a, ("leads[note]", [
        note_item(a, common, 2, 4, "Hi & ~ bye", None)]))})  # fmt: skip
    call = note("contacts", cid, {"note_type": "call_in", "created_at": T0 + 600, "params": {
        "uniq": "u-1", "duration": 61, "source": "pbx", "link": "https://r.test/1?a=b",
        "phone": "+7 999"}})  # fmt: skip
    call_text = ('{"UNIQ":"u-1","LINK":"https://r.test/1?a=b","PHONE":"+7 999",'
                 '"DURATION":61,"SRC":"pbx"}')  # fmt: skip
    hooks.arrive({"note_contact": encoded(a, ("contacts[note]", [
        note_item(a, call, 1, 10, call_text, "contact")]))})  # fmt: skip
    service = note("companies", company_id, {
        "note_type": "service_message", "created_at": T0 + 700,
        "params": {"service": "Bot", "text": "Paid: 100 €"}})  # fmt: skip
    hooks.arrive({"note_company": encoded(a, ("contacts[note]", [
        note_item(a, service, 3, 25, "Paid: 100 €", "company")]))})  # fmt: skip

    # a task: added, its deadline moved, given to another user, completed with a result
    written = _ok(api.post("/api/v4/tasks", [
        {"text": "Call back & ~", "complete_till": T0 + 86_400, "entity_type": "leads",
         "entity_id": lead, "created_at": T0 + 800, "updated_at": T0 + 801}]))  # fmt: skip
    task_id = written["_embedded"]["tasks"][0]["id"]
    task = _get(api, f"/api/v4/tasks/{task_id}")
    hooks.arrive({"add_task": encoded(a, ("task[add]", [task_item(a, task)]))})
    _ok(api.patch(f"/api/v4/tasks/{task_id}", {"complete_till": T0 + 90_000,
                                               "updated_at": T0 + 900}))  # fmt: skip
    task = _get(api, f"/api/v4/tasks/{task_id}")
    hooks.arrive({"update_task": encoded(a, ("task[update]", [task_item(a, task, close=False)]))})
    _ok(api.patch("/api/v4/tasks", [{"id": task_id, "responsible_user_id": other,
                                     "updated_at": T0 + 1000}]))  # fmt: skip
    task = _get(api, f"/api/v4/tasks/{task_id}")
    hooks.arrive({
        "update_task": encoded(a, ("task[update]", [task_item(a, task, close=False)])),
        "responsible_task": encoded(a, ("task[responsible]", [
            task_item(a, task, old=admin)])),
    })  # fmt: skip
    _ok(api.patch(f"/api/v4/tasks/{task_id}", {"is_completed": True, "result": {"text": "Done!"},
                                               "updated_at": T0 + 1100}))  # fmt: skip
    task = _get(api, f"/api/v4/tasks/{task_id}")
    events = _get(api, f"/api/v4/events?filter[entity]=task&filter[entity_id]={task_id}"
                       "&filter[type]=task_result_added")  # fmt: skip
    result_id = events["_embedded"]["events"][0]["value_after"][0]["note"]["id"]
    hooks.arrive({"update_task": encoded(a, ("task[update]", [
        task_item(a, task, close=True, result_id=result_id)]))})  # fmt: skip

    # refusals queue nothing, and the delete/restore hooks never received anything
    assert api.patch("/api/v4/contacts", [{"id": cid, "name": "x"}, {"id": 1}]).status_code == 400
    assert api.post("/api/v4/tasks", [{"text": "x", "complete_till": 1}, {}]).status_code == 400
    hooks.arrive({})
    assert not [r for r in receiver.requests if r.path.removeprefix("/hook?") in NEVER]
