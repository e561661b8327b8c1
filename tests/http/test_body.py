"""One body reader for every endpoint: each way a body can be bad is a 400 or 413 problem that
changes nothing, before login as after it, and a stranger can make the server hold only a few
kilobytes."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

from kommodore.http.body import MAX_BODY_BYTES, MAX_DEPTH, PUBLIC_BODY_BYTES, depth_within
from tests.factories import Account, Factory


@pytest.fixture(scope="module")
def account(factory: Factory) -> Account:
    return factory.account()


@pytest.fixture(scope="module")
def auth(factory: Factory, account: Account) -> dict[str, str]:
    return {"Authorization": f"Bearer {factory.token(account, account.admin)}"}


def problem(status: int, detail: str) -> dict[str, object]:
    titles = {400: "Bad Request", 413: "Request Entity Too Large"}
    return {
        "title": titles[status],
        "type": f"https://httpstatus.es/{status}",
        "status": status,
        "detail": detail,
    }


def lead_count(client: TestClient, auth: dict[str, str]) -> int:
    response = client.get("/api/v4/leads?limit=250", headers=auth)
    return 0 if response.status_code == 204 else len(response.json()["_embedded"]["leads"])


NOT_JSON = problem(400, "Request body is not valid JSON")
TOO_DEEP = problem(400, f"Request body nests deeper than {MAX_DEPTH} levels")
TOO_LARGE = problem(413, "Request Entity Too Large")

WRITES = [
    ("POST", "/api/v4/leads"),
    ("PATCH", "/api/v4/leads"),
    ("POST", "/api/v4/leads/complex"),
    ("POST", "/api/v4/leads/link"),
    ("POST", "/api/v4/leads/pipelines"),
    ("POST", "/api/v4/leads/custom_fields"),
    ("POST", "/api/v4/leads/tags"),
    ("POST", "/api/v4/leads/loss_reasons"),
    ("POST", "/api/v4/sources"),
    ("POST", "/api/v4/webhooks"),
]


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_invalid_utf8_inside_json_is_a_400(client: TestClient, auth, method: str, path: str):
    before = lead_count(client, auth)
    response = client.request(method, path, headers=auth, content=b'[{"name":"\xff"}]')
    assert (response.status_code, response.json()) == (400, NOT_JSON)
    assert response.headers["content-type"] == "application/problem+json"
    assert lead_count(client, auth) == before


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_deep_nesting_is_a_400(client: TestClient, auth, method: str, path: str):
    deep = b'[{"name":"x","_embedded":' + b"[" * 973 + b"]" * 973 + b"}]"
    response = client.request(method, path, headers=auth, content=deep)
    assert (response.status_code, response.json()) == (400, TOO_DEEP)
    just_past = b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1)
    response = client.request(method, path, headers=auth, content=just_past)
    assert (response.status_code, response.json()) == (400, TOO_DEEP)


def test_nesting_within_the_limit_reaches_validation(client: TestClient, auth):
    body = {"name": "deep enough", "custom_fields_values": [[[[[[[[1]]]]]]]]}
    response = client.post("/api/v4/leads", headers=auth, json=[body])
    assert response.status_code == 400
    assert "validation-errors" in response.json()


def test_oversized_body_is_a_413_by_its_declared_length(client: TestClient, auth):
    before = lead_count(client, auth)
    body = b"[" + b'{"name":"x"},' * (MAX_BODY_BYTES // 13) + b'{"name":"x"}]'
    response = client.post("/api/v4/leads", headers=auth, content=body)
    assert (response.status_code, response.json()) == (413, TOO_LARGE)
    assert lead_count(client, auth) == before


def test_oversized_chunked_body_is_a_413(client: TestClient, auth):
    def chunks():  # no Content-Length: refused once past the limit
        yield b"["
        for _ in range(MAX_BODY_BYTES // 65536 + 2):
            yield b" " * 65536
        yield b"]"

    response = client.post("/api/v4/leads", headers=auth, content=chunks())
    assert (response.status_code, response.json()) == (413, TOO_LARGE)


def test_malformed_content_length_is_a_400(client: TestClient, auth):
    response = client.post(
        "/api/v4/leads", headers={**auth, "Content-Length": "12x"}, content=b'[{"name":"x"}]'
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "body",
    [b'{"grant_type":"\xff"}', b'{"grant_type":' + b"[" * 973 + b"]" * 973 + b"}",
     b'{"grant_type":1e400}', b"grant_type=\xff\xfe", b"=&" * 200],
)  # fmt: skip
def test_token_endpoint_takes_unreadable_bodies_as_no_parameters(client: TestClient, body):
    response = client.post(
        "/oauth2/access_token", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["hint"] == "Check the `grant_type` parameter"


def test_token_endpoint_refuses_more_than_a_few_kilobytes(client: TestClient):
    body = json.dumps({"grant_type": "x", "pad": ["a"] * PUBLIC_BODY_BYTES}).encode()
    response = client.post("/oauth2/access_token", content=body)
    assert (response.status_code, response.json()) == (413, TOO_LARGE)


def test_token_endpoint_caps_multipart_and_takes_no_files(client: TestClient):
    big = {"file": ("big.bin", b"\0" * (PUBLIC_BODY_BYTES + 1))}
    response = client.post("/oauth2/access_token", files=big, data={"grant_type": "x"})
    assert (response.status_code, response.json()) == (413, TOO_LARGE)
    small = {"file": ("small.bin", b"\0" * 10)}
    response = client.post("/oauth2/access_token", files=small, data={"grant_type": "x"})
    assert response.status_code == 400  # a file part spoils the form: no parameters
    assert response.json()["hint"] == "Check the `grant_type` parameter"


def test_multipart_form_fields_are_read(client: TestClient):
    response = client.post(
        "/oauth2/access_token",
        files={"grant_type": (None, "authorization_code"), "client_id": (None, "nope")},
    )
    assert response.status_code in (400, 401)
    assert response.json()["hint"] != "Check the `grant_type` parameter"


def test_sign_in_form_refuses_more_than_a_few_kilobytes(client: TestClient):
    body = b"email=a&password=" + b"x" * PUBLIC_BODY_BYTES
    response = client.post(
        "/oauth/login",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert (response.status_code, response.json()) == (413, TOO_LARGE)


def test_without_a_token_the_body_is_never_read(client: TestClient):
    body = b"[" + b'{"name":"x"},' * 1000 + b"\xff"
    response = client.post("/api/v4/leads", content=body)
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("raw", "within"),
    [(b"[]", True), (b"[" * 32 + b"]" * 32, True), (b"[" * 33 + b"]" * 33, False),
     (b'{"a":' * 33 + b"1" + b"}" * 33, False),
     (b'["]]]]",' * 40 + b"1" + b"]" * 40, False),  # brackets inside strings are not structure
     (b'["\\"]",' * 40 + b"1" + b"]" * 40, False),  # nor are escaped quotes the strings' ends
     (b'["\\\\",' * 40 + b"1" + b"]" * 40, False),  # while an escaped backslash is not an escape
     (b'[' + b'{"a":[1,{"b":"[[[["}]},' * 500 + b"1]", True)],
)  # fmt: skip
def test_depth_is_measured_on_structure_only(raw: bytes, within: bool):
    json.loads(raw)  # every case is valid JSON
    assert depth_within(raw, 32) is within


def test_a_body_that_stops_arriving_is_a_408(monkeypatch: pytest.MonkeyPatch):
    """A client that sends its headers and then trickles (or withholds) the body gets a 408
    once the deadline passes, instead of holding the request open for ever."""
    import asyncio

    from starlette.requests import Request

    from kommodore.http import body
    from kommodore.http.problems import Problem

    monkeypatch.setattr(body, "BODY_TIMEOUT_SECONDS", 0.05)

    async def receive() -> dict[str, object]:
        await asyncio.sleep(3600)  # the rest of the body never comes
        return {"type": "http.request", "body": b"", "more_body": False}

    request = Request({"type": "http", "method": "POST", "headers": []}, receive)

    async def read() -> bytes:
        return await body.read_body(request)

    with pytest.raises(Problem) as refused:
        asyncio.run(read())
    assert (refused.value.status, refused.value.detail) == (408, "Request Timeout")
