"""Two apps with different settings in one process: each uses its own, never the
environment's (the outbox's base domain, the limiter, the webhook worker's knobs)."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from kommodore.app import create_app
from kommodore.auth.keys import load_signing_key
from kommodore.db.migrate import upgrade
from kommodore.settings import Settings, WebhookSettings
from tests.factories import Factory
from tests.webhooks.helpers import add_webhook, deliveries


def _app_settings(data_dir: Path, base_domain: str, *, limited: bool) -> Settings:
    url = f"sqlite:///{data_dir / 'kommodore.db'}"
    upgrade(url)
    return Settings(
        data_dir=data_dir,
        database_url=url,
        base_domain=base_domain,
        rate_limit_enabled=limited,
        rate_limit_per_second=1,
        rate_limit_block_after=0,
        webhooks=WebhookSettings(worker_in_process=False),
    )


def test_two_apps_in_one_process_each_use_their_own_settings(tmp_path: Path) -> None:
    one = _app_settings(tmp_path / "one", "one.test", limited=True)
    two = _app_settings(tmp_path / "two", "two.test", limited=False)
    setups = []
    for settings in (one, two):
        factory = Factory(
            settings.resolved_database_url,
            load_signing_key(None, settings.data_dir),
            settings.base_domain,
        )
        account = factory.account()
        add_webhook(factory, account, "https://example.com/hook", ["add_lead"])
        setups.append((settings, factory, account))

    with (
        TestClient(create_app(one)) as first,
        TestClient(create_app(two)) as second,
    ):
        # interleaved, so a value cached from one app would show in the other
        for _ in range(2):
            for client, (_, factory, account) in zip((first, second), setups, strict=True):
                headers = {"Authorization": f"Bearer {factory.token(account, account.admin)}"}
                answer = client.post("/api/v4/leads", headers=headers, json=[{"name": "x"}])
                assert answer.status_code == 200  # a new token each time: a new integration
        _, factory, account = setups[0]
        headers = {"Authorization": f"Bearer {factory.token(account, account.admin)}"}
        statuses = [first.get("/api/v4/leads", headers=headers).status_code for _ in range(5)]
        assert 429 in statuses  # one a second: the first app's limiter is on
        _, factory, account = setups[1]
        headers = {"Authorization": f"Bearer {factory.token(account, account.admin)}"}
        statuses = [second.get("/api/v4/leads", headers=headers).status_code for _ in range(5)]
        assert 429 not in statuses  # the second app's is off

    for settings, factory, account in setups:
        bodies = [d["body"] for d in deliveries(factory, account)]
        assert bodies
        link = f"https%3A%2F%2F{account.subdomain}.{settings.base_domain}"
        assert all(link in body for body in bodies), (settings.base_domain, bodies[0][:300])
