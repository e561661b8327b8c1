"""GET /api/v4/leads/{id}/links and /api/v4/leads/links: whole answers, every
filter, rights, deleted entities left out, and the 204s and the 400."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.catalogs.helpers import add_catalog, add_elements
from tests.factories import Account, Factory

ORIGIN = "http://testserver"


@dataclass
class Links:
    account: Account
    admin_token: str
    lead: int
    """owned by ``owner``: two live contacts, a company, three live elements"""
    other_lead: int
    """owned by the admin: one contact (not main) and a company"""
    deleted_lead: int
    empty_lead: int
    owner: int
    main_contact: int
    other_contact: int
    company: int
    other_company: int
    cat1: int
    cat2: int
    elements: list[tuple[int, int, int | float, int | None]]
    """(element id, catalog id, quantity, price id) of ``lead``, by element id"""


@pytest.fixture(scope="module")
def links(factory: Factory) -> Links:
    account = factory.account()
    owner = factory.user(account, group="one")
    lead = factory.lead(account, responsible=owner)
    other_lead = factory.lead(account)
    deleted_lead = factory.lead(account, responsible=owner, is_deleted=True)
    empty_lead = factory.lead(account, responsible=owner)

    other_contact = factory.party(account, "contacts", owner)
    main_contact = factory.party(account, "contacts", owner)
    gone_contact = factory.party(account, "contacts", owner, deleted=True)
    for contact, is_main in ((gone_contact, True), (other_contact, False), (main_contact, True)):
        factory.link("lead_contacts", account, lead_id=lead, contact_id=contact, is_main=is_main)
    factory.link(
        "lead_contacts", account, lead_id=other_lead, contact_id=other_contact, is_main=False
    )
    factory.link(
        "lead_contacts", account, lead_id=deleted_lead, contact_id=main_contact, is_main=True
    )
    company = factory.party(account, "companies", owner)
    other_company = factory.party(account, "companies", owner)
    gone_company = factory.party(account, "companies", owner, deleted=True)
    factory.link("lead_companies", account, lead_id=lead, company_id=company)
    factory.link("lead_companies", account, lead_id=other_lead, company_id=other_company)
    factory.link("lead_companies", account, lead_id=empty_lead, company_id=gone_company)

    cat1, cat2 = add_catalog(factory, account), add_catalog(factory, account)
    e1, e2, gone = add_elements(factory, account, cat1, ["A", "B", "C"])
    factory.execute(
        "UPDATE catalog_elements SET is_deleted = :d WHERE account_id = :a AND id = :e",
        d=True, a=account.id, e=gone,
    )  # fmt: skip
    (e3,) = add_elements(factory, account, cat2, ["D"])
    elements: list[tuple[int, int, int | float, int | None]] = [
        (e1, cat1, 2, None), (e2, cat1, 1.5, 777), (e3, cat2, 3, 5),
    ]  # fmt: skip
    for eid, cid, quantity, price_id in [*elements[::-1], (gone, cat1, 1, None)]:
        factory.link(
            "lead_catalog_elements", account, lead_id=lead, element_id=eid, catalog_id=cid,
            quantity=float(quantity), price_id=price_id,
        )  # fmt: skip
    return Links(
        account, factory.token(account, account.admin), lead, other_lead, deleted_lead,
        empty_lead, owner, main_contact, other_contact, company, other_company, cat1, cat2,
        elements,
    )  # fmt: skip


def _items(links: Links, lead_id: int, multi: bool = False) -> list[dict[str, Any]]:
    """Every link of a lead in the answer's order: contacts (main first), company, elements."""
    out: list[dict[str, Any]] = []
    if lead_id == links.lead:
        out += [
            {"to_entity_id": links.main_contact, "to_entity_type": "contacts",
             "metadata": {"main_contact": True}},
            {"to_entity_id": links.other_contact, "to_entity_type": "contacts",
             "metadata": {"main_contact": False}},
            {"to_entity_id": links.company, "to_entity_type": "companies", "metadata": None},
        ]  # fmt: skip
        for eid, cid, quantity, price_id in links.elements:
            metadata: dict[str, Any] = {"quantity": quantity, "catalog_id": cid}
            if price_id is not None:
                metadata["price_id"] = price_id
            out.append(
                {"to_entity_id": eid, "to_entity_type": "catalog_elements", "metadata": metadata}
            )
    elif lead_id == links.other_lead:
        out += [
            {"to_entity_id": links.other_contact, "to_entity_type": "contacts",
             "metadata": {"main_contact": False}},
            {"to_entity_id": links.other_company, "to_entity_type": "companies",
             "metadata": None},
        ]  # fmt: skip
    if multi:
        out = [{"entity_id": lead_id, "entity_type": "leads", **item} for item in out]
    return out


def _body(items: list[dict[str, Any]], path: str, query: str) -> dict[str, Any]:
    href = f"{ORIGIN}{path}?{query}" if query else f"{ORIGIN}{path}"
    return {"_total_items": len(items), "_links": {"self": {"href": href}},
            "_embedded": {"links": items}}  # fmt: skip


def _page_body(items: list[dict[str, Any]], path: str, query: str, **more: str) -> dict[str, Any]:
    """One lead's links: paged, its ``self`` carrying the ``page`` and ``limit`` in force
    (Kommo's example: ``.../leads/{id}/links?page=1&limit=50``); ``more``: other links by name,
    as queries."""
    paged = f"{query}&page=1&limit=50" if query else "page=1&limit=50"
    links = {"self": {"href": f"{ORIGIN}{path}?{paged}"}}
    links.update({name: {"href": f"{ORIGIN}{path}?{q}"} for name, q in more.items()})
    return {"_total_items": len(items), "_links": links, "_embedded": {"links": items}}


def _get(client: TestClient, token: str, url: str) -> Any:
    return client.get(url, headers={"Authorization": f"Bearer {token}"})


class TestOneLead:
    def path(self, links: Links, lead_id: int | None = None) -> str:
        return f"/api/v4/leads/{lead_id or links.lead}/links"

    def test_whole_answer(self, client: TestClient, links: Links):
        response = _get(client, links.admin_token, self.path(links))
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/hal+json"
        body = response.json()
        assert body == _page_body(_items(links, links.lead), self.path(links), "")
        assert list(body) == ["_total_items", "_links", "_embedded"]
        for item in body["_embedded"]["links"]:
            assert list(item) == ["to_entity_id", "to_entity_type", "metadata"]

    def test_paging(self, client: TestClient, links: Links):
        """Pages of the lead's links in their order; ``_total_items`` counts the page's."""
        every = _items(links, links.lead)
        assert len(every) > 2
        path = self.path(links)
        first = _get(client, links.admin_token, f"{path}?limit=2").json()
        assert first == {
            "_total_items": 2,
            "_links": {
                "self": {"href": f"{ORIGIN}{path}?limit=2&page=1"},
                "next": {"href": f"{ORIGIN}{path}?limit=2&page=2"},
            },
            "_embedded": {"links": every[:2]},
        }
        last_page = (len(every) + 1) // 2
        last = _get(client, links.admin_token, f"{path}?page={last_page}&limit=2").json()
        assert last == {
            "_total_items": len(every[(last_page - 1) * 2 :]),
            "_links": {
                "self": {"href": f"{ORIGIN}{path}?page={last_page}&limit=2"},
                "first": {"href": f"{ORIGIN}{path}?page=1&limit=2"},
                "prev": {"href": f"{ORIGIN}{path}?page={last_page - 1}&limit=2"},
            },
            "_embedded": {"links": every[(last_page - 1) * 2 :]},
        }
        past = _get(client, links.admin_token, f"{path}?page={last_page + 1}&limit=2")
        assert (past.status_code, past.content) == (204, b"")

    def test_limit_over_250_is_250(self, client: TestClient, links: Links):
        path = self.path(links)
        body = _get(client, links.admin_token, f"{path}?limit=1000").json()
        every = _items(links, links.lead)
        assert body == {
            "_total_items": len(every),
            "_links": {"self": {"href": f"{ORIGIN}{path}?limit=1000&page=1"}},
            "_embedded": {"links": every},
        }

    @pytest.mark.parametrize(
        ("template", "ids", "types", "catalogs"),
        [
            ("filter[to_entity_type]=contacts", None, {"contacts"}, None),
            ("filter[to_entity_type]=companies", None, {"companies"}, None),
            ("filter[to_entity_type]=catalog_elements", None, {"catalog_elements"}, None),
            ("filter[to_entity_type][]=contacts&filter[to_entity_type][]=companies", None,
             {"contacts", "companies"}, None),
            ("filter[to_entity_id]={main}&filter[to_entity_type]=contacts", {"main"},
             {"contacts"}, None),
            ("filter%5Bto_entity_id%5D={company}&filter%5Bto_entity_type%5D=companies",
             {"company"}, {"companies"}, None),
            # ids are per entity type, so an id alone may name a contact and an element alike
            ("filter[to_entity_id][]={main}&filter[to_entity_id][]={company}",
             {"main", "company"}, None, None),
            ("filter[to_catalog_id]={cat1}", None, None, {"cat1"}),
            ("filter[to_catalog_id][]={cat1}&filter[to_catalog_id][]={cat2}", None, None,
             {"cat1", "cat2"}),
            ("filter[to_catalog_id]={cat2}&filter[to_entity_type]=catalog_elements", None,
             {"catalog_elements"}, {"cat2"}),
        ],
    )  # fmt: skip
    def test_filters(
        self, client: TestClient, links: Links, template: str, ids: Any, types: Any,
        catalogs: Any,
    ):  # fmt: skip
        named = {
            "main": links.main_contact, "company": links.company, "cat1": links.cat1,
            "cat2": links.cat2,
        }  # fmt: skip
        query = template.format(**named)
        catalog_ids = {named[n] for n in catalogs or ()}
        items = [
            i for i in _items(links, links.lead)
            if (ids is None or i["to_entity_id"] in {named[n] for n in ids})
            and (types is None or i["to_entity_type"] in types)
            and (catalogs is None or (i["to_entity_type"] == "catalog_elements"
                                      and i["metadata"]["catalog_id"] in catalog_ids))
        ]  # fmt: skip
        assert items
        response = _get(client, links.admin_token, f"{self.path(links)}?{query}")
        assert response.json() == _page_body(items, self.path(links), query)

    @pytest.mark.parametrize(
        "template",
        [
            "filter[to_entity_type]=leads",
            "filter[to_entity_type]=nonsense",
            "filter[to_entity_id]=abc",
            "filter[to_entity_id]={main}&filter[to_entity_type]=companies",
            "filter[to_catalog_id]=abc",
            "filter[to_catalog_id]={cat1}&filter[to_entity_type]=contacts",
            "filter[to_entity_id]={gone}",
        ],
    )
    def test_filters_matching_nothing_are_204(
        self, client: TestClient, links: Links, template: str
    ):
        query = template.format(main=links.main_contact, cat1=links.cat1, gone=10**12)
        response = _get(client, links.admin_token, f"{self.path(links)}?{query}")
        assert (response.status_code, response.content) == (204, b"")

    def test_deleted_entities_are_left_out(self, client: TestClient, links: Links):
        """The empty lead links only a deleted company; the deleted lead is not readable."""
        for lead_id in (links.empty_lead, links.deleted_lead, 10**12, 10**20):
            response = _get(client, links.admin_token, self.path(links, lead_id))
            assert (response.status_code, response.content) == (204, b""), lead_id

    @pytest.mark.parametrize(("view", "group", "sees"), [
        ("A", "two", True), ("G", "one", True), ("G", "two", False), ("M", "one", False),
        ("D", "one", False),
    ])  # fmt: skip
    def test_rights(
        self, client: TestClient, factory: Factory, links: Links, view: str, group: str,
        sees: bool,
    ):  # fmt: skip
        user = factory.user(links.account, view=view, group=group)
        response = _get(client, factory.token(links.account, user), self.path(links))
        if sees:
            assert response.json() == _page_body(_items(links, links.lead), self.path(links), "")
        else:
            assert (response.status_code, response.content) == (204, b"")

    def test_responsible_user_with_m(self, client: TestClient, factory: Factory, links: Links):
        response = _get(client, factory.token(links.account, links.owner), self.path(links))
        assert response.json() == _page_body(_items(links, links.lead), self.path(links), "")


class TestManyLeads:
    PATH = "/api/v4/leads/links"

    @pytest.mark.parametrize(
        "template",
        [
            "filter[entity_id][]={a}&filter[entity_id][]={b}",
            "filter[entity_id][0]={b}&filter[entity_id][1]={a}",
            "filter%5Bentity_id%5D%5B%5D={a}&filter%5Bentity_id%5D%5B%5D={b}",
            "filter[entity_id]={a}&filter[entity_id]={b}",
            "filter[entity_id][]={a}&filter[entity_id][]={b}&filter[entity_id][]={a}",
            "filter[entity_id][]={a}&filter[entity_id][]={b}&filter[entity_id][]={deleted}"
            "&filter[entity_id][]={empty}&filter[entity_id][]=999999999999&filter[entity_id][]=x",
        ],
    )
    def test_whole_answer(self, client: TestClient, links: Links, template: str):
        query = template.format(
            a=links.lead, b=links.other_lead, deleted=links.deleted_lead, empty=links.empty_lead
        )
        response = _get(client, links.admin_token, f"{self.PATH}?{query}")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/hal+json"
        items = _items(links, links.lead, True) + _items(links, links.other_lead, True)
        body = response.json()
        assert body == _body(items, self.PATH, query)
        for item in body["_embedded"]["links"]:
            assert list(item) == [
                "entity_id",
                "entity_type",
                "to_entity_id",
                "to_entity_type",
                "metadata",
            ]

    def test_scalar_entity_id(self, client: TestClient, links: Links):
        query = f"filter[entity_id]={links.other_lead}"
        response = _get(client, links.admin_token, f"{self.PATH}?{query}")
        assert response.json() == _body(_items(links, links.other_lead, True), self.PATH, query)

    def test_filters_apply_to_every_lead(self, client: TestClient, links: Links):
        query = (
            f"filter[entity_id][]={links.lead}&filter[entity_id][]={links.other_lead}"
            "&filter[to_entity_type]=companies"
        )
        response = _get(client, links.admin_token, f"{self.PATH}?{query}")
        items = [
            i for lead in (links.lead, links.other_lead) for i in _items(links, lead, True)
            if i["to_entity_type"] == "companies"
        ]  # fmt: skip
        assert response.json() == _body(items, self.PATH, query)
        query = f"filter[entity_id][]={links.other_lead}&filter[to_catalog_id]={links.cat1}"
        assert _get(client, links.admin_token, f"{self.PATH}?{query}").status_code == 204

    def test_leads_the_user_may_not_view_are_left_out(
        self, client: TestClient, factory: Factory, links: Links
    ):
        """A user with view M sees only the links of the lead they are responsible for."""
        user = factory.user(links.account, view="M", group="one")
        lead = factory.lead(links.account, responsible=user)
        contact = factory.party(links.account, "contacts", user)
        factory.link("lead_contacts", links.account, lead_id=lead, contact_id=contact, is_main=True)
        query = f"filter[entity_id][]={links.lead}&filter[entity_id][]={lead}"
        response = _get(client, factory.token(links.account, user), f"{self.PATH}?{query}")
        assert response.json() == _body(
            [{"entity_id": lead, "entity_type": "leads", "to_entity_id": contact,
              "to_entity_type": "contacts", "metadata": {"main_contact": True}}],
            self.PATH, query,
        )  # fmt: skip
        query = f"filter[entity_id][]={links.lead}"
        response = _get(client, factory.token(links.account, user), f"{self.PATH}?{query}")
        assert (response.status_code, response.content) == (204, b"")

    @pytest.mark.parametrize(
        "template",
        ["filter[entity_id][]={empty}", "filter[entity_id][]={deleted}", "filter[entity_id]=abc",
         "filter[entity_id][]=", "filter[entity_id]=0"],
    )  # fmt: skip
    def test_nothing_to_return_is_204(self, client: TestClient, links: Links, template: str):
        query = template.format(empty=links.empty_lead, deleted=links.deleted_lead)
        response = _get(client, links.admin_token, f"{self.PATH}?{query}")
        assert (response.status_code, response.content) == (204, b"")

    @pytest.mark.parametrize("query", ["", "filter[to_entity_type]=contacts", "entity_id=1"])
    def test_without_entity_id_is_400(self, client: TestClient, links: Links, query: str):
        url = f"{self.PATH}?{query}" if query else self.PATH
        response = _get(client, links.admin_token, url)
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json() == {
            "title": "Bad Request", "type": "https://httpstatus.es/400", "status": 400,
            "detail": "filter[entity_id] is required",
        }  # fmt: skip

    def test_too_many_ids_is_400(self, client: TestClient, links: Links):
        query = "&".join(f"filter[entity_id][]={i}" for i in range(1, 252))
        response = _get(client, links.admin_token, f"{self.PATH}?{query}")
        assert response.status_code == 400
        assert response.json()["detail"] == "filter[entity_id] takes at most 250 ids"


def test_requires_auth(client: TestClient):
    assert client.get("/api/v4/leads/1/links").status_code == 401
    assert client.get("/api/v4/leads/links?filter[entity_id]=1").status_code == 401
