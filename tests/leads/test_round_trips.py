"""How many statements a read sends to the database: a lead by id is one on PostgreSQL (the
token, the user's rights, the lead and what it embeds), two on SQLite (no row arrays there: the
parts are a statement of their own); a list page is the same few statements for 2 leads as
for 250. Counted at the one interface every statement goes through (``db.database.Connection``),
per request, after a warm-up request."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from kommodore.db.postgres import PooledConnection, PostgresConnection
from kommodore.db.sqlite import SqliteConnection
from kommodore.demo.generator import DemoSummary, create_demo
from tests.conftest import BASE_DOMAIN, Backend
from tests.factories import Account, Factory

LEADS = 260
WITH = "with=contacts,loss_reason,catalog_elements,source_id,is_price_modified_by_robot,source"
GET_BY_ID = {"postgresql": 1, "sqlite": 2}
"""Statements per GET by id."""
LIST_PAGE = 3
"""Statements per list page on both: the token, the page of leads, what they embed."""


class Counter:
    def __init__(self) -> None:
        self.statements: list[str] = []


@pytest.fixture
def counter(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter]:
    """Every statement either back-end's connection sends, by the method that sends it
    (behind PgBouncer, ``PooledConnection``'s own methods)."""
    found = Counter()
    for cls in (PostgresConnection, PooledConnection, SqliteConnection):
        for name in ("fetch_one", "fetch_all", "execute", "execute_many"):
            method = getattr(cls, name)

            def counted(self: Any, query: Any, *args: Any, _m: Any = method) -> Any:
                found.statements.append(query.text(self.dialect))
                return _m(self, query, *args)

            monkeypatch.setattr(cls, name, counted)
    yield found


@pytest.fixture(scope="module")
def demo(backend: Backend, factory: Factory) -> tuple[DemoSummary, str]:
    summary = create_demo(backend.url, f"trips{uuid.uuid4().hex[:8]}", leads=LEADS, seed=5)
    account = Account(id=summary.account_id, subdomain=summary.subdomain, main_pipeline=0,
                      other_pipeline=0)  # fmt: skip
    return summary, factory.token(account, summary.users["admin"])


def _statements(client: TestClient, counter: Counter, url: str, token: str, **headers: str) -> int:
    """Statements of one request, after the same request once unmeasured (asyncpg prepares a
    statement on its first use on a connection)."""
    headers = {"Authorization": f"Bearer {token}", **headers}
    assert client.get(url, headers=headers).status_code == 200
    counter.statements.clear()
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    return len(counter.statements)


def _lead_ids(client: TestClient, token: str) -> list[int]:
    response = client.get("/api/v4/leads?limit=250", headers={"Authorization": f"Bearer {token}"})
    return [lead["id"] for lead in response.json()["_embedded"]["leads"]]


def test_get_by_id(client: TestClient, backend: Backend, demo, counter: Counter) -> None:
    summary, token = demo
    lead_id = _lead_ids(client, token)[7]
    url = f"/api/v4/leads/{lead_id}?{WITH}"
    expected = GET_BY_ID[backend.name]
    assert _statements(client, counter, url, token) == expected
    host = f"{summary.subdomain}.{BASE_DOMAIN}"
    assert _statements(client, counter, url, token, Host=host) == expected
    assert _statements(client, counter, f"/api/v4/leads/{lead_id}", token) == expected


def test_get_by_id_as_another_user(client: TestClient, backend: Backend, demo, counter: Counter):
    """An admin acting as another user (``X-Context-User-ID``) costs no more statements: that
    user's rights are read in the token's statement, and so is an unknown user's absence."""
    summary, token = demo
    lead_id = _lead_ids(client, token)[5]
    url = f"/api/v4/leads/{lead_id}?{WITH}"
    acting = str(summary.users["all"])
    found = _statements(client, counter, url, token, **{"X-Context-User-ID": acting})
    assert found == GET_BY_ID[backend.name]
    assert "users cu" in counter.statements[0]
    counter.statements.clear()
    headers = {"Authorization": f"Bearer {token}", "X-Context-User-ID": "999999999"}
    assert client.get(url, headers=headers).status_code == 401
    assert len(counter.statements) == 1


def test_a_list_page_as_another_user(
    client: TestClient, backend: Backend, demo, counter: Counter
) -> None:
    summary, token = demo
    acting = str(summary.users["all"])
    found = _statements(
        client, counter, "/api/v4/leads?limit=50", token, **{"X-Context-User-ID": acting}
    )
    assert found == LIST_PAGE


def test_get_by_id_statement_is_the_combined_one(
    client: TestClient, backend: Backend, demo, counter: Counter
) -> None:
    """The one statement on PostgreSQL reads the token and the lead together."""
    _, token = demo
    lead_id = _lead_ids(client, token)[3]
    _statements(client, counter, f"/api/v4/leads/{lead_id}?with=contacts", token)
    first = counter.statements[0]
    assert "api_tokens" in first and "JOIN leads l" in first
    assert ("ARRAY(SELECT ROW(p.*)" in first) == (backend.name == "postgresql")


def test_get_by_id_without_a_lead(client: TestClient, backend: Backend, demo, counter: Counter):
    """No such lead (204) costs the same one statement; an id past bigint never reaches it."""
    _, token = demo
    headers = {"Authorization": f"Bearer {token}"}
    for lead_id in (2**62, 2**63 - 1, 2**63):
        client.get(f"/api/v4/leads/{lead_id}", headers=headers)
        counter.statements.clear()
        response = client.get(f"/api/v4/leads/{lead_id}", headers=headers)
        assert response.status_code == 204
        assert len(counter.statements) == 1


@pytest.mark.parametrize("query", ["", "&with=contacts", f"&{WITH}"])
def test_list_page_whatever_its_size(
    client: TestClient, demo, counter: Counter, query: str
) -> None:
    _, token = demo
    small = _statements(client, counter, f"/api/v4/leads?limit=2{query}", token)
    large = _statements(client, counter, f"/api/v4/leads?limit=250{query}", token)
    assert small == large == LIST_PAGE


def test_host_subdomain_is_compared_not_searched(client: TestClient, demo, counter: Counter):
    """With a Host of the account, the token's statement still selects the account by the
    signed token's ``account_id`` (one shard on Citus); the subdomain is compared afterwards.
    A Host of another account is 401 (tests/auth/test_token_attacks.py, TestTenancy)."""
    summary, token = demo
    host = f"{summary.subdomain}.{BASE_DOMAIN}"
    lead_id = _lead_ids(client, token)[2]
    for url in ("/api/v4/leads?limit=2", f"/api/v4/leads/{lead_id}"):
        _statements(client, counter, url, token, Host=host)
        first = counter.statements[0]
        assert "WHERE a.id = " in first and "a.subdomain =" not in first
