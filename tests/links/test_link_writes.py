"""POST /api/v4/leads/{id}/link, /leads/link, /leads/{id}/unlink, /leads/unlink:
whole answers, every write read back through GET /leads/{id}/links and GET /leads/{id}, the
main-contact and one-company rules, rights, and every bad input refused with nothing changed."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from tests.catalogs.helpers import add_catalog, add_elements
from tests.factories import NOW, Account, Factory
from tests.parties.helpers import add_user

ORIGIN = "http://testserver"
MAX_ID = 2**63 - 1
CHOICE = "The value you selected is not a valid choice."
MISSING = "This field is missing."
ONE_COMPANY = "A lead can have only one company"


# -- the world of one test ---------------------------------------------------------------------


@dataclass
class World:
    account: Account
    token: str
    """the admin's"""
    lead: int
    """the admin's, without links"""
    contacts: list[int]
    """three live contacts, ids ascending"""
    gone_contact: int
    companies: list[int]
    gone_company: int
    cat1: int
    cat2: int
    elements: list[int]
    """e1, e2 in cat1; e3 in cat2"""
    gone_element: int


def make_world(factory: Factory) -> World:
    account = factory.account()
    admin = account.admin
    contacts = [factory.party(account, "contacts", admin) for _ in range(3)]
    companies = [factory.party(account, "companies", admin) for _ in range(2)]
    cat1, cat2 = add_catalog(factory, account), add_catalog(factory, account)
    e1, e2, gone_element = add_elements(factory, account, cat1, ["A", "B", "C"])
    (e3,) = add_elements(factory, account, cat2, ["D"])
    factory.execute(
        "UPDATE catalog_elements SET is_deleted = :d WHERE account_id = :a AND id = :e",
        d=True, a=account.id, e=gone_element,
    )  # fmt: skip
    return World(
        account=account,
        token=factory.token(account, admin),
        lead=factory.lead(account),
        contacts=contacts,
        gone_contact=factory.party(account, "contacts", admin, deleted=True),
        companies=companies,
        gone_company=factory.party(account, "companies", admin, deleted=True),
        cat1=cat1,
        cat2=cat2,
        elements=[e1, e2, e3],
        gone_element=gone_element,
    )


# -- requests and expected shapes --------------------------------------------------------------


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def post(client: TestClient, token: str, path: str, body: Any = None, **kw: Any) -> httpx.Response:
    if body is not None:
        kw["json"] = body
    return client.post(path, headers=auth(token), **kw)


def link_path(lead_id: int | None = None, action: str = "link") -> str:
    return f"/api/v4/leads/{lead_id}/{action}" if lead_id else f"/api/v4/leads/{action}"


def contact(cid: int, main: bool, lead: int | None = None) -> dict[str, Any]:
    return _item(lead, cid, "contacts", {"main_contact": main})


def company(cid: int, lead: int | None = None) -> dict[str, Any]:
    return _item(lead, cid, "companies", None)


def element(
    eid: int, cat: int, quantity: float, price_id: int | None = None, lead: int | None = None
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"quantity": quantity, "catalog_id": cat}
    if price_id is not None:
        metadata["price_id"] = price_id
    return _item(lead, eid, "catalog_elements", metadata)


def _item(lead: int | None, to_id: int, to_type: str, metadata: Any) -> dict[str, Any]:
    head = {} if lead is None else {"entity_id": lead, "entity_type": "leads"}
    return {**head, "to_entity_id": to_id, "to_entity_type": to_type, "metadata": metadata}


def collection(items: list[dict[str, Any]], path: str) -> dict[str, Any]:
    """A links answer; a link write's ``self`` is the links collection it wrote to
    (``POST /leads/{id}/link`` -> ``/leads/{id}/links``, ``POST /leads/link`` ->
    ``/leads/links``), as Kommo's examples show, without the query."""
    href = path.removesuffix("/link") + "/links" if path.endswith("/link") else path
    return {
        "_total_items": len(items),
        "_links": {"self": {"href": f"{ORIGIN}{href}"}},
        "_embedded": {"links": items},
    }


def problem(status: int, title: str, detail: str) -> dict[str, Any]:
    return {"title": title, "type": f"https://httpstatus.es/{status}", "status": status,
            "detail": detail}  # fmt: skip


def validation(*entries: tuple[str, list[tuple[str, str, str]]]) -> dict[str, Any]:
    return {
        "validation-errors": [
            {"request_id": rid, "errors": [{"code": c, "path": p, "detail": d} for c, p, d in errs]}
            for rid, errs in entries
        ],
        **problem(400, "Bad Request", "Request validation failed"),
    }


def links_of(client: TestClient, token: str, lead_id: int) -> Any:
    """The GET answer's link list; None for its 204."""
    response = client.get(f"/api/v4/leads/{lead_id}/links", headers=auth(token))
    if response.status_code == 204:
        return None
    assert response.status_code == 200
    body = response.json()
    assert body == collection(
        body["_embedded"]["links"], f"/api/v4/leads/{lead_id}/links?page=1&limit=50"
    )
    return body["_embedded"]["links"]


def lead_of(client: TestClient, token: str, lead_id: int) -> dict[str, Any]:
    response = client.get(
        f"/api/v4/leads/{lead_id}?with=contacts,catalog_elements", headers=auth(token)
    )
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def snapshot(client: TestClient, w: World, *lead_ids: int) -> list[Any]:
    """Everything a write could change, for "nothing changed" comparisons."""
    ids = lead_ids or (w.lead,)
    return [(links_of(client, w.token, i), lead_of(client, w.token, i)) for i in ids]


def embedded(
    contacts: Sequence[tuple[int, bool]] = (),
    companies: Sequence[int] = (),
    elements: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """A lead's ``_embedded`` for ``with=contacts,catalog_elements``, in Kommo's key order."""
    return {
        "tags": [],
        "catalog_elements": list(elements),
        "companies": [{"id": c, "_links": {"self": {"href": f"{ORIGIN}/api/v4/companies/{c}"}}}
                      for c in companies],
        "contacts": [{"id": c, "is_main": m,
                      "_links": {"self": {"href": f"{ORIGIN}/api/v4/contacts/{c}"}}}
                     for c, m in contacts],
    }  # fmt: skip


def assert_touched(lead: dict[str, Any], since: int, by: int) -> None:
    assert lead["updated_at"] >= since
    assert lead["updated_by"] == by


def assert_untouched(lead: dict[str, Any], by: int) -> None:
    """The factory writes leads with updated_at = NOW - 50."""
    assert (lead["updated_at"], lead["updated_by"]) == (NOW - 50, by)


# -- contacts ----------------------------------------------------------------------------------


class TestContacts:
    def test_first_contact_becomes_main(self, client: TestClient, factory: Factory):
        w = make_world(factory)
        c1 = w.contacts[0]
        since = int(time.time())
        path = link_path(w.lead)
        response = post(client, w.token, path, [{"to_entity_id": c1, "to_entity_type": "contacts"}])
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/hal+json"
        body = response.json()
        assert body == collection([contact(c1, True, w.lead)], path)
        assert list(body) == ["_total_items", "_links", "_embedded"]
        assert list(body["_embedded"]["links"][0]) == [
            "entity_id", "entity_type", "to_entity_id", "to_entity_type", "metadata",
        ]  # fmt: skip

        assert links_of(client, w.token, w.lead) == [contact(c1, True)]
        lead = lead_of(client, w.token, w.lead)
        assert lead["_embedded"] == embedded(contacts=[(c1, True)])
        assert list(lead["_embedded"]) == ["tags", "catalog_elements", "companies", "contacts"]
        assert_touched(lead, since, w.account.admin)

    def test_later_contacts_are_not_main_and_is_main_takes_over(
        self, client: TestClient, factory: Factory
    ):
        w = make_world(factory)
        c1, c2, c3 = w.contacts
        path = link_path(w.lead)
        body = [{"to_entity_id": c2, "to_entity_type": "contacts"},
                {"to_entity_id": c3, "to_entity_type": "contacts", "metadata": {"is_main": False}},
                {"to_entity_id": c1, "to_entity_type": "contacts"}]  # fmt: skip
        response = post(client, w.token, path, body)
        assert response.json() == collection(
            [contact(c2, True, w.lead), contact(c3, False, w.lead), contact(c1, False, w.lead)],
            path,
        )
        assert links_of(client, w.token, w.lead) == [
            contact(c2, True), contact(c1, False), contact(c3, False),
        ]  # fmt: skip

        response = post(
            client, w.token, path,
            [{"to_entity_id": c3, "to_entity_type": "contacts", "metadata": {"is_main": True}}],
        )  # fmt: skip
        assert response.json() == collection([contact(c3, True, w.lead)], path)
        assert links_of(client, w.token, w.lead) == [
            contact(c3, True), contact(c1, False), contact(c2, False),
        ]  # fmt: skip
        assert lead_of(client, w.token, w.lead)["_embedded"] == embedded(
            contacts=[(c3, True), (c1, False), (c2, False)]
        )

    def test_answer_shows_the_state_the_whole_batch_left(
        self, client: TestClient, factory: Factory
    ):
        """c1 is main when linked, but a later item of the batch makes c2 main."""
        w = make_world(factory)
        c1, c2, _ = w.contacts
        path = link_path(w.lead)
        body = [
            {"to_entity_id": c1, "to_entity_type": "contacts"},
            {"to_entity_id": c2, "to_entity_type": "contacts", "metadata": {"is_main": True}},
        ]
        response = post(client, w.token, path, body)
        assert response.json() == collection(
            [contact(c1, False, w.lead), contact(c2, True, w.lead)], path
        )
        assert links_of(client, w.token, w.lead) == [contact(c2, True), contact(c1, False)]

    def test_linking_a_linked_contact_again_is_a_no_op(self, client: TestClient, factory: Factory):
        """Not an error, and the lead is not touched; ``is_main: false`` on the main contact
        keeps it main (a lead with contacts has one)."""
        w = make_world(factory)
        c1, c2, _ = w.contacts
        factory.link("lead_contacts", w.account, lead_id=w.lead, contact_id=c1, is_main=True)
        factory.link("lead_contacts", w.account, lead_id=w.lead, contact_id=c2, is_main=False)
        before = snapshot(client, w)
        path = link_path(w.lead)
        for metadata in (None, {"is_main": False}, {"is_main": None}):
            item: dict[str, Any] = {"to_entity_id": c1, "to_entity_type": "contacts"}
            if metadata is not None:
                item["metadata"] = metadata
            response = post(client, w.token, path, [item, {**item, "to_entity_id": c2}])
            assert response.json() == collection(
                [contact(c1, True, w.lead), contact(c2, False, w.lead)], path
            )
        assert snapshot(client, w) == before
        assert_untouched(before[0][1], w.account.admin)

    def test_a_deleted_main_contact_does_not_count(self, client: TestClient, factory: Factory):
        """A lead whose only (main) contact is deleted reads as having none: the next contact
        linked becomes main."""
        w = make_world(factory)
        factory.link(
            "lead_contacts", w.account, lead_id=w.lead, contact_id=w.gone_contact, is_main=True
        )
        c1 = w.contacts[0]
        post(
            client, w.token, link_path(w.lead), [{"to_entity_id": c1, "to_entity_type": "contacts"}]
        )
        assert links_of(client, w.token, w.lead) == [contact(c1, True)]


# -- companies ---------------------------------------------------------------------------------


class TestCompanies:
    def test_link_a_company(self, client: TestClient, factory: Factory):
        w = make_world(factory)
        k1 = w.companies[0]
        since = int(time.time())
        path = link_path(w.lead)
        response = post(
            client, w.token, path, [{"to_entity_id": k1, "to_entity_type": "companies"}]
        )
        assert response.json() == collection([company(k1, w.lead)], path)
        assert links_of(client, w.token, w.lead) == [company(k1)]
        lead = lead_of(client, w.token, w.lead)
        assert lead["_embedded"] == embedded(companies=[k1])
        assert_touched(lead, since, w.account.admin)

        # the same company again: a no-op, in one item or two
        before = snapshot(client, w)
        again = {"to_entity_id": k1, "to_entity_type": "companies"}
        response = post(client, w.token, path, [again, again])
        assert response.json() == collection([company(k1, w.lead), company(k1, w.lead)], path)
        assert snapshot(client, w) == before

    def test_a_second_company_is_refused(self, client: TestClient, factory: Factory):
        w = make_world(factory)
        k1, k2 = w.companies
        factory.link("lead_companies", w.account, lead_id=w.lead, company_id=k1)
        before = snapshot(client, w)
        body = [
            {"to_entity_id": w.contacts[0], "to_entity_type": "contacts"},
            {"to_entity_id": k2, "to_entity_type": "companies", "request_id": "k2"},
        ]
        response = post(client, w.token, link_path(w.lead), body)
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json() == validation(
            ("k2", [("InvalidValue", "to_entity_id", ONE_COMPANY)])
        )
        assert snapshot(client, w) == before

    def test_two_companies_in_one_batch_are_refused(self, client: TestClient, factory: Factory):
        w = make_world(factory)
        k1, k2 = w.companies
        before = snapshot(client, w)
        body = [{"to_entity_id": k1, "to_entity_type": "companies"},
                {"to_entity_id": k2, "to_entity_type": "companies"}]  # fmt: skip
        response = post(client, w.token, link_path(w.lead), body)
        assert response.json() == validation(("1", [("InvalidValue", "to_entity_id", ONE_COMPANY)]))
        assert snapshot(client, w) == before

    def test_a_deleted_company_gives_way(self, client: TestClient, factory: Factory):
        w = make_world(factory)
        factory.link("lead_companies", w.account, lead_id=w.lead, company_id=w.gone_company)
        k1 = w.companies[0]
        response = post(
            client,
            w.token,
            link_path(w.lead),
            [{"to_entity_id": k1, "to_entity_type": "companies"}],
        )
        assert response.status_code == 200
        assert links_of(client, w.token, w.lead) == [company(k1)]

    def test_unlink_then_link_another_in_two_requests(self, client: TestClient, factory: Factory):
        w = make_world(factory)
        k1, k2 = w.companies
        factory.link("lead_companies", w.account, lead_id=w.lead, company_id=k1)
        response = post(
            client, w.token, link_path(w.lead, "unlink"),
            [{"to_entity_id": k1, "to_entity_type": "companies"}],
        )  # fmt: skip
        assert (response.status_code, response.content) == (204, b"")
        assert links_of(client, w.token, w.lead) is None
        response = post(
            client,
            w.token,
            link_path(w.lead),
            [{"to_entity_id": k2, "to_entity_type": "companies"}],
        )
        assert response.status_code == 200
        assert links_of(client, w.token, w.lead) == [company(k2)]


# -- catalog elements --------------------------------------------------------------------------


class TestElements:
    def test_link_and_upsert(self, client: TestClient, factory: Factory):
        w = make_world(factory)
        e1, e2, e3 = w.elements
        path = link_path(w.lead)
        body = [
            {"to_entity_id": e1, "to_entity_type": "catalog_elements",
             "metadata": {"catalog_id": w.cat1}},
            {"to_entity_id": e2, "to_entity_type": "catalog_elements",
             "metadata": {"catalog_id": w.cat1, "quantity": 2.5, "price_id": 77}},
            {"to_entity_id": e3, "to_entity_type": "catalog_elements",
             "metadata": {"catalog_id": w.cat2, "quantity": 0, "price_id": None}},
        ]  # fmt: skip
        response = post(client, w.token, path, body)
        expected = [element(e1, w.cat1, 1), element(e2, w.cat1, 2.5, 77), element(e3, w.cat2, 0)]
        assert response.json() == collection(
            [{"entity_id": w.lead, "entity_type": "leads", **e} for e in expected], path
        )
        assert links_of(client, w.token, w.lead) == expected
        assert lead_of(client, w.token, w.lead)["_embedded"] == embedded(
            elements=[{"id": e["to_entity_id"], "metadata": e["metadata"]} for e in expected]
        )

        # upsert: what is left out stays, null clears the price
        body = [
            {"to_entity_id": e1, "to_entity_type": "catalog_elements",
             "metadata": {"catalog_id": w.cat1, "quantity": 3, "price_id": 5}},
            {"to_entity_id": e2, "to_entity_type": "catalog_elements",
             "metadata": {"catalog_id": w.cat1}},
            {"to_entity_id": e3, "to_entity_type": "catalog_elements",
             "metadata": {"catalog_id": w.cat2, "quantity": 1.25}},
        ]  # fmt: skip
        response = post(client, w.token, path, body)
        expected = [element(e1, w.cat1, 3, 5), element(e2, w.cat1, 2.5, 77),
                    element(e3, w.cat2, 1.25)]  # fmt: skip
        assert response.json()["_embedded"]["links"] == [
            {"entity_id": w.lead, "entity_type": "leads", **e} for e in expected
        ]
        assert links_of(client, w.token, w.lead) == expected
        response = post(
            client, w.token, path,
            [{"to_entity_id": e2, "to_entity_type": "catalog_elements",
              "metadata": {"catalog_id": w.cat1, "price_id": None}}],
        )  # fmt: skip
        assert response.json()["_embedded"]["links"] == [element(e2, w.cat1, 2.5, lead=w.lead)]
        assert links_of(client, w.token, w.lead)[1] == element(e2, w.cat1, 2.5)

    def test_same_values_again_is_a_no_op(self, client: TestClient, factory: Factory):
        w = make_world(factory)
        e1 = w.elements[0]
        factory.link(
            "lead_catalog_elements", w.account, lead_id=w.lead, element_id=e1, catalog_id=w.cat1,
            quantity=2.0, price_id=9,
        )  # fmt: skip
        before = snapshot(client, w)
        response = post(
            client, w.token, link_path(w.lead),
            [{"to_entity_id": e1, "to_entity_type": "catalog_elements",
              "metadata": {"catalog_id": w.cat1, "quantity": 2}}],
        )  # fmt: skip
        assert response.json()["_embedded"]["links"] == [element(e1, w.cat1, 2, 9, lead=w.lead)]
        assert snapshot(client, w) == before


# -- the multi-lead form and who updated -------------------------------------------------------


class TestManyLeads:
    def test_link_to_several_leads(self, client: TestClient, factory: Factory):
        w = make_world(factory)
        other = factory.lead(w.account)
        c1, c2, _ = w.contacts
        path = link_path()
        body = [
            {"entity_id": w.lead, "to_entity_id": c1, "to_entity_type": "contacts"},
            {"entity_id": other, "entity_type": "leads", "to_entity_id": c1,
             "to_entity_type": "contacts"},
            {"entity_id": other, "to_entity_id": c2, "to_entity_type": "contacts",
             "metadata": {"is_main": True}},
            {"entity_id": w.lead, "to_entity_id": w.companies[0], "to_entity_type": "companies"},
            {"entity_id": other, "to_entity_id": w.companies[1], "to_entity_type": "companies"},
        ]  # fmt: skip
        since = int(time.time())
        response = post(client, w.token, path, body)
        assert response.json() == collection(
            [contact(c1, True, w.lead), contact(c1, False, other), contact(c2, True, other),
             company(w.companies[0], w.lead), company(w.companies[1], other)],
            path,
        )  # fmt: skip
        assert links_of(client, w.token, w.lead) == [contact(c1, True), company(w.companies[0])]
        assert links_of(client, w.token, other) == [
            contact(c2, True), contact(c1, False), company(w.companies[1]),
        ]  # fmt: skip
        for lead_id in (w.lead, other):
            assert_touched(lead_of(client, w.token, lead_id), since, w.account.admin)
        got = client.get(
            f"/api/v4/leads/links?filter[entity_id][]={w.lead}&filter[entity_id][]={other}",
            headers=auth(w.token),
        ).json()["_embedded"]["links"]
        assert got == [
            contact(c1, True, w.lead), company(w.companies[0], w.lead),
            contact(c2, True, other), contact(c1, False, other), company(w.companies[1], other),
        ]  # fmt: skip

    def test_unlink_from_several_leads(self, client: TestClient, factory: Factory):
        w = make_world(factory)
        other = factory.lead(w.account)
        c1 = w.contacts[0]
        for lead_id in (w.lead, other):
            factory.link("lead_contacts", w.account, lead_id=lead_id, contact_id=c1, is_main=True)
        body = [{"entity_id": w.lead, "to_entity_id": c1, "to_entity_type": "contacts"},
                {"entity_id": other, "entity_type": "leads", "to_entity_id": c1,
                 "to_entity_type": "contacts"}]  # fmt: skip
        since = int(time.time())
        response = post(client, w.token, link_path(action="unlink"), body)
        assert (response.status_code, response.content) == (204, b"")
        for lead_id in (w.lead, other):
            assert links_of(client, w.token, lead_id) is None
            lead = lead_of(client, w.token, lead_id)
            assert lead["_embedded"] == embedded()
            assert_touched(lead, since, w.account.admin)

    def test_metadata_updated_by(self, client: TestClient, factory: Factory):
        w = make_world(factory)
        other = factory.lead(w.account)
        user = factory.user(w.account)
        body = [
            {"entity_id": w.lead, "to_entity_id": w.contacts[0], "to_entity_type": "contacts",
             "metadata": {"updated_by": user}},
            {"entity_id": other, "to_entity_id": w.contacts[0], "to_entity_type": "contacts",
             "metadata": {"updated_by": 0}},
        ]  # fmt: skip
        since = int(time.time())
        assert post(client, w.token, link_path(), body).status_code == 200
        assert_touched(lead_of(client, w.token, w.lead), since, user)
        assert_touched(lead_of(client, w.token, other), since, 0)

    def test_the_acting_user_updates(self, client: TestClient, factory: Factory):
        w = make_world(factory)
        user = factory.user(w.account)
        since = int(time.time())
        response = post(
            client, factory.token(w.account, user), link_path(w.lead),
            [{"to_entity_id": w.contacts[0], "to_entity_type": "contacts"}],
        )  # fmt: skip
        assert response.status_code == 200
        assert_touched(lead_of(client, w.token, w.lead), since, user)

    @pytest.mark.parametrize("one_lead", [True, False])
    def test_self_href_is_the_links_collection_without_the_query(
        self, client: TestClient, factory: Factory, one_lead: bool
    ):
        """Kommo's examples: ``POST /leads/{id}/link`` answers ``self`` =
        ``.../leads/{id}/links``, ``POST /leads/link`` ``.../leads/links``."""
        w = make_world(factory)
        item: dict[str, Any] = {"to_entity_id": w.contacts[0], "to_entity_type": "contacts"}
        if one_lead:
            path, want = f"{link_path(w.lead)}?x=1", f"/api/v4/leads/{w.lead}/links"
        else:
            path, want = f"{link_path()}?x=1", "/api/v4/leads/links"
            item["entity_id"] = w.lead
        response = post(client, w.token, path, [item])
        assert response.status_code == 200
        assert response.json()["_links"] == {"self": {"href": f"{ORIGIN}{want}"}}

    def test_a_lone_object_is_a_batch_of_one(self, client: TestClient, factory: Factory):
        w = make_world(factory)
        path = link_path(w.lead)
        response = post(client, w.token, path, {"to_entity_id": w.contacts[0],
                                                "to_entity_type": "contacts"})  # fmt: skip
        assert response.json() == collection([contact(w.contacts[0], True, w.lead)], path)


# -- unlink ------------------------------------------------------------------------------------


class TestUnlink:
    def test_unlinking_the_main_contact_promotes_the_lowest_id(
        self, client: TestClient, factory: Factory
    ):
        w = make_world(factory)
        c1, c2, c3 = w.contacts
        for cid, main in ((c3, False), (c2, True), (c1, False)):
            factory.link("lead_contacts", w.account, lead_id=w.lead, contact_id=cid, is_main=main)
        since = int(time.time())
        response = post(
            client, w.token, link_path(w.lead, "unlink"),
            [{"to_entity_id": c2, "to_entity_type": "contacts"}],
        )  # fmt: skip
        assert (response.status_code, response.content) == (204, b"")
        assert links_of(client, w.token, w.lead) == [contact(c1, True), contact(c3, False)]
        lead = lead_of(client, w.token, w.lead)
        assert lead["_embedded"] == embedded(contacts=[(c1, True), (c3, False)])
        assert_touched(lead, since, w.account.admin)

        post(
            client, w.token, link_path(w.lead, "unlink"),
            [{"to_entity_id": c1, "to_entity_type": "contacts"},
             {"to_entity_id": c3, "to_entity_type": "contacts"}],
        )  # fmt: skip
        assert links_of(client, w.token, w.lead) is None

    def test_unlinking_a_non_main_contact_keeps_the_main(
        self, client: TestClient, factory: Factory
    ):
        w = make_world(factory)
        c1, c2, c3 = w.contacts
        for cid, main in ((c1, False), (c2, False), (c3, True)):
            factory.link("lead_contacts", w.account, lead_id=w.lead, contact_id=cid, is_main=main)
        post(
            client, w.token, link_path(w.lead, "unlink"),
            [{"to_entity_id": c1, "to_entity_type": "contacts"}],
        )  # fmt: skip
        assert links_of(client, w.token, w.lead) == [contact(c3, True), contact(c2, False)]

    def test_unlink_elements_and_company(self, client: TestClient, factory: Factory):
        w = make_world(factory)
        e1, e2, _ = w.elements
        for eid in (e1, e2):
            factory.link(
                "lead_catalog_elements", w.account, lead_id=w.lead, element_id=eid,
                catalog_id=w.cat1, quantity=1.0, price_id=None,
            )  # fmt: skip
        factory.link("lead_companies", w.account, lead_id=w.lead, company_id=w.companies[0])
        body = [{"to_entity_id": e1, "to_entity_type": "catalog_elements",
                 "metadata": {"catalog_id": w.cat1}},
                {"to_entity_id": w.companies[0], "to_entity_type": "companies"}]  # fmt: skip
        response = post(client, w.token, link_path(w.lead, "unlink"), body)
        assert response.status_code == 204
        assert links_of(client, w.token, w.lead) == [element(e2, w.cat1, 1)]

    def test_unlinking_what_is_not_linked_is_a_no_op(self, client: TestClient, factory: Factory):
        w = make_world(factory)
        factory.link("lead_companies", w.account, lead_id=w.lead, company_id=w.companies[0])
        before = snapshot(client, w)
        body = [
            {"to_entity_id": w.contacts[0], "to_entity_type": "contacts"},
            {"to_entity_id": w.companies[1], "to_entity_type": "companies"},
            {"to_entity_id": w.elements[0], "to_entity_type": "catalog_elements",
             "metadata": {"catalog_id": w.cat1}},
        ]  # fmt: skip
        response = post(client, w.token, link_path(w.lead, "unlink"), body)
        assert (response.status_code, response.content) == (204, b"")
        assert snapshot(client, w) == before
        assert_untouched(before[0][1], w.account.admin)


# -- bad input ---------------------------------------------------------------------------------

BAD_ITEMS: list[tuple[str, Any, list[tuple[str, str, str]]]] = [
    ("empty object", {}, [("FieldMissing", "to_entity_id", MISSING),
                          ("FieldMissing", "to_entity_type", MISSING)]),
    ("not an object", 5, [("InvalidType", "", "This value should be of type object.")]),
    ("id not int", {"to_entity_id": "1", "to_entity_type": "contacts"},
     [("InvalidType", "to_entity_id", "This value should be of type int.")]),
    ("id bool", {"to_entity_id": True, "to_entity_type": "contacts"},
     [("InvalidType", "to_entity_id", "This value should be of type int.")]),
    ("id zero", {"to_entity_id": 0, "to_entity_type": "contacts"},
     [("NotSupportedChoice", "to_entity_id", CHOICE)]),
    ("id too big", {"to_entity_id": MAX_ID + 1, "to_entity_type": "contacts"},
     [("NotSupportedChoice", "to_entity_id", CHOICE)]),
    ("unknown contact", {"to_entity_id": 10**15, "to_entity_type": "contacts"},
     [("NotSupportedChoice", "to_entity_id", CHOICE)]),
    ("type leads", {"to_entity_id": "{c1}", "to_entity_type": "leads"},
     [("NotSupportedChoice", "to_entity_type", CHOICE)]),
    ("type not string", {"to_entity_id": "{c1}", "to_entity_type": 1},
     [("InvalidType", "to_entity_type", "This value should be of type string.")]),
    ("type null", {"to_entity_id": "{c1}", "to_entity_type": None},
     [("FieldMissing", "to_entity_type", MISSING)]),
    ("metadata not object", {"to_entity_id": "{c1}", "to_entity_type": "contacts",
                             "metadata": []},
     [("InvalidType", "metadata", "This value should be of type object.")]),
    ("is_main not bool", {"to_entity_id": "{c1}", "to_entity_type": "contacts",
                          "metadata": {"is_main": 1}},
     [("InvalidType", "metadata.is_main", "This value should be of type bool.")]),
    ("updated_by negative", {"to_entity_id": "{c1}", "to_entity_type": "contacts",
                             "metadata": {"updated_by": -1}},
     [("InvalidValue", "metadata.updated_by",
       f"This value should be between 0 and {MAX_ID}.")]),
    ("updated_by unknown", {"to_entity_id": "{c1}", "to_entity_type": "contacts",
                            "metadata": {"updated_by": 10**15}},
     [("NotSupportedChoice", "metadata.updated_by", CHOICE)]),
    ("updated_by stranger", {"to_entity_id": "{c1}", "to_entity_type": "contacts",
                             "metadata": {"updated_by": "{stranger_user}"}},
     [("NotSupportedChoice", "metadata.updated_by", CHOICE)]),
    ("deleted contact", {"to_entity_id": "{gone_contact}", "to_entity_type": "contacts"},
     [("NotSupportedChoice", "to_entity_id", CHOICE)]),
    ("stranger contact", {"to_entity_id": "{stranger_contact}", "to_entity_type": "contacts"},
     [("NotSupportedChoice", "to_entity_id", CHOICE)]),
    ("contact id as company", {"to_entity_id": "{c1}", "to_entity_type": "companies"},
     [("NotSupportedChoice", "to_entity_id", CHOICE)]),
    ("deleted company", {"to_entity_id": "{gone_company}", "to_entity_type": "companies"},
     [("NotSupportedChoice", "to_entity_id", CHOICE)]),
    ("stranger company", {"to_entity_id": "{stranger_company}", "to_entity_type": "companies"},
     [("NotSupportedChoice", "to_entity_id", CHOICE)]),
    ("element without catalog", {"to_entity_id": "{e1}", "to_entity_type": "catalog_elements"},
     [("FieldMissing", "metadata.catalog_id", MISSING)]),
    ("element with null catalog", {"to_entity_id": "{e1}", "to_entity_type": "catalog_elements",
                                   "metadata": {"catalog_id": None}},
     [("FieldMissing", "metadata.catalog_id", MISSING)]),
    ("element in another catalog", {"to_entity_id": "{e1}", "to_entity_type": "catalog_elements",
                                    "metadata": {"catalog_id": "{cat2}"}},
     [("NotSupportedChoice", "metadata.catalog_id", CHOICE)]),
    ("catalog id not int", {"to_entity_id": "{e1}", "to_entity_type": "catalog_elements",
                            "metadata": {"catalog_id": "x"}},
     [("InvalidType", "metadata.catalog_id", "This value should be of type int.")]),
    ("deleted element", {"to_entity_id": "{gone_element}", "to_entity_type": "catalog_elements",
                         "metadata": {"catalog_id": "{cat1}"}},
     [("NotSupportedChoice", "to_entity_id", CHOICE)]),
    ("stranger element", {"to_entity_id": "{stranger_element}",
                          "to_entity_type": "catalog_elements",
                          "metadata": {"catalog_id": "{stranger_catalog}"}},
     [("NotSupportedChoice", "to_entity_id", CHOICE)]),
    ("negative quantity", {"to_entity_id": "{e1}", "to_entity_type": "catalog_elements",
                           "metadata": {"catalog_id": "{cat1}", "quantity": -0.5}},
     [("InvalidValue", "metadata.quantity",
       "This value should be greater than or equal to 0.")]),
    ("quantity as text", {"to_entity_id": "{e1}", "to_entity_type": "catalog_elements",
                          "metadata": {"catalog_id": "{cat1}", "quantity": "2"}},
     [("InvalidType", "metadata.quantity", "This value should be of type float.")]),
    ("quantity bool", {"to_entity_id": "{e1}", "to_entity_type": "catalog_elements",
                       "metadata": {"catalog_id": "{cat1}", "quantity": True}},
     [("InvalidType", "metadata.quantity", "This value should be of type float.")]),
    ("quantity too large", {"to_entity_id": "{e1}", "to_entity_type": "catalog_elements",
                            "metadata": {"catalog_id": "{cat1}", "quantity": 10**400}},
     [("InvalidValue", "metadata.quantity", "This value is too large.")]),
    ("price_id text", {"to_entity_id": "{e1}", "to_entity_type": "catalog_elements",
                       "metadata": {"catalog_id": "{cat1}", "price_id": "7"}},
     [("InvalidType", "metadata.price_id", "This value should be of type int.")]),
    ("price_id zero", {"to_entity_id": "{e1}", "to_entity_type": "catalog_elements",
                       "metadata": {"catalog_id": "{cat1}", "price_id": 0}},
     [("NotSupportedChoice", "metadata.price_id", CHOICE)]),
    ("many mistakes", {"to_entity_id": "x", "to_entity_type": "nope", "metadata": {
        "is_main": "x", "quantity": -1, "updated_by": "x"}},
     [("InvalidType", "to_entity_id", "This value should be of type int."),
      ("NotSupportedChoice", "to_entity_type", CHOICE),
      ("InvalidType", "metadata.is_main", "This value should be of type bool."),
      ("InvalidValue", "metadata.quantity", "This value should be greater than or equal to 0."),
      ("InvalidType", "metadata.updated_by", "This value should be of type int.")]),
]  # fmt: skip


@dataclass
class Stranger:
    user: int
    contact: int
    company: int
    catalog: int
    element: int
    lead: int


def make_stranger(factory: Factory) -> Stranger:
    account = factory.account()
    catalog, element_id = factory.catalog_element(account)
    return Stranger(
        user=account.admin,
        contact=factory.party(account, "contacts", account.admin),
        company=factory.party(account, "companies", account.admin),
        catalog=catalog,
        element=element_id,
        lead=factory.lead(account),
    )


def fill(value: Any, names: dict[str, int]) -> Any:
    """Replace "{name}" strings by the ids of the test's world."""
    if isinstance(value, dict):
        return {k: fill(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, names) for v in value]
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return names[value[1:-1]]
    return value


def names_of(w: World, s: Stranger) -> dict[str, int]:
    return {
        "c1": w.contacts[0], "e1": w.elements[0], "cat1": w.cat1, "cat2": w.cat2,
        "gone_contact": w.gone_contact, "gone_company": w.gone_company,
        "gone_element": w.gone_element, "stranger_user": s.user,
        "stranger_contact": s.contact, "stranger_company": s.company,
        "stranger_catalog": s.catalog, "stranger_element": s.element,
    }  # fmt: skip


@pytest.mark.parametrize("action", ["link", "unlink"])
@pytest.mark.parametrize(("case", "item", "errors"), BAD_ITEMS, ids=[c[0] for c in BAD_ITEMS])
def test_bad_items_refuse_the_whole_batch(
    client: TestClient, factory: Factory, action: str, case: str, item: Any, errors: Any
):
    """A valid item first, then the bad one: the answer names only the bad one (by index),
    and nothing is written. Unlink reads items as link does."""
    w = make_world(factory)
    s = make_stranger(factory)
    factory.link("lead_contacts", w.account, lead_id=w.lead, contact_id=w.contacts[1], is_main=True)
    before = snapshot(client, w)
    good = {"to_entity_id": w.contacts[1 if action == "unlink" else 2],
            "to_entity_type": "contacts"}  # fmt: skip
    response = post(client, w.token, link_path(w.lead, action), [good, fill(item, names_of(w, s))])
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == validation(("1", errors))
    assert snapshot(client, w) == before


@pytest.mark.parametrize("action", ["link", "unlink"])
def test_request_ids_name_the_items(client: TestClient, factory: Factory, action: str):
    w = make_world(factory)
    before = snapshot(client, w)
    body = [
        {"request_id": "first", "to_entity_id": 10**15, "to_entity_type": "contacts"},
        {"request_id": 42, "to_entity_id": w.contacts[0], "to_entity_type": "contacts"},
        {"request_id": 7, "to_entity_id": w.contacts[0], "to_entity_type": "x"},
        {"to_entity_id": w.elements[0], "to_entity_type": "catalog_elements"},
    ]
    response = post(client, w.token, link_path(w.lead, action), body)
    assert response.json() == validation(
        ("first", [("NotSupportedChoice", "to_entity_id", CHOICE)]),
        ("7", [("NotSupportedChoice", "to_entity_type", CHOICE)]),
        ("3", [("FieldMissing", "metadata.catalog_id", MISSING)]),
    )
    assert snapshot(client, w) == before


MANY_BAD: list[tuple[str, Any, list[tuple[str, str, str]]]] = [
    ("no entity_id", {"to_entity_id": "{c1}", "to_entity_type": "contacts"},
     [("FieldMissing", "entity_id", MISSING)]),
    ("entity_id text", {"entity_id": "x", "to_entity_id": "{c1}", "to_entity_type": "contacts"},
     [("InvalidType", "entity_id", "This value should be of type int.")]),
    ("entity_id zero", {"entity_id": 0, "to_entity_id": "{c1}", "to_entity_type": "contacts"},
     [("NotSupportedChoice", "entity_id", CHOICE)]),
    ("unknown lead", {"entity_id": 10**15, "to_entity_id": "{c1}",
                      "to_entity_type": "contacts"},
     [("NotSupportedChoice", "entity_id", CHOICE)]),
    ("stranger lead", {"entity_id": "{stranger_lead}", "to_entity_id": "{c1}",
                       "to_entity_type": "contacts"},
     [("NotSupportedChoice", "entity_id", CHOICE)]),
    ("deleted lead", {"entity_id": "{deleted_lead}", "to_entity_id": "{c1}",
                      "to_entity_type": "contacts"},
     [("NotSupportedChoice", "entity_id", CHOICE)]),
    ("entity_type contacts", {"entity_id": "{lead}", "entity_type": "contacts",
                              "to_entity_id": "{c1}", "to_entity_type": "contacts"},
     [("NotSupportedChoice", "entity_type", CHOICE)]),
    ("entity_type not string", {"entity_id": "{lead}", "entity_type": 1,
                                "to_entity_id": "{c1}", "to_entity_type": "contacts"},
     [("InvalidType", "entity_type", "This value should be of type string.")]),
    ("unknown lead and contact", {"entity_id": 10**15, "to_entity_id": 10**15,
                                  "to_entity_type": "contacts"},
     [("NotSupportedChoice", "entity_id", CHOICE),
      ("NotSupportedChoice", "to_entity_id", CHOICE)]),
]  # fmt: skip


@pytest.mark.parametrize("action", ["link", "unlink"])
@pytest.mark.parametrize(("case", "item", "errors"), MANY_BAD, ids=[c[0] for c in MANY_BAD])
def test_bad_items_of_the_multi_lead_form(
    client: TestClient, factory: Factory, action: str, case: str, item: Any, errors: Any
):
    w = make_world(factory)
    s = make_stranger(factory)
    deleted = factory.lead(w.account, is_deleted=True)
    factory.link("lead_contacts", w.account, lead_id=w.lead, contact_id=w.contacts[0], is_main=True)
    before = snapshot(client, w)
    names = names_of(w, s) | {"stranger_lead": s.lead, "deleted_lead": deleted, "lead": w.lead}
    good = {"entity_id": w.lead, "to_entity_id": w.contacts[0], "to_entity_type": "contacts",
            "metadata": {"is_main": False}}  # fmt: skip
    response = post(client, w.token, link_path(action=action), [good, fill(item, names)])
    assert response.json() == validation(("1", errors))
    assert snapshot(client, w) == before


@pytest.mark.parametrize("action", ["link", "unlink"])
@pytest.mark.parametrize("in_path", [True, False])
@pytest.mark.parametrize(
    ("content", "status", "detail"),
    [
        (b"", 400, "Request data can not be empty"),
        (b"   ", 400, "Request data can not be empty"),
        (b"[]", 400, "Request data can not be empty"),
        (b"null", 400, "Request data can not be empty"),
        (b"{", 400, "Request body is not valid JSON"),
        (b"[{]", 400, "Request body is not valid JSON"),
        (b"5", 400, "Request data must be an array of objects"),
        (b'"x"', 400, "Request data must be an array of objects"),
        (b"[" + b",".join([b"{}"] * 251) + b"]", 422, "Limit 250 per page"),
    ],
)
def test_bad_bodies(
    client: TestClient, factory: Factory, action: str, in_path: bool, content: bytes,
    status: int, detail: str,
):  # fmt: skip
    w = make_world(factory)
    before = snapshot(client, w)
    path = link_path(w.lead if in_path else None, action)
    response = post(client, w.token, path, content=content)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    title = "Bad Request" if status == 400 else "Unprocessable Entity"
    assert response.json() == problem(status, title, detail)
    assert snapshot(client, w) == before


def test_250_items_are_fine(client: TestClient, factory: Factory):
    w = make_world(factory)
    item = {"to_entity_id": w.contacts[0], "to_entity_type": "contacts"}
    response = post(client, w.token, link_path(w.lead), [item] * 250)
    assert response.status_code == 200
    assert response.json()["_total_items"] == 250
    assert links_of(client, w.token, w.lead) == [contact(w.contacts[0], True)]


def test_all_or_nothing_across_leads(client: TestClient, factory: Factory):
    """Good items for two leads, then one bad one: neither lead changes."""
    w = make_world(factory)
    other = factory.lead(w.account)
    before = snapshot(client, w, w.lead, other)
    body = [
        {"entity_id": w.lead, "to_entity_id": w.contacts[0], "to_entity_type": "contacts"},
        {"entity_id": other, "to_entity_id": w.companies[0], "to_entity_type": "companies"},
        {"entity_id": other, "to_entity_id": w.elements[0], "to_entity_type": "catalog_elements",
         "metadata": {"catalog_id": w.cat1, "quantity": 2}},
        {"entity_id": w.lead, "to_entity_id": w.companies[0], "to_entity_type": "companies"},
        {"entity_id": w.lead, "to_entity_id": w.companies[1], "to_entity_type": "companies"},
    ]  # fmt: skip
    response = post(client, w.token, link_path(), body)
    assert response.json() == validation(("4", [("InvalidValue", "to_entity_id", ONE_COMPANY)]))
    assert snapshot(client, w, w.lead, other) == before


# -- the lead: unknown, invisible, not editable ------------------------------------------------

NOT_FOUND = problem(404, "Not Found", "Not Found")
DENIED = problem(403, "Forbidden", "Access denied")


@pytest.mark.parametrize("action", ["link", "unlink"])
def test_a_lead_the_user_cannot_see_is_404_in_the_path(
    client: TestClient, factory: Factory, action: str
):
    w = make_world(factory)
    s = make_stranger(factory)
    deleted = factory.lead(w.account, is_deleted=True)
    limited = factory.user(w.account, view="M")
    cases = [
        (w.token, 10**15), (w.token, MAX_ID + 1), (w.token, s.lead), (w.token, deleted),
        (factory.token(w.account, limited), w.lead),
    ]  # fmt: skip
    before = snapshot(client, w)
    for token, lead_id in cases:
        # even a body that is wrong otherwise: the lead is judged first
        for body in ([{"to_entity_id": w.contacts[0], "to_entity_type": "contacts"}], [{}]):
            response = post(client, token, link_path(lead_id, action), body)
            assert response.status_code == 404, lead_id
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json() == NOT_FOUND
    assert snapshot(client, w) == before


@pytest.mark.parametrize("action", ["link", "unlink"])
def test_view_without_edit_is_403(client: TestClient, factory: Factory, action: str):
    w = make_world(factory)
    factory.link("lead_contacts", w.account, lead_id=w.lead, contact_id=w.contacts[0], is_main=True)
    viewer = factory.user(w.account, view="A", edit="D")
    token = factory.token(w.account, viewer)
    own = factory.lead(w.account, responsible=viewer)
    before = snapshot(client, w, w.lead, own)
    item = {"to_entity_id": w.contacts[0], "to_entity_type": "contacts"}
    for path, body in [
        (link_path(w.lead, action), [item]),
        (link_path(w.lead, action), [{}]),  # 403 comes before validation errors
        (link_path(action=action), [{"entity_id": w.lead, **item}]),
        # one lead the user may not edit refuses the whole batch
        (link_path(action=action), [{"entity_id": 10**15, **item}, {"entity_id": w.lead, **item},
                                    {"to_entity_id": "x"}]),
    ]:  # fmt: skip
        response = post(client, token, path, body)
        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json() == DENIED
    assert snapshot(client, w, w.lead, own) == before


def test_a_user_with_view_m(client: TestClient, factory: Factory):
    """Own leads are written; everyone else's are leads that do not exist (the contact is the
    user's own: M on contacts too)."""
    w = make_world(factory)
    user = factory.user(w.account, view="M")
    token = factory.token(w.account, user)
    own = factory.lead(w.account, responsible=user)
    w.contacts[0] = factory.party(w.account, "contacts", user)
    before = snapshot(client, w, w.lead, own)
    item = {"to_entity_id": w.contacts[0], "to_entity_type": "contacts"}
    response = post(
        client, token, link_path(), [{"entity_id": own, **item}, {"entity_id": w.lead, **item}]
    )
    assert response.json() == validation(("1", [("NotSupportedChoice", "entity_id", CHOICE)]))
    assert snapshot(client, w, w.lead, own) == before

    since = int(time.time())
    response = post(client, token, link_path(), [{"entity_id": own, **item}])
    assert response.json() == collection([contact(w.contacts[0], True, own)], link_path())
    assert links_of(client, token, own) == [contact(w.contacts[0], True)]
    assert_touched(lead_of(client, token, own), since, user)
    response = post(client, token, link_path(own, "unlink"), [item])
    assert response.status_code == 204
    assert links_of(client, token, own) is None


@pytest.mark.parametrize(
    "path", ["/api/v4/leads/1/link", "/api/v4/leads/link", "/api/v4/leads/1/unlink",
             "/api/v4/leads/unlink"],
)  # fmt: skip
def test_requires_auth(client: TestClient, path: str):
    response = client.post(path, json=[{"to_entity_id": 1, "to_entity_type": "contacts"}])
    assert response.status_code == 401
    assert response.json() == problem(401, "Unauthorized", "Invalid user name or password")


def test_contacts_and_companies_the_user_cannot_see_are_unknown(
    client: TestClient, factory: Factory
):
    """Leads rights A, contacts and companies M: linking a lead to another user's contact or
    company (through the link forms or a lead's ``_embedded``) answers as for one that does
    not exist, and writes nothing; the user's own contact links."""
    w = make_world(factory)
    user = add_user(factory, w.account, contacts="M", companies="M")
    token = factory.token(w.account, user)
    mine = factory.party(w.account, "contacts", user)
    before = snapshot(client, w, w.lead), client.get("/api/v4/leads", headers=auth(w.token)).json()
    items = [{"to_entity_id": w.contacts[0], "to_entity_type": "contacts"},
             {"to_entity_id": w.companies[0], "to_entity_type": "companies"}]  # fmt: skip
    response = post(client, token, link_path(w.lead), items)
    assert response.status_code == 400
    assert response.json() == validation(
        ("0", [("NotSupportedChoice", "to_entity_id", CHOICE)]),
        ("1", [("NotSupportedChoice", "to_entity_id", CHOICE)]),
    )
    body = [{"name": "x", "_embedded": {"contacts": [{"id": w.contacts[0]}],
                                         "companies": [{"id": w.companies[0]}]}}]  # fmt: skip
    response = client.post("/api/v4/leads", json=body, headers=auth(token))
    assert response.status_code == 400
    assert response.json() == validation(("0", [
        ("NotSupportedChoice", "_embedded.contacts.0.id", CHOICE),
        ("NotSupportedChoice", "_embedded.companies.0.id", CHOICE),
    ]))  # fmt: skip
    after = snapshot(client, w, w.lead), client.get("/api/v4/leads", headers=auth(w.token)).json()
    assert after == before
    own = [{"to_entity_id": mine, "to_entity_type": "contacts"}]
    response = post(client, token, link_path(w.lead), own)
    assert response.json() == collection([contact(mine, True, w.lead)], link_path(w.lead))
