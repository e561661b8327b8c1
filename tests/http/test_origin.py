"""Absolute links and account subdomains from the request's own origin."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from kommodore.app import create_app
from kommodore.http.origin import subdomain_of
from tests.conftest import Backend
from tests.factories import Factory


@pytest.mark.parametrize(
    ("host", "subdomain"),
    [("demo.kommo.test", "demo"), ("demo.kommo.test:8000", "demo"), ("DEMO.Kommo.Test", "demo"),
     ("demo.kommo.test.", "demo"), ("kommo.test", None), ("127.0.0.1:8000", None),
     ("localhost", None), ("[::1]:8000", None), ("evilkommo.test", None),
     ("a.b.kommo.test", "a.b")],
)  # fmt: skip
def test_subdomain_of(host: str, subdomain: str | None):
    assert subdomain_of(host, "kommo.test") == subdomain


def test_forwarded_headers_are_used_only_when_trusted(backend: Backend, factory: Factory):
    account = factory.account()
    lead_id = factory.lead(account)
    headers = {
        "Authorization": f"Bearer {factory.token(account, account.admin)}",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": f"{account.subdomain}.kommo.test",
    }
    for trusted, origin in (
        (True, f"https://{account.subdomain}.kommo.test"),
        (False, "http://testserver"),
    ):
        app = create_app(backend.settings(trust_forwarded_headers=trusted))
        with TestClient(app) as client:
            body = client.get(f"/api/v4/leads/{lead_id}", headers=headers).json()
        assert body["_links"]["self"]["href"] == f"{origin}/api/v4/leads/{lead_id}"
