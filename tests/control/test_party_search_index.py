"""The contact and company search index stays true through the control plane's writers, on both
databases: the demo generator (reset to demo), snapshot restore, seed files and an empty reset.
True means every document is what a rebuild from the tables gives, and every search answered
from the index is the scan's answer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from kommodore.app import create_app
from tests.conftest import Backend
from tests.control.conftest import AUTH, CONTROL_TOKEN
from tests.factories import Factory
from tests.search.party_index import (
    KINDS,
    assert_documents_true,
    assert_index_agrees_with_scan,
    queries_from,
    search_urls,
    stored_documents,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "seed.yaml"


@pytest.fixture(scope="module")
def control(own_backend: Backend) -> Iterator[TestClient]:
    settings = own_backend.settings(control_api=True, control_token=CONTROL_TOKEN)
    with TestClient(create_app(settings)) as client:
        yield client


def _account(factory: Factory, subdomain: str) -> int:
    with factory.engine.begin() as conn:
        found = conn.execute(
            sa.text("SELECT id FROM accounts WHERE subdomain = :s"), {"s": subdomain}
        ).scalar_one()
    return int(found)


def _headers(control: TestClient, subdomain: str) -> dict[str, str]:
    token = control.post("/_kommodore/tokens", json={"subdomain": subdomain}, headers=AUTH)
    assert token.status_code == 201, token.text
    return {"Authorization": f"Bearer {token.json()['token']}"}


def _check(control: TestClient, factory: Factory, subdomain: str) -> dict[str, list[int]]:
    account = _account(factory, subdomain)
    assert_documents_true(factory.engine, account)
    urls = search_urls(queries_from(factory.engine, account, limit=4), ["+31 6", "0612345678"])
    return assert_index_agrees_with_scan(control, _headers(control, subdomain), urls)


def test_demo_snapshot_restore_seed_and_reset(control: TestClient, factory: Factory) -> None:
    reset = control.post("/_kommodore/reset", json={"to": "demo", "leads": 60, "seed": 5},
                         headers=AUTH)  # fmt: skip
    assert reset.status_code == 200, reset.text
    demo = _account(factory, "demo")
    assert all(stored_documents(factory.engine, kind, demo) for kind in KINDS)
    before = _check(control, factory, "demo")

    # a snapshot, a contact added and renamed after it, the snapshot restored
    assert control.post("/_kommodore/snapshots", json={"name": "s"}, headers=AUTH).status_code
    headers = _headers(control, "demo")
    added = control.post("/api/v4/contacts", json=[{"name": "Zyx Quux"}], headers=headers)
    assert added.status_code == 200, added.text
    assert control.get("/api/v4/contacts?query=zyx", headers=headers).status_code == 200
    restored = control.post("/_kommodore/snapshots/s/restore", headers=AUTH)
    assert restored.status_code == 200, restored.text
    headers = _headers(control, "demo")  # the token above was made after the snapshot
    assert control.get("/api/v4/contacts?query=zyx", headers=headers).status_code == 204
    assert _check(control, factory, "demo") == before

    # export, then seeded back into an empty server: the same answers
    document = control.get("/_kommodore/export?subdomain=demo", headers=AUTH).json()
    seeded = control.post("/_kommodore/seed?reset=true", json=document, headers=AUTH)
    assert seeded.status_code == 201, seeded.text
    assert _check(control, factory, "demo") == before

    # the example file, added beside it
    example = control.post(
        "/_kommodore/seed",
        content=EXAMPLE.read_bytes(),
        headers={**AUTH, "Content-Type": "application/yaml"},
    )
    assert example.status_code == 201, example.text
    _check(control, factory, "acme")

    # an empty reset leaves no document behind
    assert control.post("/_kommodore/reset", json={}, headers=AUTH).status_code == 200
    for kind in KINDS:
        assert stored_documents(factory.engine, kind, demo) == {}
