"""Query strings no database can bind (NUL, bytes that are not UTF-8, huge numbers) get a
Kommo answer on every list endpoint, never a 500."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.factories import Factory

ENDPOINTS = [
    "/api/v4/leads", "/api/v4/leads/tags", "/api/v4/leads/custom_fields", "/api/v4/users",
    "/api/v4/sources", "/api/v4/catalogs", "/api/v4/leads/links",
]  # fmt: skip
QUERIES = [
    "query=a%00b", "query=%ff%fe", "filter[name]=x%00y", "filter[name][]=%ED%A0%80",
    "filter[custom_fields_values][1]=a%00", "filter[id][]=99999999999999999999999",
    "filter[price][from]=1e400", "page=99999999999999&limit=-3", "order[id]=%00",
    "filter[external_id]=%00", "filter[entity_id][]=%ff", "with=contacts%00",
    "filter[statuses][0][pipeline_id]=%00&filter[statuses][0][status_id]=1",
]  # fmt: skip


@pytest.fixture(scope="module")
def admin(factory: Factory) -> str:
    account = factory.account()
    factory.lead(account, name="Visible")
    return factory.token(account, account.admin)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("query", QUERIES)
def test_no_server_error(client: TestClient, admin: str, endpoint: str, query: str):
    response = client.get(f"{endpoint}?{query}", headers={"Authorization": f"Bearer {admin}"})
    assert response.status_code in (200, 204, 400), response.text
    if response.status_code == 400:
        assert response.headers["content-type"] == "application/problem+json"


def test_unbindable_search_matches_nothing(client: TestClient, admin: str):
    for query in ("query=vis%00ible", "filter[name]=Visible%00"):
        response = client.get(
            f"/api/v4/leads?{query}", headers={"Authorization": f"Bearer {admin}"}
        )
        assert response.status_code == 204
