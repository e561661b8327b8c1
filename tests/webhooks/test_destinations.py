"""Webhook destinations and the outbound policy: refused at subscription when the URL names a
refused address, refused again at delivery after resolving (so a name, or a name that changes
its answer, cannot reach a refused address), and allowed by the settings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from kommodore.app import create_app
from kommodore.leads.outbox import LeadChange
from kommodore.outbound import OutboundPolicy
from tests.conftest import Backend
from tests.factories import Factory
from tests.webhooks.helpers import (
    Clock,
    Receiver,
    add_webhook,
    deliveries,
    enqueue,
    run_once,
    settings,
)

PATH = "/api/v4/webhooks"
WHEN = 1_700_000_000


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    try:
        yield r
    finally:
        r.close()


def _refused(destination: str, detail: str) -> dict[str, Any]:
    return {
        "validation-errors": [
            {"request_id": "0", "errors": [
                {"code": "InvalidValue", "path": "destination", "detail": detail},
            ]},
        ],
        "title": "Bad Request",
        "type": "https://httpstatus.es/400",
        "status": 400,
        "detail": "Request validation failed",
    }  # fmt: skip


REFUSED = [
    ("http://127.0.0.1:9/x", "127.0.0.1 is a loopback address"),
    ("http://127.1.2.3/x", "127.1.2.3 is a loopback address"),
    ("http://[::1]:8080/x", "::1 is a loopback address"),
    ("http://[::ffff:127.0.0.1]/x", "::ffff:127.0.0.1 is a loopback address"),
    ("http://localhost:8080/x", "localhost is a loopback address"),
    ("http://10.0.0.1/x", "10.0.0.1 is a private address"),
    ("http://172.16.5.4/x", "172.16.5.4 is a private address"),
    ("http://192.168.0.10/x", "192.168.0.10 is a private address"),
    ("http://100.64.1.1/x", "100.64.1.1 is a private address"),
    ("http://[fd00::1]/x", "fd00::1 is a private address"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
    ("http://[fe80::1]/x", "fe80::1 is a link-local address"),
    ("http://0.0.0.0:8080/x", "0.0.0.0 is an unspecified address"),
    ("http://224.0.0.1/x", "224.0.0.1 is a multicast address"),
]


@pytest.fixture(scope="module")
def refusing(backend: Backend) -> Iterator[TestClient]:
    """An app that refuses loopback and private destinations (PostgreSQL's default)."""
    app = create_app(backend.settings(outbound_allow_loopback=False, outbound_allow_private=False))
    with TestClient(app) as test_client:
        yield test_client


@pytest.mark.parametrize(("destination", "reason"), REFUSED)
def test_subscribing_a_refused_address_is_a_validation_error(
    refusing: TestClient, factory: Factory, destination: str, reason: str
):
    account = factory.account()
    headers = {"Authorization": f"Bearer {factory.token(account, account.admin)}"}
    response = refusing.post(
        PATH, headers=headers, json={"destination": destination, "settings": ["add_lead"]}
    )
    assert response.status_code == 400
    assert response.json() == _refused(destination, f"This destination is not allowed: {reason}.")
    assert refusing.get(PATH, headers=headers).status_code == 204  # nothing was saved
    # unsubscribing is never refused: a destination saved before the policy can be removed
    add_webhook(factory, account, destination)
    gone = refusing.request("DELETE", PATH, headers=headers, json={"destination": destination})
    assert gone.status_code == 204


def test_the_settings_allow_loopback_and_private(backend: Backend, factory: Factory):
    app = create_app(backend.settings(outbound_allow_loopback=True, outbound_allow_private=True))
    account = factory.account()
    headers = {"Authorization": f"Bearer {factory.token(account, account.admin)}"}
    with TestClient(app) as allowing:
        for destination in ("http://127.0.0.1:9/x", "http://localhost/x", "http://10.0.0.1/x"):
            response = allowing.post(
                PATH, headers=headers, json={"destination": destination, "settings": ["add_lead"]}
            )
            assert response.status_code == 201, response.text
        # link-local (cloud metadata) is refused whatever the settings say
        response = allowing.post(
            PATH, headers=headers,
            json={"destination": "http://169.254.169.254/", "settings": ["add_lead"]},
        )  # fmt: skip
        assert response.json() == _refused(
            "", "This destination is not allowed: 169.254.169.254 is a link-local address."
        )


def test_subscription_defaults_per_database(client: TestClient, backend: Backend, factory: Factory):
    """The session's app runs on the defaults: SQLite allows loopback, PostgreSQL refuses it."""
    account = factory.account()
    headers = {"Authorization": f"Bearer {factory.token(account, account.admin)}"}
    response = client.post(
        PATH, headers=headers, json={"destination": "http://127.0.0.1:9/", "settings": ["add_lead"]}
    )
    assert response.status_code == (201 if backend.name == "sqlite" else 400), response.text
    private = client.post(
        PATH, headers=headers, json={"destination": "http://10.1.1.1/", "settings": ["add_lead"]}
    )
    assert private.status_code == 400


def _resolving(table: dict[str, list[str]], **allow: bool) -> OutboundPolicy:
    async def resolve(host: str, port: int) -> list[str]:
        return table[host]

    return OutboundPolicy(resolver=resolve, **allow)


def test_delivery_to_a_refused_address_is_a_failed_attempt(
    backend: Backend, factory: Factory, receiver: Receiver
):
    """A destination saved while allowed (or straight into the table) is checked again when
    it is sent: nothing reaches the receiver, the attempt fails with the reason."""
    account = factory.account()
    add_webhook(factory, account, receiver.url, ["add_lead"])
    enqueue(backend.url, account.id, [LeadChange(factory.lead(account), "add")])
    assert run_once(backend.url, settings(), Clock(WHEN), outbound=OutboundPolicy()) == 1
    (row,) = deliveries(factory, account)
    assert (row["status"], row["attempts"], row["last_status"], row["last_error"]) == (
        "pending", 1, 0, "destination refused: 127.0.0.1 is a loopback address",
    )  # fmt: skip
    assert receiver.requests == []


def test_a_name_resolving_to_a_refused_address_is_refused_at_delivery(
    backend: Backend, factory: Factory, receiver: Receiver
):
    port = receiver.server.server_address[1]
    account = factory.account()
    add_webhook(factory, account, f"http://hooks.example.test:{port}/hook", ["add_lead"])
    enqueue(backend.url, account.id, [LeadChange(factory.lead(account), "add")])
    table = {"hooks.example.test": ["127.0.0.1"]}
    assert run_once(backend.url, settings(), Clock(WHEN), outbound=_resolving(table)) == 1
    (row,) = deliveries(factory, account)
    assert row["last_error"] == (
        "destination refused: hooks.example.test resolves to 127.0.0.1, a loopback address"
    )
    assert receiver.requests == []

    # allowed, the delivery goes to the address that was checked, with the name as Host
    clock = Clock(WHEN + 300)
    allowing = _resolving(table, allow_loopback=True)
    assert run_once(backend.url, settings(), clock, outbound=allowing) == 1
    (request,) = receiver.wait_for(1)
    assert request.headers["Host"] == f"hooks.example.test:{port}"
    (row,) = deliveries(factory, account)
    assert (row["status"], row["attempts"]) == ("delivered", 2)
