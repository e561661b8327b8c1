"""Webhook deliveries in the open: what was queued for where, how it went, the exact body, and a
manual retry, over HTTP and on the command line."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from kommodore.app import create_app
from kommodore.cli import main as cli
from kommodore.settings import WebhookSettings
from tests.conftest import Backend
from tests.control.conftest import AUTH, CONTROL_TOKEN
from tests.factories import Factory

HOOK = "http://127.0.0.1:9/hook"  # nothing listens: the delivery is for inspection only


@pytest.fixture(scope="module")
def control(own_backend: Backend) -> Iterator[TestClient]:
    settings = own_backend.settings(
        control_api=True, control_token=CONTROL_TOKEN, outbound_allow_loopback=True,
        webhooks=WebhookSettings(worker_in_process=False),
    )  # fmt: skip
    with TestClient(create_app(settings)) as client:
        yield client


def _queued(control: TestClient, factory: Factory) -> tuple[int, int]:
    """An account with a webhook on lead adds, and one lead added: (account id, lead id)."""
    account = factory.account()
    kommo = {"Authorization": f"Bearer {factory.token(account, account.admin)}"}
    hook = control.post("/api/v4/webhooks", json={"destination": HOOK, "settings": ["add_lead"]},
                        headers=kommo)  # fmt: skip
    assert hook.status_code == 201, hook.text
    added = control.post("/api/v4/leads", json=[{"name": "hooked"}], headers=kommo)
    assert added.status_code == 200, added.text
    return account.id, added.json()["_embedded"]["leads"][0]["id"]


def test_a_queued_delivery_with_its_exact_body(control: TestClient, factory: Factory) -> None:
    account_id, lead_id = _queued(control, factory)
    listed = control.get("/_kommodore/webhook-deliveries", params={"account_id": account_id},
                         headers=AUTH)  # fmt: skip
    assert listed.status_code == 200
    (delivery,) = listed.json()["deliveries"]
    assert set(delivery) == {"id", "account_id", "webhook_id", "kind", "destination", "status",
                             "attempts", "next_attempt_ms", "last_status", "last_error",
                             "delivered_at", "created_at", "body"}  # fmt: skip
    assert (delivery["account_id"], delivery["kind"], delivery["destination"]) == (
        account_id, "webhook", HOOK
    )  # fmt: skip
    assert delivery["status"] == "pending"
    outcome = (delivery["attempts"], delivery["last_status"], delivery["last_error"])
    assert outcome == (0, None, None)
    assert f"leads%5Badd%5D%5B0%5D%5Bid%5D={lead_id}" in delivery["body"]
    assert delivery["body"].startswith("account%5Bsubdomain%5D=")


def test_a_failed_delivery_retried(control: TestClient, factory: Factory) -> None:
    account_id, _ = _queued(control, factory)
    factory.execute(
        "UPDATE webhook_deliveries SET status = 'failed', attempts = 10, last_status = 0, "
        "last_error = 'connection refused' WHERE account_id = :a", a=account_id,
    )  # fmt: skip
    failed = control.get("/_kommodore/webhook-deliveries",
                         params={"account_id": account_id, "status": "failed"},
                         headers=AUTH).json()["deliveries"]  # fmt: skip
    assert [(d["status"], d["last_error"], d["next_attempt_ms"]) for d in failed] == [
        ("failed", "connection refused", None)
    ]
    before = int(time.time() * 1000)
    retried = control.post(f"/_kommodore/webhook-deliveries/{failed[0]['id']}/retry", headers=AUTH)
    assert retried.status_code == 200
    again = retried.json()
    assert again["status"] == "pending" and again["next_attempt_ms"] >= before
    assert again["body"] == failed[0]["body"]
    missing = control.post("/_kommodore/webhook-deliveries/1/retry", headers=AUTH)
    assert (missing.status_code, missing.json()["detail"]) == (404, "No webhook delivery 1")
    beyond = control.post(f"/_kommodore/webhook-deliveries/{2**64}/retry", headers=AUTH)
    assert (beyond.status_code, beyond.json()["detail"]) == (404, f"No webhook delivery {2**64}")


@pytest.mark.parametrize(
    "params",
    [{"status": "lost"}, {"limit": 0}, {"account_id": "x"}, {"account_id": str(2**64)},
     {"account_id": "-1"}],
)  # fmt: skip
def test_bad_filters_are_a_400(control: TestClient, params: dict[str, object]) -> None:
    response = control.get("/_kommodore/webhook-deliveries", params=params, headers=AUTH)
    assert response.status_code == 400


def test_the_command_line(
    control: TestClient, factory: Factory, own_backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KOMMODORE_DATABASE_URL", own_backend.url)
    monkeypatch.setenv("KOMMODORE_DATA_DIR", str(own_backend.data_dir))
    account_id, lead_id = _queued(control, factory)
    listed = CliRunner().invoke(cli, ["webhooks", "deliveries", "--account-id", str(account_id),
                                      "--body"])  # fmt: skip
    assert listed.exit_code == 0, listed.output
    first, body = listed.output.splitlines()
    delivery_id, status, attempts, destination, answer = first.split("\t")
    assert (status, attempts, destination, answer) == ("pending", "0", HOOK, "-")
    assert f"leads%5Badd%5D%5B0%5D%5Bid%5D={lead_id}" in body
    retried = CliRunner().invoke(cli, ["webhooks", "retry", delivery_id])
    assert (retried.exit_code, retried.output) == (0, f"delivery {delivery_id} is due now\n")
    unknown = CliRunner().invoke(cli, ["webhooks", "retry", "1"])
    assert (unknown.exit_code, unknown.output) == (1, "Error: no webhook delivery 1\n")


def test_a_revocation_notice_is_listed(control: TestClient, factory: Factory) -> None:
    """Disabling an integration queues its notice: listed with the deliveries, whole."""
    from kommodore.db.database import Database
    from kommodore.integrations import service as integrations
    from kommodore.webhooks.outbox import notice_signature
    from tests.oauth.helpers import install, make_integration, run

    account = factory.account()
    integration = make_integration(control, revocation_url="https://shop.example/revoked?x=1")
    install(control, account, integration, account.admin)
    when = int(time.time())

    async def disable(db: Database) -> integrations.Revocation | None:
        return await integrations.disable_and_notify(db, integration.id, when)

    assert run(control, disable) is not None
    listed = control.get("/_kommodore/webhook-deliveries", params={"account_id": account.id},
                         headers=AUTH)  # fmt: skip
    assert listed.status_code == 200
    (notice,) = listed.json()["deliveries"]
    signature = notice_signature(integration.id, integration.secret, account.id)
    assert notice == {
        "id": notice["id"], "account_id": account.id, "webhook_id": 0, "kind": "revocation",
        "destination": "https://shop.example/revoked?x=1", "status": "pending", "attempts": 0,
        "next_attempt_ms": when * 1000, "last_status": None, "last_error": None,
        "delivered_at": None, "created_at": when,
        "body": f"client_uuid={integration.id}&account_id={account.id}&signature={signature}",
    }  # fmt: skip
