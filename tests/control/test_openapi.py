"""``/_kommodore/openapi.json``: an OpenAPI 3.1 document of every route the app serves under
``/api/v4``, ``/oauth2``, ``/admin`` and ``/_kommodore``, nothing more, whose ``$ref`` all
resolve, and against which real answers of the app validate, on both databases."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from starlette.routing import Route
from starlette.testclient import TestClient

from kommodore.accounts.service import ACCOUNT_WITH
from kommodore.app import create_app
from kommodore.control import openapi
from kommodore.control.endpoints import OFF
from kommodore.leads.service import LEAD_WITH
from kommodore.settings import WebhookSettings
from kommodore.users.service import USER_WITH
from tests.conftest import Backend
from tests.control.conftest import AUTH, CONTROL_TOKEN
from tests.factories import Factory
from tests.oauth.helpers import code_for, make_integration

DOC_URI = "urn:kommodore:openapi"
METHODS = {"get", "post", "patch", "put", "delete"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(openapi.document())
    return doc


@pytest.fixture(scope="module")
def registry(document: dict[str, Any]) -> Registry:  # type: ignore[type-arg]
    resource = Resource.from_contents(document, default_specification=DRAFT202012)
    return Registry().with_resource(DOC_URI, resource)  # type: ignore[no-any-return]


def _pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


class Checker:
    """Validates an answer against what the document says of its path, method and status."""

    def __init__(self, document: dict[str, Any], registry: Registry) -> None:  # type: ignore[type-arg]
        self.document = document
        self.registry = registry
        self.seen: set[tuple[str, str, int]] = set()

    def schema_for(
        self, method: str, route: str, status: int, media: str | None = None
    ) -> tuple[str | None, str]:
        """(media type, pointer to its schema) the document gives; None for no body.
        ``media``: the answer's, where the document gives more than one."""
        path = openapi.openapi_path(route)
        operation = self.document["paths"][path][method.lower()]
        assert str(status) in operation["responses"], f"{method} {route}: {status} undocumented"
        answer = operation["responses"][str(status)]
        if "content" not in answer:
            return None, ""
        if media is None:
            (media,) = answer["content"]
        assert media in answer["content"], f"{method} {route}: {status} as {media} undocumented"
        pointer = _pointer("paths", path, method.lower(), "responses", str(status), "content")
        return media, f"{pointer}/{_pointer(media)}/schema"

    def validate(self, body: Any, pointer: str) -> None:
        schema = {"$ref": f"{DOC_URI}#/{pointer}"}
        jsonschema.Draft202012Validator(schema, registry=self.registry).validate(body)

    def check_request(self, body: Any, method: str, route: str) -> None:
        """A body the server accepted fits the request body the document describes."""
        path = openapi.openapi_path(route)
        described = self.document["paths"][path][method.lower()].get("requestBody")
        assert described is not None, f"{method} {route}: takes no body, per the document"
        pointer = _pointer(
            "paths", path, method.lower(), "requestBody", "content", "application/json"
        )
        self.validate(body, f"{pointer}/schema")

    def check(self, response: Any, method: str, route: str, status: int) -> Any:
        assert response.status_code == status, (method, route, response.text)
        sent = response.headers.get("content-type")
        media, pointer = self.schema_for(method, route, status, sent)
        self.seen.add((method, route, status))
        if media is None:
            assert response.content == b""
            return None
        assert sent == media
        if media != "application/json" and not media.endswith("+json"):
            return response.text  # YAML: the same schema, not parsed here
        body = response.json()
        self.validate(body, pointer)
        return body


@pytest.fixture(scope="module")
def checker(document: dict[str, Any], registry: Registry) -> Checker:  # type: ignore[type-arg]
    return Checker(document, registry)


@pytest.fixture(scope="module")
def client(own_backend: Backend) -> Iterator[TestClient]:
    settings = own_backend.settings(
        control_api=True,
        control_token=CONTROL_TOKEN,
        webhooks=WebhookSettings(worker_in_process=False),
        outbound_allow_loopback=True,
    )
    with TestClient(create_app(settings)) as client:
        yield client


# -- the document --------------------------------------------------------------------------------


def _described_routes(control_api: bool) -> set[tuple[str, str]]:
    app = create_app(Backend("sqlite", "sqlite://", ".").settings(control_api=control_api))
    return {
        (method, route.path)
        for route in app.routes
        if isinstance(route, Route) and openapi.described(route.path)
        for method in route.methods or ()
        if method != "HEAD"
    }


def test_every_route_of_the_app_is_described_and_nothing_else(document: dict[str, Any]) -> None:
    assert set(openapi.OPERATIONS) == _described_routes(control_api=True)
    in_document = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in METHODS
    }
    assert in_document == {(m, openapi.openapi_path(p)) for m, p in openapi.OPERATIONS}


def test_a_route_the_document_lacks_fails_the_comparison() -> None:
    fewer = dict(openapi.OPERATIONS)
    del fewer[("GET", "/api/v4/account")]
    assert set(fewer) != _described_routes(control_api=True)


def test_the_document_is_openapi_3_1_and_every_ref_resolves(
    document: dict[str, Any],
    registry: Registry,  # type: ignore[type-arg]
) -> None:
    assert document["openapi"] == "3.1.0"
    assert set(document) == {"openapi", "info", "servers", "paths", "components", "tags"}
    for schema in document["components"]["schemas"].values():
        jsonschema.Draft202012Validator.check_schema(schema)

    refs: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                refs.append(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
    assert refs and all(r.startswith("#/components/schemas/") for r in refs)
    resolver = registry.resolver(DOC_URI)
    for ref in set(refs):
        assert resolver.lookup(f"{DOC_URI}{ref}").contents is not None
    used = {r.rsplit("/", 1)[1] for r in refs}
    assert set(document["components"]["schemas"]) == used  # no component left unused
    schemes = set(document["components"]["securitySchemes"])
    operations = [op for item in document["paths"].values() for op in item.values()]
    for operation in operations:
        for requirement in operation["security"]:
            assert set(requirement) <= schemes
    ids = [operation["operationId"] for operation in operations]
    assert len(ids) == len(set(ids)) == len(openapi.OPERATIONS)


def test_it_is_served_without_a_token_and_only_with_the_control_api_on(
    client: TestClient, own_backend: Backend
) -> None:
    served = client.get(openapi.PATH)
    assert served.status_code == 200
    assert served.headers["content-type"] == "application/json"
    assert served.content == openapi.document()
    with TestClient(create_app(own_backend.settings(control_api=False))) as off:
        refused = off.get(openapi.PATH)
    assert refused.status_code == 404
    assert refused.json() == {
        "title": "Not Found",
        "type": "https://httpstatus.es/404",
        "status": 404,
        "detail": OFF,
    }


# -- real answers validate -------------------------------------------------------------------------


def test_a_body_of_the_wrong_type_fails_validation(checker: Checker, client: TestClient) -> None:
    saved = client.post("/_kommodore/snapshots", json={"name": "negative"}, headers=AUTH)
    body = checker.check(saved, "POST", "/_kommodore/snapshots", 201)  # valid as answered
    _, pointer = checker.schema_for("POST", "/_kommodore/snapshots", 201)
    with pytest.raises(jsonschema.ValidationError) as wrong_type:
        checker.validate({**body, "created_at": "yesterday"}, pointer)
    assert list(wrong_type.value.path) == ["created_at"]
    with pytest.raises(jsonschema.ValidationError, match="'extra' was unexpected"):
        checker.validate({**body, "extra": 1}, pointer)
    checker.check_request([{"name": "A lead", "price": 5}], "POST", "/api/v4/leads")
    with pytest.raises(jsonschema.ValidationError):
        checker.check_request([{"name": 5}], "POST", "/api/v4/leads")
    with pytest.raises(AssertionError, match="418 undocumented"):
        checker.schema_for("GET", "/api/v4/account", 418)
    assert client.delete("/_kommodore/snapshots/negative", headers=AUTH).status_code == 204


class Session:
    """The app after a reset to a small demo account, with an admin's Kommo token; each call
    sends a request, checks its status and validates its body against the document."""

    def __init__(self, client: TestClient, checker: Checker) -> None:
        self.client, self.checker = client, checker
        self.demo = self.send(
            "POST", "/_kommodore/reset", {"to": "demo", "seed": 1, "leads": 40}, headers=AUTH
        )
        self.token = self.send("POST", "/_kommodore/tokens", {"subdomain": "demo"}, 201, AUTH)
        self.kommo = {"Authorization": f"Bearer {self.token['token']}"}

    def call(
        self,
        method: str,
        url: str,
        route: str | None = None,
        body: Any = None,
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """``route``: the app's route the URL matches (the URL itself when it has no ids)."""
        headers = self.kommo if headers is None else headers
        if body is None:
            response = self.client.request(method, url, headers=headers)
        else:
            response = self.client.request(method, url, json=body, headers=headers)
        route = route or url.split("?")[0]
        if body is not None and status < 300:
            self.checker.check_request(body, method, route)
        return self.checker.check(response, method, route, status)

    def get(self, url: str, route: str | None = None, status: int = 200, **kw: Any) -> Any:
        return self.call("GET", url, route, None, status, **kw)

    def send(self, method: str, url: str, body: Any, status: int = 200, headers: Any = None) -> Any:
        return self.call(method, url, None, body, status, headers)


def _leads(s: Session) -> int:
    """Reads with every ``with``, pages, 204s, writes, a complex add, Kommo's
    validation-errors, the admin deletes; returns a new lead's id."""
    every = ",".join(sorted(LEAD_WITH - {"only_deleted"}))
    one = "/api/v4/leads/{lead_id:int}"
    page = s.get(f"/api/v4/leads?with={every}&limit=5&page=2&order[id]=desc")
    assert set(page["_links"]) == {"self", "next", "first", "prev"}
    s.get("/api/v4/leads?filter[price][from]=0&filter[statuses][0][pipeline_id]=1", status=204)
    s.get("/api/v4/leads?query=a&filter[id][]=1", status=204)
    for lead in page["_embedded"]["leads"]:
        full = s.get(f"/api/v4/leads/{lead['id']}?with={every}", one)
    _, pointer = s.checker.schema_for("GET", one, 200)
    with pytest.raises(jsonschema.ValidationError):  # a real lead, one value of the wrong type
        s.checker.validate({**full, "price": str(full["price"])}, pointer)
    s.get("/api/v4/leads/999999999", one, 204)
    added = s.send(
        "POST", "/api/v4/leads",
        [{"name": "New", "price": 10, "tags_to_add": [{"name": "t1"}], "request_id": "r1"}],
    )  # fmt: skip
    new_id: int = added["_embedded"]["leads"][0]["id"]
    s.send("PATCH", "/api/v4/leads", [{"id": new_id, "price": 20}])
    s.send("PATCH", "/api/v4/leads", [{"id": new_id, "price_with_minor_units": 20.5}])
    assert s.get(f"/api/v4/leads/{new_id}", one)["price_with_minor_units"] == 20.5
    s.call("PATCH", f"/api/v4/leads/{new_id}", one, {"name": "Renamed"})
    s.send(
        "POST", "/api/v4/leads/complex",
        [{"name": "Deal", "_embedded": {"contacts": [{"first_name": "Ann"}],
                                         "companies": [{"name": "Acme"}]}},
         {"name": "Form", "_embedded": {"metadata": {
             "category": "forms", "form_id": 1, "form_name": "Site", "form_page": "https://a.b/",
             "form_sent_at": 1_700_000_000}}}],
    )  # fmt: skip
    unsorted = s.get("/api/v4/leads/unsorted?filter[category][]=forms&order[created_at]=desc")
    uid = unsorted["_embedded"]["unsorted"][0]["uid"]
    s.get(f"/api/v4/leads/unsorted/{uid}", "/api/v4/leads/unsorted/{uid:str}")
    s.get("/api/v4/leads/unsorted/nope", "/api/v4/leads/unsorted/{uid:str}", 204)
    invalid = s.send("POST", "/api/v4/leads", [{"name": 5}], 400)
    assert invalid["validation-errors"][0]["errors"][0]["code"] == "InvalidType"
    s.send("POST", "/admin/leads/delete", [{"id": new_id}], 204)
    s.get(f"/api/v4/leads/{new_id}?with=only_deleted", one)
    s.get("/api/v4/leads?with=only_deleted")
    s.send("POST", "/admin/leads/restore", [{"id": new_id}], 204)
    s.call("POST", f"/admin/leads/{new_id}/delete", "/admin/leads/{lead_id:int}/delete", status=204)
    s.call(
        "POST", f"/admin/leads/{new_id}/restore", "/admin/leads/{lead_id:int}/restore", status=204
    )
    return new_id


def _account_and_users(s: Session) -> None:
    s.get(f"/api/v4/account?with={','.join(sorted(ACCOUNT_WITH))}")
    users_with = ",".join(sorted(USER_WITH))
    s.get(f"/api/v4/users?with={users_with}")
    user_id = next(iter(s.demo["users"].values()))
    s.get(f"/api/v4/users/{user_id}?with={users_with}", "/api/v4/users/{user_id:int}")
    s.get(f"/api/v4/users/{user_id}/", "/api/v4/users/{user_id:int}/")


def _pipelines(s: Session) -> None:
    one = "/api/v4/leads/pipelines/{pipeline_id:int}"
    statuses = f"{one}/statuses"
    status = f"{statuses}/{{status_id:int}}"
    pipelines = s.get("/api/v4/leads/pipelines")
    pipeline = pipelines["_embedded"]["pipelines"][0]["id"]
    s.get(f"/api/v4/leads/pipelines/{pipeline}", one)
    found = s.get(f"/api/v4/leads/pipelines/{pipeline}/statuses?with=descriptions", statuses)
    status_id = found["_embedded"]["statuses"][0]["id"]
    s.get(f"/api/v4/leads/pipelines/{pipeline}/statuses/{status_id}?with=descriptions", status)
    missing = s.get("/api/v4/leads/pipelines/999999999", one, 404)
    assert missing["detail"] == "Pipeline not found"
    added = s.send(
        "POST", "/api/v4/leads/pipelines",
        [{"name": "Second", "sort": 20, "is_main": False, "is_unsorted_on": False,
          "_embedded": {"statuses": [{"name": "Open", "sort": 10, "color": "#fffeb2"}]}}],
    )  # fmt: skip
    second = added["_embedded"]["pipelines"][0]["id"]
    s.call("PATCH", f"/api/v4/leads/pipelines/{second}", one, {"name": "Second!"})
    base = f"/api/v4/leads/pipelines/{second}/statuses"
    new = s.call("POST", base, statuses, [{"name": "Next", "sort": 20, "color": "#fffeb2"}])
    new_status = new["_embedded"]["statuses"][0]["id"]
    s.call("PATCH", f"{base}/{new_status}", status, {"name": "Later"})
    s.call("DELETE", f"{base}/{new_status}", status, status=204)
    s.call("DELETE", f"/api/v4/leads/pipelines/{second}", one, status=204)


def _directories(s: Session) -> None:
    """Custom fields, tags, catalogs, loss reasons and sources: read, add, edit, delete."""
    field = "/api/v4/leads/custom_fields/{field_id:int}"
    fields = s.get("/api/v4/leads/custom_fields?limit=3")
    s.get(f"/api/v4/leads/custom_fields/{fields['_embedded']['custom_fields'][0]['id']}", field)
    added = s.send(
        "POST", "/api/v4/leads/custom_fields",
        [{"type": "select", "name": "Size", "enums": [{"value": "S"}, {"value": "L"}]}], 201,
    )  # fmt: skip
    field_id = added["_embedded"]["custom_fields"][0]["id"]
    s.send("PATCH", "/api/v4/leads/custom_fields", [{"id": field_id, "name": "Size 2"}])
    for kind in ("contacts", "companies"):
        of_kind = s.get(f"/api/v4/{kind}/custom_fields?limit=50")["_embedded"]["custom_fields"]
        one_of_kind = f"/api/v4/{kind}/custom_fields/{{field_id:int}}"
        s.get(f"/api/v4/{kind}/custom_fields/{of_kind[0]['id']}", one_of_kind)
        new_of_kind = s.send(
            "POST", f"/api/v4/{kind}/custom_fields",
            [{"type": "multitext", "name": "Messenger", "enums": [{"value": "TG"}]}], 201,
        )["_embedded"]["custom_fields"][0]["id"]  # fmt: skip
        s.send("PATCH", f"/api/v4/{kind}/custom_fields", [{"id": new_of_kind, "name": "IM 2"}])
        s.call("PATCH", f"/api/v4/{kind}/custom_fields/{new_of_kind}", one_of_kind,
               {"name": "IM 3"})  # fmt: skip
        s.call("DELETE", f"/api/v4/{kind}/custom_fields/{new_of_kind}", one_of_kind, status=204)
    for kind in ("leads", "contacts", "companies"):
        groups = f"/api/v4/{kind}/custom_fields/groups"
        group = f"{groups}/{{group_id}}"
        listed = s.get(f"{groups}?limit=5")["_embedded"]["custom_field_groups"]
        s.get(f"{groups}/{listed[0]['id']}", group)
        new_group = s.send("POST", groups, [{"name": "Tab", "sort": 3}])
        group_id = new_group["_embedded"]["custom_field_groups"][0]["id"]
        moved = [field_id] if kind == "leads" else []
        s.call("PATCH", f"{groups}/{group_id}", group, {"name": "Tab 2", "fields": moved})
        s.call("DELETE", f"{groups}/{group_id}", group, status=204)
    s.call("PATCH", f"/api/v4/leads/custom_fields/{field_id}", field, {"name": "Size 3"})
    s.call("DELETE", f"/api/v4/leads/custom_fields/{field_id}", field, status=204)

    s.get("/api/v4/leads/tags")
    s.send("POST", "/api/v4/leads/tags", [{"name": "fresh", "color": None}])
    catalogs = s.get("/api/v4/catalogs")
    catalog_id = catalogs["_embedded"]["catalogs"][0]["id"]
    catalog = "/api/v4/catalogs/{catalog_id:int}"
    s.get(f"/api/v4/catalogs/{catalog_id}", catalog)
    assert s.get("/api/v4/catalogs/999999999", catalog, 404)["detail"] == "Catalog not found"
    elements = s.get(f"/api/v4/catalogs/{catalog_id}/elements", f"{catalog}/elements")
    element = f"{catalog}/elements/{{element_id:int}}"
    element_id = elements["_embedded"]["elements"][0]["id"]
    s.get(f"/api/v4/catalogs/{catalog_id}/elements/{element_id}", element)
    s.get(f"/api/v4/catalogs/{catalog_id}/elements/999999999", element, 204)

    reason = "/api/v4/leads/loss_reasons/{reason_id:int}"
    s.get("/api/v4/leads/loss_reasons")
    added = s.send("POST", "/api/v4/leads/loss_reasons", [{"name": "Late"}])
    reason_id = added["_embedded"]["loss_reasons"][0]["id"]
    s.get(f"/api/v4/leads/loss_reasons/{reason_id}", reason)
    s.call("PATCH", f"/api/v4/leads/loss_reasons/{reason_id}", reason, {"name": "Later"})
    s.call("DELETE", f"/api/v4/leads/loss_reasons/{reason_id}", reason, status=204)

    source = "/api/v4/sources/{source_id:int}"
    pipeline = s.get("/api/v4/leads/pipelines")["_embedded"]["pipelines"][0]["id"]
    added = s.send(
        "POST", "/api/v4/sources",
        [{"name": "Form", "external_id": "form-1", "pipeline_id": pipeline},
         {"name": "Chat", "external_id": "chat-1", "pipeline_id": pipeline}],
    )  # fmt: skip
    form, chat = (x["id"] for x in added["_embedded"]["sources"])
    s.get("/api/v4/sources")
    s.get(f"/api/v4/sources/{form}", source)
    s.send("PATCH", "/api/v4/sources", [{"id": form, "name": "Form 2"}])
    s.call("PATCH", f"/api/v4/sources/{form}", source, {"name": "Form 3"})
    s.call("DELETE", f"/api/v4/sources/{form}", source, status=204)
    s.send("DELETE", "/api/v4/sources", [{"id": chat}], 204)


def _links(s: Session, lead_id: int) -> None:
    """A lead's contacts and companies, and linking one to a lead."""
    page = s.get("/api/v4/leads?with=contacts&limit=50")["_embedded"]["leads"]
    contact = next(x["_embedded"]["contacts"][0]["id"] for x in page if x["_embedded"]["contacts"])
    company = next(
        x["_embedded"]["companies"][0]["id"] for x in page if x["_embedded"]["companies"]
    )
    s.get(f"/api/v4/contacts/{contact}?with=leads", "/api/v4/contacts/{contact_id:int}")
    s.get(f"/api/v4/companies/{company}?with=contacts", "/api/v4/companies/{company_id:int}")
    s.get("/api/v4/contacts?with=leads,catalog_elements&limit=5&order[updated_at]=desc")
    s.get("/api/v4/companies?with=contacts,leads&limit=5&query=a")
    added = s.send(
        "POST",
        "/api/v4/contacts",
        [
            {
                "first_name": "Ann",
                "custom_fields_values": [
                    {
                        "field_code": "PHONE",
                        "values": [{"value": "+1 555 0100", "enum_code": "MOB"}],
                    }
                ],
            }
        ],
    )
    new_contact = added["_embedded"]["contacts"][0]["id"]
    s.send("PATCH", "/api/v4/contacts", [{"id": new_contact, "last_name": "Lee",
                                          "tags_to_add": [{"name": "met"}]}])  # fmt: skip
    for kind in ("contacts", "companies"):
        s.send("POST", f"/api/v4/{kind}/tags", [{"name": "partner"}])
        s.get(f"/api/v4/{kind}/tags?limit=10")
    s.call("PATCH", f"/api/v4/contacts/{new_contact}", "/api/v4/contacts/{contact_id:int}",
           {"name": "Ann Lee"})  # fmt: skip
    s.call("PATCH", f"/api/v4/contacts/{new_contact}", "/api/v4/contacts/{contact_id:int}",
           [{"name": "Ann Lee"}], 405)  # fmt: skip
    s.send("POST", "/api/v4/contacts", [{"name": 5}], 400)
    made = s.send("POST", "/api/v4/companies", [{"name": "Acme"}])
    new_company = made["_embedded"]["companies"][0]["id"]
    s.send("PATCH", "/api/v4/companies", [{"id": new_company, "name": "Acme 2"}])
    s.call("PATCH", f"/api/v4/companies/{new_company}", "/api/v4/companies/{company_id:int}",
           {"name": "Acme 3"})  # fmt: skip
    s.get(f"/api/v4/contacts/{contact}/links", "/api/v4/contacts/{contact_id:int}/links")
    s.get(f"/api/v4/companies/{company}/links", "/api/v4/companies/{company_id:int}/links")
    s.get(f"/api/v4/contacts/links?filter[entity_id]={contact}")
    to_company = [{"to_entity_id": company, "to_entity_type": "companies"}]
    s.call("POST", f"/api/v4/contacts/{contact}/link", "/api/v4/contacts/{contact_id:int}/link",
           to_company)  # fmt: skip
    s.call("POST", f"/api/v4/contacts/{contact}/unlink",
           "/api/v4/contacts/{contact_id:int}/unlink", to_company, status=204)  # fmt: skip
    to_contact = [{"to_entity_id": contact, "to_entity_type": "contacts"}]
    s.call("POST", f"/api/v4/companies/{company}/link",
           "/api/v4/companies/{company_id:int}/link", to_contact)  # fmt: skip
    s.call("POST", f"/api/v4/companies/{company}/unlink",
           "/api/v4/companies/{company_id:int}/unlink", to_contact, status=204)  # fmt: skip
    batch = [{"entity_id": contact, "to_entity_id": company, "to_entity_type": "companies"}]
    s.send("POST", "/api/v4/contacts/link", batch)
    s.send("POST", "/api/v4/contacts/unlink", batch, status=204)
    batch = [{"entity_id": company, "to_entity_id": contact, "to_entity_type": "contacts"}]
    s.send("POST", "/api/v4/companies/link", batch)
    s.send("POST", "/api/v4/companies/unlink", batch, status=204)
    catalog = s.get("/api/v4/catalogs")["_embedded"]["catalogs"][0]["id"]
    elements = s.get(f"/api/v4/catalogs/{catalog}/elements",
                     "/api/v4/catalogs/{catalog_id:int}/elements")  # fmt: skip
    element = elements["_embedded"]["elements"][0]["id"]
    metadata = {"catalog_id": catalog, "quantity": 2, "price_id": None}
    to_element = [{"to_entity_id": element, "to_entity_type": "catalog_elements",
                   "metadata": metadata}]  # fmt: skip
    s.call("POST", f"/api/v4/companies/{company}/link",
           "/api/v4/companies/{company_id:int}/link", to_element)  # fmt: skip
    s.get(f"/api/v4/companies/{company}?with=catalog_elements",
          "/api/v4/companies/{company_id:int}")  # fmt: skip
    s.get(f"/api/v4/companies/links?filter[entity_id]={company}")
    s.call("POST", f"/api/v4/companies/{company}/unlink",
           "/api/v4/companies/{company_id:int}/unlink", to_element, status=204)  # fmt: skip
    linked = page[0]["id"]
    s.get(f"/api/v4/leads/{linked}/links?limit=1", "/api/v4/leads/{lead_id:int}/links")
    s.get(f"/api/v4/leads/links?filter[entity_id]={linked}")
    link = [{"to_entity_id": company, "to_entity_type": "companies"}]
    s.call("POST", f"/api/v4/leads/{lead_id}/link", "/api/v4/leads/{lead_id:int}/link", link)
    route = "/api/v4/leads/{lead_id:int}/unlink"
    s.call("POST", f"/api/v4/leads/{lead_id}/unlink", route, link, 204)
    s.send("POST", "/api/v4/leads/link", [{"entity_id": lead_id, **link[0]}])
    s.send("POST", "/api/v4/leads/unlink", [{"entity_id": lead_id, **link[0]}], 204)


def _notes(s: Session) -> None:
    """Every notes path on leads, contacts and companies: lists, one note both ways, adds and
    edits both ways, pin and unpin, a refused item."""
    page = s.get("/api/v4/leads?with=contacts&limit=50")["_embedded"]["leads"]
    parents = {
        "leads": page[0]["id"],
        "contacts": next(x["_embedded"]["contacts"][0]["id"] for x in page
                         if x["_embedded"]["contacts"]),
        "companies": next(x["_embedded"]["companies"][0]["id"] for x in page
                          if x["_embedded"]["companies"]),
    }  # fmt: skip
    for kind, parent in parents.items():
        base, one = f"/api/v4/{kind}", f"/api/v4/{kind}/{{entity_id:int}}"
        added = s.send("POST", f"{base}/notes", [
            {"entity_id": parent, "note_type": "common", "params": {"text": "t"}},
            {"entity_id": parent, "note_type": "call_in", "request_id": "call",
             "params": {"uniq": "u", "duration": 3, "source": "s", "link": "https://l",
                        "phone": "1", "call_status": 4}},
        ])  # fmt: skip
        first = added["_embedded"]["notes"][0]["id"]
        s.call(
            "POST",
            f"{base}/{parent}/notes",
            f"{one}/notes",
            [{"note_type": "attachment", "params": {"file_uuid": "f", "file_name": "a"}}],
        )
        s.send("PATCH", f"{base}/notes", [{"id": first, "params": {"text": "u"}}])
        s.call(
            "PATCH",
            f"{base}/{parent}/notes",
            f"{one}/notes",
            [{"id": first, "params": {"text": "v"}, "request_id": "e"}],
        )
        s.call(
            "PATCH",
            f"{base}/{parent}/notes/{first}",
            f"{one}/notes/{{note_id:int}}",
            {"params": {"text": "w"}},
        )
        s.call("POST", f"{base}/notes/{first}/pin", f"{base}/notes/{{note_id:int}}/pin", status=204)
        s.get(f"{base}/notes?with=is_pinned&filter[note_type][]=common&order[updated_at]=desc")
        s.get(f"{base}/notes?filter[id]=1", status=204)
        s.get(f"{base}/{parent}/notes?limit=1", f"{one}/notes")
        s.get(f"{base}/{10**15}/notes", f"{one}/notes", status=204)
        s.get(f"{base}/notes/{first}?with=is_pinned", f"{base}/notes/{{note_id:int}}")
        s.get(f"{base}/notes/{10**15}", f"{base}/notes/{{note_id:int}}", status=204)
        s.get(f"{base}/{parent}/notes/{first}", f"{one}/notes/{{note_id:int}}")
        s.get(f"{base}/{parent}/notes/1", f"{one}/notes/{{note_id:int}}", status=204)
        s.call(
            "POST", f"{base}/notes/{first}/unpin", f"{base}/notes/{{note_id:int}}/unpin", status=204
        )
        s.call("POST", f"{base}/notes/1/unpin", f"{base}/notes/{{note_id:int}}/unpin", status=404)
        refused = s.send("POST", f"{base}/notes", [{"entity_id": parent, "note_type": "chat"}],
                         400)  # fmt: skip
        assert refused["validation-errors"][0]["errors"][0]["path"] == "note_type"


def _tasks(s: Session, lead_id: int) -> None:
    """Add, list, read, edit and complete tasks; the types; a refusal."""
    one = "/api/v4/tasks/{task_id:int}"
    added = s.send(
        "POST", "/api/v4/tasks",
        [{"text": "Call", "complete_till": 1_900_000_000, "entity_type": "leads",
          "entity_id": lead_id, "request_id": "t1"},
         {"text": "Plan", "complete_till": 1_900_000_100, "task_type_id": 2}],
    )  # fmt: skip
    first, second = (t["id"] for t in added["_embedded"]["tasks"])
    s.send("PATCH", "/api/v4/tasks", [{"id": second, "text": "Plan more"}])
    s.call("PATCH", f"/api/v4/tasks/{first}", one,
           {"is_completed": True, "result": {"text": "Done"}})  # fmt: skip
    s.get(f"/api/v4/tasks/{first}", one)
    s.get(f"/api/v4/tasks/{second}", one)
    s.get("/api/v4/tasks/999999999", one, 204)
    s.get("/api/v4/tasks?limit=1&filter[is_completed]=1&order[complete_till]=desc")
    s.get("/api/v4/tasks?filter[complete_till][from]=1&filter[complete_till][to]=2", status=204)
    s.get("/api/v4/tasks/types")
    invalid = s.send("POST", "/api/v4/tasks", [{"text": ""}], 400)
    assert invalid["validation-errors"][0]["errors"][0]["code"] == "NotBlank"


def _webhooks_and_events(s: Session, lead_id: int) -> None:
    hook = {"destination": "http://127.0.0.1:9/hook", "settings": ["update_lead"]}
    s.send("POST", "/api/v4/webhooks", hook, 201)
    s.get("/api/v4/webhooks")
    s.call("PATCH", f"/api/v4/leads/{lead_id}", "/api/v4/leads/{lead_id:int}", {"price": 7})
    events = s.get("/api/v4/events?with=lead_name,contact_name,company_name&limit=2")
    s.get("/api/v4/events?filter[entity]=contact,company&with=contact_name")
    event_id = events["_embedded"]["events"][0]["id"]
    s.get(f"/api/v4/events/{event_id}?with=lead_name", "/api/v4/events/{event_id:str}")
    s.get("/api/v4/events/types")
    deliveries = s.get("/_kommodore/webhook-deliveries", headers=AUTH)["deliveries"]
    route = "/_kommodore/webhook-deliveries/{delivery_id:int}/retry"
    retry = f"/_kommodore/webhook-deliveries/{deliveries[0]['id']}/retry"
    s.call("POST", retry, route, headers=AUTH)
    s.send("DELETE", "/api/v4/webhooks", {"destination": hook["destination"]}, 204)
    s.send("DELETE", "/api/v4/webhooks", {"destination": "http://x.test/"}, 404)


def _refusals(s: Session) -> None:
    """401 (no token), 403 (an admin's endpoint, by a user), 429 (injected, Kommo's body),
    OAuth's own error shape."""
    s.get("/api/v4/leads", status=401, headers={})
    user_id = list(s.demo["users"].values())[-1]
    token = s.send("POST", "/_kommodore/tokens", {"user_id": user_id}, 201, AUTH)["token"]
    s.get("/api/v4/users", status=403, headers={"Authorization": f"Bearer {token}"})
    rule = {"match": {"path": "/api/v4/account"}, "status": 429, "times": 1}
    s.send("POST", "/_kommodore/faults", rule, 201, AUTH)
    s.get("/_kommodore/faults", headers=AUTH)
    assert s.get("/api/v4/account", status=429)["status"] == 429
    s.send("POST", "/oauth2/access_token", {"grant_type": "authorization_code"}, 400, {})
    s.get("/oauth2/account/current/subdomain", status=401, headers={"X-Refresh-Token": "x"})
    s.get("/oauth2/account/subdomain", status=401, headers={"Authorization": "Bearer x"})


def _oauth(s: Session, factory: Factory) -> None:
    """A code exchanged for a token pair, and the account its refresh token belongs to."""
    account = factory.account()
    integration = make_integration(s.client)
    grant = {
        "client_id": integration.id,
        "client_secret": integration.secret,
        "grant_type": "authorization_code",
        "code": code_for(s.client, account, integration),
        "redirect_uri": integration.redirect_uri,
    }
    pair = s.send("POST", "/oauth2/access_token", grant, headers={})
    refresh = {"X-Refresh-Token": pair["refresh_token"]}
    s.get("/oauth2/account/current/subdomain", headers=refresh)
    access = {"Authorization": f"Bearer {pair['access_token']}"}
    s.get("/oauth2/account/subdomain", headers=access)


def _seed(s: Session) -> None:
    """The demo account exported (JSON, YAML) and seeded back over an emptied state; a
    refused seed document answers every problem."""
    exported = s.get("/_kommodore/export?subdomain=demo", headers=AUTH)
    assert exported["accounts"][0]["subdomain"] == "demo"
    yaml = s.get("/_kommodore/export?subdomain=demo&format=yaml", headers=AUTH)
    assert "subdomain: demo" in yaml
    s.get("/_kommodore/export?subdomain=nobody", status=404, headers=AUTH)
    refused = s.send("POST", "/_kommodore/seed", {"accounts": 5}, 400, AUTH)
    assert refused["problems"]
    s.call("POST", "/_kommodore/seed?reset=true", "/_kommodore/seed", exported, 201, AUTH)


def _control(s: Session) -> None:
    snapshot = "/_kommodore/snapshots/{name}"
    s.send("POST", "/_kommodore/snapshots", {"name": "s1"}, 201, AUTH)
    s.get("/_kommodore/snapshots", headers=AUTH)
    assert s.get("/_kommodore/requests?limit=50", headers=AUTH)["requests"]
    s.call("POST", "/_kommodore/snapshots/s1/restore", f"{snapshot}/restore", headers=AUTH)
    s.call("POST", "/_kommodore/snapshots/no/restore", f"{snapshot}/restore", None, 404, AUTH)
    s.call("DELETE", "/_kommodore/snapshots/s1", snapshot, None, 204, AUTH)
    s.send("POST", "/_kommodore/reset", {"to": "nowhere"}, 400, AUTH)
    s.get("/_kommodore/requests", status=401, headers={})
    s.call("DELETE", "/_kommodore/faults", None, None, 204, AUTH)
    s.call("DELETE", "/_kommodore/faults/12345", "/_kommodore/faults/{rule_id:int}", None, 404,
           AUTH)  # fmt: skip
    s.call("DELETE", "/_kommodore/requests", None, None, 204, AUTH)
    s.get(openapi.PATH, headers={})


def test_real_answers_validate_against_the_document(
    client: TestClient, checker: Checker, factory: Factory
) -> None:
    s = Session(client, checker)
    lead_id = _leads(s)
    _account_and_users(s)
    _pipelines(s)
    _directories(s)
    _links(s, lead_id)
    _notes(s)
    _tasks(s, lead_id)
    _webhooks_and_events(s, lead_id)
    _refusals(s)
    _oauth(s, factory)
    _control(s)
    _seed(s)
    exercised = {(method, route) for method, route, _ in checker.seen}
    assert sorted(set(openapi.OPERATIONS) - exercised) == []
