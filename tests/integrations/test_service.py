"""Integrations as the consent page and the command line use them: create, look up, install."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from kommodore.db.database import Database
from kommodore.integrations import service as integrations
from kommodore.oauth.codes import IntegrationView, install, integration_for_consent
from kommodore.webhooks.outbox import notice_signature
from tests.factories import Factory
from tests.oauth.helpers import make_integration, run


def _installs(factory: Factory, account_id: int) -> list[tuple[Any, ...]]:
    with factory.engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                sa.text(
                    "SELECT integration_id, installed_by, installed_at, removed_at "
                    "FROM account_integrations WHERE account_id = :a"
                ),
                {"a": account_id},
            )
        ]


def test_integration_for_consent(client: TestClient, factory: Factory):
    owner = factory.account()
    public = make_integration(client, scopes=("crm",))
    private = make_integration(client, owner=owner)

    async def work(db: Database) -> list[IntegrationView | None]:
        async with db.connection() as conn:
            return [
                await integration_for_consent(conn, public.id),
                await integration_for_consent(conn, private.id),
                await integration_for_consent(conn, str(uuid.uuid4())),
                await integration_for_consent(conn, "junk\x00"),
            ]

    found = run(client, work)
    assert found == [
        IntegrationView(id=public.id, name="Test integration", redirect_uri=public.redirect_uri,
                        scopes=("crm",), is_private=False, owner_account_id=None, disabled=False),
        IntegrationView(id=private.id, name="Test integration", redirect_uri=private.redirect_uri,
                        scopes=("crm", "notifications"), is_private=True,
                        owner_account_id=owner.id, disabled=False),
        None,
        None,
    ]  # fmt: skip
    assert len(public.secret) >= 64 and public.secret != private.secret
    # a private integration is installed in its account when it is created
    assert _installs(factory, owner.id) == [(private.id, 0, private.created_at, None)]


def _install(client: TestClient, account_id: int, integration_id: str, user_id: int) -> None:
    async def work(db: Database) -> None:
        async with db.transaction() as conn:
            await install(
                conn, account_id=account_id, integration_id=integration_id, user_id=user_id,
                now=int(time.time()),
            )  # fmt: skip

    run(client, work)


def test_install_is_idempotent_and_reinstalls_after_removal(client: TestClient, factory: Factory):
    account = factory.account()
    integration = make_integration(client)
    _install(client, account.id, integration.id, account.admin)
    first = _installs(factory, account.id)
    _install(client, account.id, integration.id, 12345)
    assert _installs(factory, account.id) == first  # a live install is kept as it is

    factory.execute(
        "UPDATE account_integrations SET removed_at = 5, installed_at = 1 WHERE account_id = :a",
        a=account.id,
    )
    _install(client, account.id, integration.id, 777)
    [(integration_id, by, at, removed)] = _installs(factory, account.id)
    assert (integration_id, by, removed) == (integration.id, 777, None)
    assert at > 1


def test_install_refuses_unusable_integrations(client: TestClient, factory: Factory):
    owner, stranger = factory.account(), factory.account()
    private = make_integration(client, owner=owner)
    disabled = make_integration(client)
    factory.execute("UPDATE integrations SET disabled_at = 1 WHERE id = :i", i=disabled.id)
    for integration_id in (private.id, disabled.id, str(uuid.uuid4()), "nope"):
        with pytest.raises(integrations.IntegrationUnavailable):
            _install(client, stranger.id, integration_id, stranger.admin)
    assert _installs(factory, stranger.id) == []


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"name": " "}, "name must be 1 to 255 characters"),
        ({"name": "x" * 256}, "name must be 1 to 255 characters"),
        ({"redirect_uri": "/relative"}, "redirect_uri must be an absolute http(s) URL"),
        ({"redirect_uri": "ftp://x.test/"}, "redirect_uri must be an absolute http(s) URL"),
        ({"redirect_uri": "https://x.test/#frag"}, "redirect_uri must be an absolute http(s) URL"),
        ({"revocation_url": "javascript:alert(1)"}, "revocation_url must be an absolute"),
        # a host that would carry CSP directives into the consent page's header
        ({"redirect_uri": "http://evil.example;sandbox;script-src/cb"}, "redirect_uri: bad host"),
        ({"redirect_uri": "https://x.test,evil.test/cb"}, "redirect_uri: bad host"),
        ({"redirect_uri": "https://x_y.test/cb"}, "redirect_uri: bad host"),
        ({"redirect_uri": "https://-x.test/cb"}, "redirect_uri: bad host"),
        ({"redirect_uri": "https://x..test/cb"}, "redirect_uri: bad host"),
        ({"redirect_uri": "https://\u00fcber.test/cb"}, "redirect_uri: bad character"),
        ({"redirect_uri": "https://[::1/cb"}, "redirect_uri must be an absolute http(s) URL"),
        ({"redirect_uri": "https://x.test:99999/cb"}, "redirect_uri must be an absolute"),
        ({"redirect_uri": "https://user:pw@x.test/cb"}, "redirect_uri: no user or password"),
        # characters that can end a header or an attribute
        ({"redirect_uri": "https://x.test/cb\r\nSet-Cookie: a=b"}, "redirect_uri: bad character"),
        ({"redirect_uri": "https://x.test/a b"}, "redirect_uri: bad character"),
        ({"redirect_uri": 'https://x.test/a"b'}, "redirect_uri: bad character"),
        ({"redirect_uri": "https://x.test/<script>"}, "redirect_uri: bad character"),
        ({"redirect_uri": "https://x.test/{a}|b^c`d\\e"}, "redirect_uri: bad character"),
        ({"redirect_uri": "https://x.test/caf\u00e9"}, "redirect_uri: bad character"),
        ({"revocation_url": "https://x.test;report-uri/r"}, "revocation_url: bad host"),
        ({"revocation_url": "https://x.test/r\n"}, "revocation_url: bad character"),
        ({"scopes": []}, "scopes must be a non-empty subset of crm, files"),
        ({"scopes": ["crm", "admin"]}, "scopes must be a non-empty subset of crm, files"),
    ],
)
def test_create_validates(client: TestClient, values: dict[str, Any], message: str):
    arguments: dict[str, Any] = {"name": "A", "redirect_uri": "https://x.test/cb", **values}

    async def work(db: Database) -> None:
        async with db.transaction() as conn:
            await integrations.create(conn, now=int(time.time()), **arguments)

    with pytest.raises(integrations.IntegrationError, match=message.replace("(", r"\(")
                       .replace(")", r"\)")):  # fmt: skip
        run(client, work)


@pytest.mark.parametrize(
    "uri",
    [
        "https://x.test/cb",
        "http://127.0.0.1:8080/cb?a=1&b=%20x;y",
        "https://[2001:db8::1]:8443/oauth/cb",
        "https://sub-1.Example.COM/a/b/c.php?x=[1]",
        "http://localhost/cb",
    ],
)
def test_create_accepts_ordinary_uris(client: TestClient, uri: str):
    integration = make_integration(client, redirect_uri=uri, revocation_url=uri)
    assert (integration.redirect_uri, integration.revocation_url) == (uri, uri)


def test_notice_signature_is_hmac_sha256_hex():
    # printf 'abc|42' | openssl dgst -sha256 -hmac secret
    assert notice_signature("abc", "secret", 42) == (
        "79c4206e794a541e14aa5c585bec59c32733fe400028d394e8c0b41c0bbeb7e8"
    )
