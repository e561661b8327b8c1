"""GET /api/v4/catalogs and /catalogs/{id}/elements: whole answers, filters,
search, paging, 204s and the 404 of an unknown catalog."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.catalogs.helpers import add_catalog, add_elements
from tests.factories import NOW, Account, Factory

ORIGIN = "http://testserver"
CATALOG_KEYS = [
    "id", "name", "created_by", "updated_by", "created_at", "updated_at", "sort", "type",
    "can_add_elements", "can_show_in_cards", "can_link_multiple", "can_be_deleted",
    "sdk_widget_code", "account_id", "_links",
]  # fmt: skip
ELEMENT_KEYS = [
    "id", "name", "created_by", "updated_by", "created_at", "updated_at", "is_deleted",
    "custom_fields_values", "catalog_id", "account_id", "_links",
]  # fmt: skip
"""Kommo's order (its examples): ``catalog_id`` after ``custom_fields_values``."""


@dataclass
class Catalogs:
    account: Account
    token: str
    products: int
    invoices: int
    regular: int
    elements: dict[str, int]
    """name -> id of the live elements of ``products``"""
    deleted: int
    foreign_catalog: int
    owner: int
    elsewhere: int
    """the live element of ``regular``"""
    foreign_element: int
    """the live element of ``foreign_catalog``, another account's"""
    admin_token: str


@pytest.fixture(scope="module")
def cats(factory: Factory) -> Catalogs:
    account = factory.account()
    owner = factory.user(account)
    products = add_catalog(
        factory, account, name="Products", type="products", sort=20, can_add_elements=True,
        can_show_in_cards=True, can_link_multiple=False, can_be_deleted=False,
        sdk_widget_code="amo_shop", created_by=owner, updated_by=account.admin,
    )  # fmt: skip
    invoices = add_catalog(
        factory, account, name="Invoices", type="invoices", sort=30, can_add_elements=False
    )
    regular = add_catalog(factory, account, name="Models / Ünïcode", sort=10)
    names = ["Widget", "Gadget", "Big widget", "Ökonom 100%", "Snake_case"]
    elements = dict(zip(names, add_elements(factory, account, products, names), strict=True))
    (deleted,) = add_elements(factory, account, products, ["Widget retired"], is_deleted=True)
    (elsewhere,) = add_elements(factory, account, regular, ["Widget elsewhere"])
    other = factory.account()
    foreign = add_catalog(factory, other)
    (foreign_element,) = add_elements(factory, other, foreign, ["Widget"])
    user = factory.user(account, view="D")
    return Catalogs(
        account,
        factory.token(account, user),
        products,
        invoices,
        regular,
        elements,
        deleted,
        foreign,
        owner,
        elsewhere,
        foreign_element,
        factory.token(account, account.admin),
    )


def _get(client: TestClient, cats: Catalogs, url: str) -> Any:
    return client.get(url, headers={"Authorization": f"Bearer {cats.token}"})


def _catalog(cats: Catalogs, cid: int, **values: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": cid, "name": "", "created_by": 0, "updated_by": 0, "created_at": NOW - 100,
        "updated_at": NOW - 50, "sort": 10, "type": "regular", "can_add_elements": True,
        "can_show_in_cards": False, "can_link_multiple": True, "can_be_deleted": True,
        "sdk_widget_code": None, "account_id": cats.account.id,
        "_links": {"self": {"href": f"{ORIGIN}/api/v4/catalogs/{cid}"}},
    }  # fmt: skip
    body.update(values)
    return body


def _expected_catalogs(cats: Catalogs) -> list[dict[str, Any]]:
    return [
        _catalog(cats, cats.regular, name="Models / Ünïcode"),
        _catalog(
            cats, cats.products, name="Products", type="products", sort=20,
            can_show_in_cards=True, can_link_multiple=False, can_be_deleted=False,
            sdk_widget_code="amo_shop", created_by=cats.owner,
            updated_by=cats.account.admin,
        ),
        _catalog(cats, cats.invoices, name="Invoices", type="invoices", sort=30,
                 can_add_elements=False),
    ]  # fmt: skip


class TestCatalogList:
    def test_whole_list_by_sort(self, client: TestClient, cats: Catalogs):
        response = _get(client, cats, "/api/v4/catalogs")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/hal+json"
        body = response.json()
        assert body == {
            "_page": 1,
            "_links": {"self": {"href": f"{ORIGIN}/api/v4/catalogs?page=1&limit=50"}},
            "_embedded": {"catalogs": _expected_catalogs(cats)},
        }
        assert list(body) == ["_page", "_links", "_embedded"]
        assert all(list(c) == CATALOG_KEYS for c in body["_embedded"]["catalogs"])

    def test_paging(self, client: TestClient, cats: Catalogs):
        expected = _expected_catalogs(cats)
        url = f"{ORIGIN}/api/v4/catalogs"
        assert _get(client, cats, "/api/v4/catalogs?limit=2").json() == {
            "_page": 1,
            "_links": {
                "self": {"href": f"{url}?limit=2&page=1"},
                "next": {"href": f"{url}?limit=2&page=2"},
            },
            "_embedded": {"catalogs": expected[:2]},
        }
        assert _get(client, cats, "/api/v4/catalogs?limit=2&page=2").json() == {
            "_page": 2,
            "_links": {
                "self": {"href": f"{url}?limit=2&page=2"},
                "first": {"href": f"{url}?limit=2&page=1"},
                "prev": {"href": f"{url}?limit=2&page=1"},
            },
            "_embedded": {"catalogs": expected[2:]},
        }
        assert _get(client, cats, "/api/v4/catalogs?limit=2&page=3").status_code == 204

    def test_account_without_catalogs_is_204(self, client: TestClient, factory: Factory):
        account = factory.account()
        response = client.get(
            "/api/v4/catalogs",
            headers={"Authorization": f"Bearer {factory.token(account, account.admin)}"},
        )
        assert response.status_code == 204 and response.content == b""


def _element(cats: Catalogs, name: str, catalog_id: int | None = None) -> dict[str, Any]:
    eid = cats.elements[name]
    cid = catalog_id or cats.products
    return {
        "id": eid, "name": name, "created_by": 0, "updated_by": 0,
        "created_at": NOW - 10, "updated_at": NOW - 5, "is_deleted": False,
        "custom_fields_values": None, "catalog_id": cid, "account_id": cats.account.id,
        "_links": {"self": {"href": f"{ORIGIN}/api/v4/catalogs/{cid}/elements/{eid}"}},
    }  # fmt: skip


def _elements_body(
    cats: Catalogs, names: list[str], query: str, links: dict[str, str] | None = None, page: int = 1
) -> dict[str, Any]:
    url = f"{ORIGIN}/api/v4/catalogs/{cats.products}/elements"
    links = links or {"self": f"?{query}&page=1&limit=50" if query else "?page=1&limit=50"}
    return {
        "_page": page,
        "_links": {k: {"href": f"{url}{v}"} for k, v in links.items()},
        "_embedded": {
            "elements": [_element(cats, n) for n in sorted(names, key=cats.elements.__getitem__)]
        },
    }


class TestElements:
    def url(self, cats: Catalogs, query: str = "") -> str:
        base = f"/api/v4/catalogs/{cats.products}/elements"
        return f"{base}?{query}" if query else base

    def test_live_elements_by_id(self, client: TestClient, cats: Catalogs):
        response = _get(client, cats, self.url(cats))
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/hal+json"
        body = response.json()
        assert body == _elements_body(cats, list(cats.elements), "")
        assert all(list(e) == ELEMENT_KEYS for e in body["_embedded"]["elements"])

    def test_paging(self, client: TestClient, cats: Catalogs):
        names = sorted(cats.elements, key=cats.elements.__getitem__)
        assert _get(client, cats, self.url(cats, "limit=3")).json() == _elements_body(
            cats, names[:3], "", {"self": "?limit=3&page=1", "next": "?limit=3&page=2"}
        )
        assert _get(client, cats, self.url(cats, "limit=3&page=2")).json() == _elements_body(
            cats, names[3:], "",
            {"self": "?limit=3&page=2", "first": "?limit=3&page=1", "prev": "?limit=3&page=1"},
            page=2,
        )  # fmt: skip
        assert _get(client, cats, self.url(cats, "limit=3&page=3")).status_code == 204

    @pytest.mark.parametrize(
        ("query", "names"),
        [
            ("query=widget", ["Widget", "Big widget"]),
            ("query=WIDG", ["Widget", "Big widget"]),
            ("query=%C3%B6KONOM", ["Ökonom 100%"]),
            ("query=100%25", ["Ökonom 100%"]),
            ("query=e_c", ["Snake_case"]),
            ("query=", ["Widget", "Gadget", "Big widget", "Ökonom 100%", "Snake_case"]),
        ],
    )
    def test_query(self, client: TestClient, cats: Catalogs, query: str, names: list[str]):
        assert _get(client, cats, self.url(cats, query)).json() == _elements_body(
            cats, names, query
        )

    @pytest.mark.parametrize("query", ["query=retired", "query=elsewhere", "query=w%25t"])
    def test_query_leaves_out_deleted_and_other_catalogs(
        self, client: TestClient, cats: Catalogs, query: str
    ):
        assert _get(client, cats, self.url(cats, query)).status_code == 204

    @pytest.mark.parametrize(
        ("template", "names"),
        [
            ("filter[id]={w}", ["Widget"]),
            ("filter[id][]={w}&filter[id][]={g}", ["Widget", "Gadget"]),
            ("filter[id][0]={w}&filter[id][1]={g}", ["Widget", "Gadget"]),
            ("filter%5Bid%5D%5B%5D={g}", ["Gadget"]),
            ("filter[id]={w}&filter[id]={g}", ["Widget", "Gadget"]),
            ("filter[id][]={g}&filter[id][]={deleted}", ["Gadget"]),
            ("filter[id][]={w}&filter[id][]={g}&query=widget", ["Widget"]),
        ],
    )
    def test_filter_id(self, client: TestClient, cats: Catalogs, template: str, names: list[str]):
        query = template.format(
            w=cats.elements["Widget"], g=cats.elements["Gadget"], deleted=cats.deleted
        )
        assert _get(client, cats, self.url(cats, query)).json() == _elements_body(
            cats, names, query
        )

    @pytest.mark.parametrize("template", ["filter[id]=abc", "filter[id]={deleted}", "filter[id]="])
    def test_filter_id_matching_nothing_is_204(
        self, client: TestClient, cats: Catalogs, template: str
    ):
        response = _get(client, cats, self.url(cats, template.format(deleted=cats.deleted)))
        assert response.status_code == 204 and response.content == b""

    def test_empty_catalog_is_204(self, client: TestClient, cats: Catalogs):
        assert _get(client, cats, f"/api/v4/catalogs/{cats.invoices}/elements").status_code == 204

    @pytest.mark.parametrize("which", ["foreign", "unknown", "zero", "huge"])
    def test_unknown_catalog_is_404(self, client: TestClient, cats: Catalogs, which: str):
        catalog_id = {
            "foreign": cats.foreign_catalog, "unknown": 10**12, "zero": 0, "huge": 10**20,
        }[which]  # fmt: skip
        response = _get(client, cats, f"/api/v4/catalogs/{catalog_id}/elements")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json() == {
            "title": "Not Found", "type": "https://httpstatus.es/404", "status": 404,
            "detail": "Catalog not found",
        }  # fmt: skip


NOT_FOUND = {"title": "Not Found", "type": "https://httpstatus.es/404", "status": 404}


class TestCatalogById:
    """``GET /api/v4/catalogs/{id}``: the catalog as the list shows it (Kommo's example)."""

    def test_each_catalog_as_the_list_shows_it(self, client: TestClient, cats: Catalogs):
        for expected in _expected_catalogs(cats):
            response = _get(client, cats, f"/api/v4/catalogs/{expected['id']}")
            assert response.status_code == 200
            assert response.headers["content-type"] == "application/hal+json"
            body = response.json()
            assert body == expected
            assert list(body) == CATALOG_KEYS

    def test_a_user_without_lead_rights_and_an_admin_read_the_same(
        self, client: TestClient, cats: Catalogs
    ):
        """Catalogs are readable by every user of the account (``catalog_access`` is not
        enforced), so the user with every right D and the admin get the same bytes."""
        url = f"/api/v4/catalogs/{cats.products}"
        admin = client.get(url, headers={"Authorization": f"Bearer {cats.admin_token}"})
        assert admin.status_code == 200
        assert admin.content == _get(client, cats, url).content

    @pytest.mark.parametrize("which", ["foreign", "unknown", "zero", "huge"])
    def test_unknown_catalog_is_404(self, client: TestClient, cats: Catalogs, which: str):
        catalog_id = {
            "foreign": cats.foreign_catalog, "unknown": 10**12, "zero": 0, "huge": 10**20,
        }[which]  # fmt: skip
        response = _get(client, cats, f"/api/v4/catalogs/{catalog_id}")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json() == {**NOT_FOUND, "detail": "Catalog not found"}

    def test_a_non_numeric_id_is_an_unknown_route(self, client: TestClient, cats: Catalogs):
        response = _get(client, cats, "/api/v4/catalogs/abc?x=1")
        assert response.status_code == 404
        assert response.json() == {
            **NOT_FOUND, "detail": f"Cannot GET {ORIGIN}/api/v4/catalogs/abc?x=1"
        }  # fmt: skip

    def test_other_methods_are_405(self, client: TestClient, cats: Catalogs):
        headers = {"Authorization": f"Bearer {cats.admin_token}"}
        for method in ("POST", "PATCH", "DELETE"):
            url = f"/api/v4/catalogs/{cats.products}"
            for path in (url, f"{url}/elements/{cats.elements['Widget']}"):
                response = client.request(method, path, headers=headers)
                assert response.status_code == 405, (method, path)
                assert response.json()["detail"] == "Method Not Allowed"


class TestElementById:
    """``GET /api/v4/catalogs/{id}/elements/{element_id}``: the element as the list shows it."""

    def url(self, catalog_id: int, element_id: int) -> str:
        return f"/api/v4/catalogs/{catalog_id}/elements/{element_id}"

    def test_each_live_element_as_the_list_shows_it(self, client: TestClient, cats: Catalogs):
        for name, eid in cats.elements.items():
            response = _get(client, cats, self.url(cats.products, eid))
            assert response.status_code == 200
            assert response.headers["content-type"] == "application/hal+json"
            body = response.json()
            assert body == _element(cats, name)
            assert list(body) == ELEMENT_KEYS

    def test_an_element_of_another_catalog_is_read_under_its_own(
        self, client: TestClient, cats: Catalogs
    ):
        body = _get(client, cats, self.url(cats.regular, cats.elsewhere)).json()
        assert body == {
            "id": cats.elsewhere, "name": "Widget elsewhere", "created_by": 0, "updated_by": 0,
            "created_at": NOW - 10, "updated_at": NOW - 5, "is_deleted": False,
            "custom_fields_values": None, "catalog_id": cats.regular,
            "account_id": cats.account.id,
            "_links": {"self": {"href": (
                f"{ORIGIN}/api/v4/catalogs/{cats.regular}/elements/{cats.elsewhere}"
            )}},
        }  # fmt: skip

    @pytest.mark.parametrize(
        "which", ["deleted", "other catalog's", "other account's", "unknown", "zero", "huge"]
    )
    def test_an_element_the_catalog_does_not_hold_is_204(
        self, client: TestClient, cats: Catalogs, which: str
    ):
        element_id = {
            "deleted": cats.deleted, "other catalog's": cats.elsewhere,
            "other account's": cats.foreign_element, "unknown": 10**12, "zero": 0,
            "huge": 10**20,
        }[which]  # fmt: skip
        response = _get(client, cats, self.url(cats.products, element_id))
        assert response.status_code == 204
        assert response.content == b""
        assert "content-type" not in response.headers

    @pytest.mark.parametrize("which", ["foreign", "unknown", "zero", "huge"])
    def test_an_unknown_catalog_is_404(self, client: TestClient, cats: Catalogs, which: str):
        catalog_id, element_id = {
            "foreign": (cats.foreign_catalog, cats.foreign_element),
            "unknown": (10**12, cats.elements["Widget"]),
            "zero": (0, cats.elements["Widget"]),
            "huge": (10**20, cats.elements["Widget"]),
        }[which]
        response = _get(client, cats, self.url(catalog_id, element_id))
        assert response.status_code == 404
        assert response.json() == {**NOT_FOUND, "detail": "Catalog not found"}

    def test_a_non_numeric_element_id_is_an_unknown_route(self, client: TestClient, cats: Catalogs):
        path = f"/api/v4/catalogs/{cats.products}/elements/abc"
        response = _get(client, cats, path)
        assert response.status_code == 404
        assert response.json() == {**NOT_FOUND, "detail": f"Cannot GET {ORIGIN}{path}"}


@pytest.mark.parametrize(
    "path", ["/api/v4/catalogs", "/api/v4/catalogs/1", "/api/v4/catalogs/1/elements",
             "/api/v4/catalogs/1/elements/1"],
)  # fmt: skip
def test_requires_auth(client: TestClient, path: str):
    response = client.get(path)
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid user name or password"
