"""The operator's log lines: every 401 says which check failed, every 429 and 403 block and
every failed webhook delivery is logged at info level, with the request id, never a token."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from starlette.testclient import TestClient

from kommodore.app import create_app
from kommodore.auth.keys import SigningKey, generate_pem, load_signing_key
from kommodore.context import AppContext, using
from kommodore.leads.outbox import LeadChange
from kommodore.settings import Settings
from tests.conftest import BASE_DOMAIN, Backend
from tests.factories import Factory
from tests.webhooks.helpers import add_webhook, enqueue, run_once
from tests.webhooks.helpers import settings as webhook_settings

Logs = list[dict[str, Any]]


@pytest.fixture
def logs() -> Iterator[Logs]:
    """Log entries as the app emits them, with the request's bound context merged in."""
    capture = structlog.testing.LogCapture()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            capture,
        ],
        cache_logger_on_first_use=False,
    )
    try:
        yield capture.entries
    finally:
        structlog.reset_defaults()
        structlog.contextvars.clear_contextvars()


def _entry(logs: Logs, event: str, request_id: str) -> dict[str, Any]:
    found = [e for e in logs if e["event"] == event and e.get("request_id") == request_id]
    assert len(found) == 1, logs
    assert found[0]["log_level"] == "info"
    return found[0]


def _other_key(tmp_path: Any) -> SigningKey:
    (tmp_path / "jwt-signing-key.pem").write_bytes(generate_pem())
    return load_signing_key(None, tmp_path)


def test_each_401_logs_the_check_that_failed(
    client: TestClient, factory: Factory, backend: Backend, logs: Logs, tmp_path: Any
) -> None:
    account = factory.account()
    good = factory.token(account, account.admin)
    stranger = Factory(backend.url, _other_key(tmp_path), BASE_DOMAIN)
    revoked = factory.token(account, account.admin)
    factory.execute("UPDATE api_tokens SET revoked_at = 1 WHERE revoked_at IS NULL AND "
                    "account_id = :a AND user_id = :u AND jti <> ''", a=account.id,
                    u=account.admin)  # fmt: skip
    cases = {
        None: "no Authorization header",
        "Basic abc": "not a bearer token",
        "Bearer not.a.jwt": "malformed token",
        f"Bearer {stranger.token(account, account.admin)}": "bad signature",
        f"Bearer {factory.token(account, account.admin, now=1_000_000, lifetime=60)}": "expired",
        f"Bearer {revoked}": "token unknown or revoked",
    }
    for header, reason in cases.items():
        headers = {} if header is None else {"Authorization": header}
        answer = client.get("/api/v4/leads", headers=headers)
        assert answer.status_code == 401
        entry = _entry(logs, "401 unauthorized", answer.headers["x-request-id"])
        assert entry["reason"] == reason
        assert entry["path"] == "/api/v4/leads"
    tokens = [h.split(" ", 1)[1] for h in cases if h] + [good]
    for entry in logs:
        for value in entry.values():
            assert not any(t in str(value) for t in tokens), entry


def test_429s_and_403_blocks_are_logged(backend: Backend, factory: Factory, logs: Logs) -> None:
    settings = backend.settings(
        rate_limit_enabled=True, rate_limit_per_second=1, rate_limit_block_after=1
    )
    account = factory.account()
    token = factory.token(account, account.admin)
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(settings)) as limited:
        ctx: AppContext = limited.app.state.ctx  # type: ignore[attr-defined]
        assert ctx.limiter is not None
        ctx.limiter.clock = lambda: 1_900_000_000.25  # every request in the same second
        answers = [limited.get("/api/v4/leads", headers=headers) for _ in range(3)]
    assert [a.status_code for a in answers][1:] == [429, 403]
    over = _entry(logs, "429 over the rate limit", answers[1].headers["x-request-id"])
    blocked = _entry(logs, "403 blocked by the rate limit", answers[2].headers["x-request-id"])
    for entry in (over, blocked):
        assert entry["account_id"] == account.id and entry["retry_after"] >= 1
        assert token not in str(entry)


def test_a_failed_webhook_delivery_is_logged(
    backend: Backend, factory: Factory, logs: Logs
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    account = factory.account()
    lead = factory.lead(account)
    hook = add_webhook(factory, account, f"http://127.0.0.1:{closed}/hook", ["add_lead"])
    with using(Settings(base_domain=BASE_DOMAIN)):
        enqueue(backend.url, account.id, [LeadChange(lead, "add")], now=int(time.time()))
    assert run_once(backend.url, webhook_settings(retry_scale=0.001)) >= 1
    failed = [e for e in logs if e["event"] == "webhook delivery failed"]
    mine = [e for e in failed if e["account_id"] == account.id and e["webhook_id"] == hook]
    assert len(mine) == 1, logs
    assert mine[0]["log_level"] == "info"
    assert mine[0]["status"] == 0 and mine[0]["attempt"] == 1
    assert mine[0]["retry_in_seconds"] == pytest.approx(0.3)
