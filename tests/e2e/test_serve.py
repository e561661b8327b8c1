"""End to end: ``kommodore demo`` and ``kommodore serve`` as real processes, read over a socket."""

from __future__ import annotations

import http.client
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import Backend
from tests.processes import KOMMODORE, demo_account, free_port, serving

pytestmark = pytest.mark.e2e


def _env(backend: Backend, data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        KOMMODORE_DATA_DIR=str(data_dir),
        KOMMODORE_BASE_DOMAIN="kommo.test",
        KOMMODORE_LOG_LEVEL="warning",
    )
    if backend.name == "postgresql":
        env["KOMMODORE_DATABASE_URL"] = backend.served_url
        env["KOMMODORE_DATABASE_POOLER"] = backend.pooler
    else:
        env.pop("KOMMODORE_DATABASE_URL", None)
    return env


@pytest.fixture
def served(backend: Backend, tmp_path: Path) -> Iterator[tuple[str, str, int, str]]:
    """(base url, token, a lead id, subdomain) of a freshly started server process."""
    env = _env(backend, tmp_path / "data")
    subdomain = f"e2e{uuid.uuid4().hex[:8]}"
    token, lead_id = demo_account(env, subdomain, 50)
    port = free_port()
    with serving([*KOMMODORE, "serve", "--host", "127.0.0.1", "--port", str(port)], port, env):
        yield f"http://127.0.0.1:{port}", token, lead_id, subdomain


def test_read_a_lead_over_a_real_socket(served: tuple[str, str, int, str]):
    base, token, lead_id, _ = served
    response = httpx.get(
        f"{base}/api/v4/leads/{lead_id}?with=contacts,loss_reason,source_id",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/hal+json"
    assert response.headers["x-request-id"]
    assert response.headers["date"]
    assert response.headers.get("server") is None
    body = response.json()
    assert body["id"] == lead_id
    assert body["_links"] == {"self": {"href": f"{base}/api/v4/leads/{lead_id}"}}
    assert "contacts" in body["_embedded"] and "source_id" in body


def test_raw_http_double_slash_and_host_routing(served: tuple[str, str, int, str]):
    """A client that sends ``//api/v4`` and the account's Host, byte for byte on the wire."""
    base, token, lead_id, subdomain = served
    port = int(base.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.putrequest("GET", f"//api/v4/leads/{lead_id}", skip_host=True)
    conn.putheader("Host", f"{subdomain}.kommo.test:{port}")
    conn.putheader("Authorization", f"Bearer {token}")
    conn.endheaders()
    response = conn.getresponse()
    assert response.status == 200
    assert f'"href":"http://{subdomain}.kommo.test:{port}/api/v4/leads/{lead_id}"'.encode() in (
        response.read()
    )
    conn.close()


def test_errors_over_the_socket(served: tuple[str, str, int, str]):
    base, token, lead_id, _ = served
    unauthorized = httpx.get(f"{base}/api/v4/leads/{lead_id}")
    missing = httpx.get(f"{base}/api/v4/leads/1", headers={"Authorization": f"Bearer {token}"})
    not_found = httpx.get(f"{base}/api/v4/leads/x", headers={"Authorization": f"Bearer {token}"})
    assert unauthorized.status_code == 401
    assert unauthorized.headers["content-type"] == "application/problem+json"
    assert missing.status_code == 204 and missing.content == b""
    assert not_found.status_code == 404
    assert not_found.json()["status"] == 404
