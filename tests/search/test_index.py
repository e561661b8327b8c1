"""``query`` on lead lists, answered from the search index (FTS5 trigram / pg_trgm)."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from kommodore.search.index import document, glob_pattern, index_leads
from tests.factories import Account, Factory


@pytest.fixture(scope="module")
def world(factory: Factory) -> tuple[Account, str, dict[str, int]]:
    account = factory.account()
    branch, (moscow,) = factory.field(account, "select", "Branch", enums=[("Москва", None)])
    note, _ = factory.field(account, "textarea", "Note")
    leads = {
        "cyrillic": factory.lead(account, name="Сделка Ромашка"),
        "by_value": factory.lead(account, name="Plain"),
        "by_label": factory.lead(account, name="Another"),
        "wildcards": factory.lead(account, name="50% off_now [x]*?"),
        "deleted": factory.lead(account, name="Romashka deleted", is_deleted=True),
        "other": factory.lead(account, name="Unrelated"),
    }
    factory.value(account, leads["by_value"], note, value_text="Call back about FLEET service")
    factory.value(account, leads["by_label"], branch, enum_id=moscow)
    with factory.engine.begin() as conn:
        assert index_leads(conn, account.id) == len(leads)
    return account, factory.token(account, account.admin), leads


def ids(client: TestClient, token: str, query: str) -> list[int]:
    response = client.get(
        "/api/v4/leads", params={"query": query}, headers={"Authorization": f"Bearer {token}"}
    )
    if response.status_code == 204:
        return []
    assert response.status_code == 200
    return [lead["id"] for lead in response.json()["_embedded"]["leads"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [("ромашка", ["cyrillic"]), ("СДЕЛКА", ["cyrillic"]), ("fleet serv", ["by_value"]),
     ("москва", ["by_label"]), ("МОСК", ["by_label"]), ("50%", ["wildcards"]),
     ("off_n", ["wildcards"]), ("[x]*?", ["wildcards"]),
     ("a", ["by_value", "by_label", "other"]), ("nothing like it", [])],
)  # fmt: skip
def test_substring_any_case_any_script(client: TestClient, world, query: str, expected):
    _, token, leads = world
    assert ids(client, token, query) == sorted(leads[k] for k in expected)


def test_numeric_query_finds_the_lead_by_id(client: TestClient, world):
    _, token, leads = world
    assert ids(client, token, str(leads["other"])) == [leads["other"]]


def test_deleted_leads_are_found_only_with_only_deleted(client: TestClient, world):
    _, token, leads = world
    assert ids(client, token, "romashka") == []
    response = client.get(
        "/api/v4/leads?with=only_deleted&query=romashka",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert [lead["id"] for lead in response.json()["_embedded"]["leads"]] == [leads["deleted"]]


def test_reindexing_replaces_the_document(client: TestClient, factory: Factory, world):
    account, token, leads = world
    factory.execute("UPDATE leads SET name = 'Renamed thing' WHERE id = :i", i=leads["other"])
    with factory.engine.begin() as conn:
        index_leads(conn, account.id, [leads["other"]])
    assert ids(client, token, "unrelated") == []
    assert ids(client, token, "renamed") == [leads["other"]]


def test_document_and_glob_helpers():
    assert document("Ёлка", ["A", "Б"]) == "ёлка\na\nб"
    assert glob_pattern("a*b?[c") == "*a[*]b[?][[]c*"
