"""What every response carries, and Kommo-shaped answers to requests no route takes."""

from __future__ import annotations

import email.utils

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.routing import Route
from starlette.testclient import TestClient

from kommodore.http.middleware import EdgeMiddleware
from tests.factories import Account, Factory


@pytest.fixture(scope="module")
def account(factory: Factory) -> Account:
    return factory.account()


@pytest.fixture(scope="module")
def auth(factory: Factory, account: Account) -> dict[str, str]:
    return {"Authorization": f"Bearer {factory.token(account, account.admin)}"}


@pytest.fixture(scope="module")
def lead_id(factory: Factory, account: Account) -> int:
    return factory.lead(account)


def problem(status: int, detail: str) -> dict[str, object]:
    titles = {404: "Not Found", 405: "Method Not Allowed"}
    return {
        "title": titles[status],
        "type": f"https://httpstatus.es/{status}",
        "status": status,
        "detail": detail,
    }


@pytest.mark.parametrize(
    "path", ["/api/v4/leads/abc", "/api/v4/leads/12abc", "/api/v4/leads/-5", "/api/v4/nothing",
             "/", "/api/v4/leads/1/nope", "/example"],
)  # fmt: skip
def test_unknown_routes_and_non_numeric_ids_are_404_problems(client: TestClient, auth, path):
    """Kommo's 404 names the method and the full URL: ``Cannot GET https://{host}/{path}``."""
    response = client.get(path, headers=auth)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == problem(404, f"Cannot GET http://testserver{path}")


@pytest.mark.parametrize("method", ["GET", "POST", "PATCH", "DELETE", "PUT"])
def test_the_detail_names_the_method_and_keeps_the_query_as_sent(
    client: TestClient, auth, method: str
):
    url = "/leads/?query=%22%D0%BC%22!&filter[id][]=1"
    response = client.request(method, url, headers=auth)
    assert response.status_code == 404
    assert response.json() == problem(404, f"Cannot {method} http://testserver{url}")


def test_the_detail_keeps_the_path_as_sent_and_folds_double_slashes(client: TestClient, auth):
    encoded = client.get("http://testserver/api/v4/le%20ads", headers=auth)
    assert encoded.json() == problem(404, "Cannot GET http://testserver/api/v4/le%20ads")
    doubled = client.get("http://testserver//api/v4//nothing", headers=auth)
    assert doubled.json() == problem(404, "Cannot GET http://testserver/api/v4/nothing")


def test_the_detail_names_the_origin_the_client_used(client: TestClient, auth):
    headers = {**auth, "Host": "acme.kommo.test:8443"}
    response = client.get("https://acme.kommo.test:8443/api/v4/nothing", headers=headers)
    assert response.json() == problem(404, "Cannot GET https://acme.kommo.test:8443/api/v4/nothing")


def test_without_a_token_the_unknown_route_is_still_a_404(client: TestClient):
    response = client.get("/api/v4/nothing")
    assert response.status_code == 404
    assert response.json() == problem(404, "Cannot GET http://testserver/api/v4/nothing")


@pytest.mark.parametrize(
    "path",
    ["/api/v4/customers/notes", "/api/v4/segments/12/notes/3", "/api/v4/customers/tags",
     "/api/v4/catalogz/custom_fields", "/api/v4/customers/5/links", "/api/v4/customers/link",
     "/api/v4/customers/unlink"],
)  # fmt: skip
def test_an_unknown_entity_type_in_a_sub_resource_path_is_not_found(
    client: TestClient, auth, path: str
):
    """Our choice: an unknown ``{entity_type}`` in a notes, tags, custom fields or links path
    is ``"detail": "Not Found"``."""
    response = client.get(path, headers=auth)
    assert response.status_code == 404
    assert response.json() == problem(404, "Not Found")


def test_unsupported_method_is_405_problem(client: TestClient, auth, lead_id: int):
    response = client.delete(f"/api/v4/leads/{lead_id}", headers=auth)
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == problem(405, "Method Not Allowed")


def test_double_slashes_are_the_same_path(client: TestClient, auth, lead_id: int):
    single = client.get(f"/api/v4/leads/{lead_id}", headers=auth)
    # absolute URLs: a relative "//api/..." would be read as a host by the client
    double = client.get(f"http://testserver//api/v4/leads/{lead_id}", headers=auth)
    triple = client.get(f"http://testserver/api//v4///leads/{lead_id}", headers=auth)
    assert single.status_code == double.status_code == triple.status_code == 200
    assert single.json() == double.json() == triple.json()


def test_date_and_request_id_on_every_response(client: TestClient, auth, lead_id: int):
    ids = set()
    for path, headers in (
        (f"/api/v4/leads/{lead_id}", auth),
        (f"/api/v4/leads/{lead_id}", {}),
        ("/api/v4/leads/999999999", auth),
        ("/nope", auth),
    ):
        response = client.get(path, headers=headers)
        assert email.utils.parsedate_to_datetime(response.headers["date"]) is not None
        ids.add(response.headers["x-request-id"])
    assert len(ids) == 4


@pytest.mark.parametrize(
    "headers",
    [{"Accept": "text/html"}, {"Accept": "application/xml"}, {"Content-Type": "application/json"},
     {"Accept": "*/*", "Content-Type": "application/x-www-form-urlencoded"}],
)  # fmt: skip
def test_any_accept_or_content_type_gets_the_same_answer(client, auth, lead_id, headers):
    response = client.get(f"/api/v4/leads/{lead_id}", headers={**auth, **headers})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/hal+json"
    assert "status" not in response.json()


def test_success_body_has_no_status_key_and_errors_do(client: TestClient, auth, lead_id: int):
    assert "status" not in client.get(f"/api/v4/leads/{lead_id}", headers=auth).json()
    assert client.get(f"/api/v4/leads/{lead_id}").json()["status"] == 401


def test_healthz(client: TestClient, backend):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"healthy": True, "database": backend.name}


def test_metrics_count_requests(client: TestClient):
    client.get("/healthz")
    text = client.get("/metrics").text
    assert 'kommodore_http_requests_total{method="GET",status="200"}' in text
    assert "kommodore_http_request_seconds_bucket" in text


def test_unhandled_error_is_a_problem_with_trace_id():
    async def boom(request: Request) -> None:
        raise RuntimeError("bug")

    app = Starlette(routes=[Route("/boom", boom)], middleware=[Middleware(EdgeMiddleware)])
    with TestClient(app, raise_server_exceptions=False) as test_client:
        response = test_client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body == {
        "title": "ErrInternalServer",
        "type": "https://httpstatus.es/500",
        "status": 500,
        "detail": "Internal server error",
        "trace_id": response.headers["x-request-id"],
    }
