"""GET /api/v4/leads/{id}: whole answers compared with the spec's shapes.

Each case builds the exact body Kommo would send, key for key and in Kommo's key order, and
compares it with what the server sent, for every ``with`` value and their combinations.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.factories import LOST, NOW, Account, Factory

ORIGIN = "http://testserver"
WITH_VALUES = (
    "catalog_elements",
    "is_price_modified_by_robot",
    "loss_reason",
    "contacts",
    "source_id",
    "source",
)
KEY_ORDER = [
    "id", "name", "price", "responsible_user_id", "group_id", "status_id", "pipeline_id",
    "loss_reason_id", "source_id", "created_by", "updated_by", "created_at", "updated_at",
    "closed_at", "closest_task_at", "is_deleted", "custom_fields_values", "score", "account_id",
    "labor_cost", "is_price_computed", "is_price_modified_by_robot", "_links", "_embedded",
]  # fmt: skip
EMBEDDED_ORDER = ["tags", "catalog_elements", "loss_reason", "companies", "contacts", "source"]


@dataclass
class FullLead:
    """A lost lead with a reason, a source, tags, two contacts, a company, catalog elements and
    custom field values: everything a lead answer can carry."""

    account: Account
    token: str
    lead_id: int
    owner: int
    group_id: int
    pipeline_id: int
    reason_id: int
    source_id: int
    tags: list[tuple[int, str, str | None]]
    company_id: int
    contacts: list[tuple[int, bool]]
    elements: list[tuple[int, int, int | float, int | None]]
    fields: list[dict[str, Any]]


@pytest.fixture(scope="module")
def full(factory: Factory) -> FullLead:
    account = factory.account()
    owner = factory.user(account, view="A", group="two")
    reason = factory.loss_reason(account, "Chose a competitor", 200)
    source = factory.source(account, "WhatsApp")
    lead_id = factory.lead(
        account,
        responsible=owner,
        stage="lost",
        name="Example Ünïcode / lead",
        price=4200,
        loss_reason_id=reason,
        source_id=source,
        closed_at=NOW - 60,
        closest_task_at=NOW + 3600,
        score=7,
        labor_cost=120,
        is_price_computed=True,
        is_price_modified_by_robot=True,
    )
    tags = [(factory.tag(account, "vip", "FF8F92"), "vip", "FF8F92")]
    tags.append((factory.tag(account, "cold", None), "cold", None))
    for tag_id, _, _ in tags:
        factory.link("lead_tags", account, lead_id=lead_id, tag_id=tag_id)
    company = factory.party(account, "companies", owner)
    factory.link("lead_companies", account, lead_id=lead_id, company_id=company)
    main_contact = factory.party(account, "contacts", owner)
    other_contact = factory.party(account, "contacts", owner)
    gone_contact = factory.party(account, "contacts", owner, deleted=True)
    for contact, is_main in ((other_contact, False), (main_contact, True), (gone_contact, False)):
        factory.link("lead_contacts", account, lead_id=lead_id, contact_id=contact, is_main=is_main)
    cat1, el1 = factory.catalog_element(account)
    cat2, el2 = factory.catalog_element(account)
    factory.link(
        "lead_catalog_elements", account, lead_id=lead_id, element_id=el1, catalog_id=cat1,
        quantity=2.0, price_id=None,
    )  # fmt: skip
    factory.link(
        "lead_catalog_elements", account, lead_id=lead_id, element_id=el2, catalog_id=cat2,
        quantity=1.5, price_id=777,
    )  # fmt: skip
    branch, (_north, south) = factory.field(
        account, "select", "Branch", enums=[("North", None), ("South", "S")], sort=20
    )
    meeting, _ = factory.field(account, "date_time", "Meeting", sort=10)
    budget, _ = factory.field(account, "numeric", "Budget", code="BUDGET", sort=30)
    factory.value(account, lead_id, branch, enum_id=south)
    factory.value(account, lead_id, meeting, value_int=1746338400)
    factory.value(account, lead_id, budget, value_text="1500.5", value_number=1500.5)
    fields = [
        {"field_id": meeting, "field_name": "Meeting", "field_code": None,
         "field_type": "date_time", "values": [{"value": 1746338400}]},
        {"field_id": branch, "field_name": "Branch", "field_code": None, "field_type": "select",
         "values": [{"value": "South", "enum_id": south, "enum_code": "S"}]},
        {"field_id": budget, "field_name": "Budget", "field_code": "BUDGET",
         "field_type": "numeric", "values": [{"value": "1500.5"}]},
    ]  # fmt: skip
    return FullLead(
        account=account,
        token=factory.token(account, account.admin),
        lead_id=lead_id,
        owner=owner,
        group_id=account.groups["two"],
        pipeline_id=account.main_pipeline,
        reason_id=reason,
        source_id=source,
        tags=tags,
        company_id=company,
        contacts=[(main_contact, True), (other_contact, False)],
        elements=[(el1, cat1, 2, None), (el2, cat2, 1.5, 777)],
        fields=fields,
    )


def expected(full: FullLead, with_: frozenset[str]) -> dict[str, Any]:
    """The body the spec prescribes for ``full`` under ``with_``."""
    body: dict[str, Any] = {
        "id": full.lead_id,
        "name": "Example Ünïcode / lead",
        "price": 4200,
        "responsible_user_id": full.owner,
        "group_id": full.group_id,
        "status_id": LOST,
        "pipeline_id": full.pipeline_id,
        "loss_reason_id": full.reason_id,
    }
    if "source_id" in with_:
        body["source_id"] = full.source_id
    body |= {
        "created_by": full.owner,
        "updated_by": full.owner,
        "created_at": NOW - 100,
        "updated_at": NOW - 50,
        "closed_at": NOW - 60,
        "closest_task_at": NOW + 3600,
        "is_deleted": False,
        "custom_fields_values": full.fields,
        "score": 7,
        "account_id": full.account.id,
        "labor_cost": 120,
        "is_price_computed": True,
    }
    if "is_price_modified_by_robot" in with_:
        body["is_price_modified_by_robot"] = True
    body["_links"] = {"self": {"href": f"{ORIGIN}/api/v4/leads/{full.lead_id}"}}
    embedded: dict[str, Any] = {
        "tags": [{"id": i, "name": n, "color": c} for i, n, c in sorted(full.tags)]
    }
    if "catalog_elements" in with_:
        embedded["catalog_elements"] = [
            {"id": e, "metadata": {"quantity": q, "catalog_id": c}
             | ({"price_id": p} if p is not None else {})}
            for e, c, q, p in full.elements
        ]  # fmt: skip
    if "loss_reason" in with_:
        embedded["loss_reason"] = [
            {"id": full.reason_id, "name": "Chose a competitor", "sort": 200,
             "created_at": NOW - 10, "updated_at": NOW - 5,
             "_links": {"self": {"href": f"{ORIGIN}/api/v4/leads/loss_reasons/{full.reason_id}"}}}
        ]  # fmt: skip
    embedded["companies"] = [
        {"id": full.company_id,
         "_links": {"self": {"href": f"{ORIGIN}/api/v4/companies/{full.company_id}"}}}
    ]  # fmt: skip
    if "contacts" in with_:
        embedded["contacts"] = [
            {"id": c, "is_main": m, "_links": {"self": {"href": f"{ORIGIN}/api/v4/contacts/{c}"}}}
            for c, m in full.contacts
        ]
    if "source" in with_:
        embedded["source"] = {"id": full.source_id, "name": "WhatsApp"}
    body["_embedded"] = embedded
    return body


def _combinations() -> list[frozenset[str]]:
    singles = [frozenset({w}) for w in WITH_VALUES]
    pairs = [frozenset(p) for p in itertools.combinations(WITH_VALUES, 2)]
    return [frozenset(), *singles, *pairs, frozenset(WITH_VALUES)]


def _get(client: TestClient, full: FullLead, with_: str | None) -> Any:
    params = {"with": with_} if with_ is not None else None
    return client.get(
        f"/api/v4/leads/{full.lead_id}",
        params=params,
        headers={"Authorization": f"Bearer {full.token}"},
    )


@pytest.mark.parametrize("with_", _combinations(), ids=lambda w: ",".join(sorted(w)) or "none")
def test_whole_answer_for_each_with(client: TestClient, full: FullLead, with_: frozenset[str]):
    response = _get(client, full, ",".join(sorted(with_)))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/hal+json"
    body = response.json()
    assert body == expected(full, with_)
    assert list(body) == [k for k in KEY_ORDER if k in body]
    assert list(body["_embedded"]) == [k for k in EMBEDDED_ORDER if k in body["_embedded"]]


def test_non_ascii_and_slashes_are_not_escaped(client: TestClient, full: FullLead):
    raw = _get(client, full, None).content
    assert "Example Ünïcode / lead".encode() in raw
    assert b"http://testserver/api/v4/leads/" in raw


def test_unknown_with_values_are_ignored(client: TestClient, full: FullLead):
    response = _get(client, full, "tags,contacts,nonsense")
    assert response.json() == expected(full, frozenset({"contacts"}))


def test_with_accepts_encoded_commas_and_repeats(client: TestClient, full: FullLead):
    url = f"/api/v4/leads/{full.lead_id}?with=contacts%2Csource&with=source_id"
    response = client.get(url, headers={"Authorization": f"Bearer {full.token}"})
    assert response.json() == expected(full, frozenset({"contacts", "source", "source_id"}))


def test_bare_lead_has_nulls_and_empty_embedded(
    client: TestClient, factory: Factory, full: FullLead
):
    """A lead with nothing attached: nullable keys are null, never missing; ``_embedded``
    still holds ``tags`` and ``companies``; ``custom_fields_values`` is null, not []."""
    account = full.account
    lead_id = factory.lead(account, name="", stage="first")
    response = client.get(
        f"/api/v4/leads/{lead_id}?with=" + ",".join(WITH_VALUES),
        headers={"Authorization": f"Bearer {full.token}"},
    )
    pipeline_id, status_id = account.stages["first"]
    assert response.json() == {
        "id": lead_id, "name": "", "price": 0, "responsible_user_id": account.admin,
        "group_id": account.groups["one"], "status_id": status_id, "pipeline_id": pipeline_id,
        "loss_reason_id": None, "source_id": None, "created_by": account.admin,
        "updated_by": account.admin, "created_at": NOW - 100, "updated_at": NOW - 50,
        "closed_at": None, "closest_task_at": None, "is_deleted": False,
        "custom_fields_values": None, "score": None, "account_id": account.id,
        "labor_cost": None, "is_price_computed": False, "is_price_modified_by_robot": False,
        "_links": {"self": {"href": f"{ORIGIN}/api/v4/leads/{lead_id}"}},
        "_embedded": {"tags": [], "catalog_elements": [], "companies": [], "contacts": []},
    }  # fmt: skip


def test_deleted_lead_is_204_without_only_deleted(
    client: TestClient, factory: Factory, full: FullLead
):
    lead_id = factory.lead(full.account, is_deleted=True)
    response = client.get(
        f"/api/v4/leads/{lead_id}", headers={"Authorization": f"Bearer {full.token}"}
    )
    assert response.status_code == 204
    assert response.content == b""
    assert "content-type" not in response.headers


def test_deleted_lead_with_only_deleted_is_the_reduced_model(
    client: TestClient, factory: Factory, full: FullLead
):
    lead_id = factory.lead(full.account, is_deleted=True, updated_by=full.owner)
    response = client.get(
        f"/api/v4/leads/{lead_id}?with=only_deleted,contacts",
        headers={"Authorization": f"Bearer {full.token}"},
    )
    assert response.status_code == 200
    assert response.json() == {
        "id": lead_id,
        "updated_at": NOW - 50,
        "updated_by": full.owner,
        "is_deleted": True,
        "_links": {"self": {"href": f"{ORIGIN}/api/v4/leads/{lead_id}"}},
    }


def test_live_lead_with_only_deleted_is_204(client: TestClient, full: FullLead):
    response = _get(client, full, "only_deleted")
    assert response.status_code == 204
    assert response.content == b""


@pytest.mark.parametrize("lead_id", ["999999999", "0", str(2**63 - 1), str(2**64), "1" * 40])
def test_unknown_or_out_of_range_id_is_204(client: TestClient, full: FullLead, lead_id: str):
    response = client.get(
        f"/api/v4/leads/{lead_id}", headers={"Authorization": f"Bearer {full.token}"}
    )
    assert response.status_code == 204
    assert response.content == b""


def test_other_accounts_lead_is_204(client: TestClient, factory: Factory, full: FullLead):
    """Ids are global, so another account's lead id is simply not found in this account."""
    other = factory.account()
    foreign = factory.lead(other)
    response = client.get(
        f"/api/v4/leads/{foreign}", headers={"Authorization": f"Bearer {full.token}"}
    )
    assert response.status_code == 204


def test_links_follow_the_request_origin(client: TestClient, full: FullLead):
    response = client.get(
        f"https://{full.account.subdomain}.kommo.test:8443/api/v4/leads/{full.lead_id}?with=contacts",
        headers={"Authorization": f"Bearer {full.token}"},
    )
    body = response.json()
    origin = f"https://{full.account.subdomain}.kommo.test:8443"
    assert body["_links"]["self"]["href"] == f"{origin}/api/v4/leads/{full.lead_id}"
    for ref in (*body["_embedded"]["companies"], *body["_embedded"]["contacts"]):
        assert ref["_links"]["self"]["href"].startswith(f"{origin}/api/v4/")
