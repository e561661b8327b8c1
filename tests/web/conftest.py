"""Helpers of the browser-page tests: people with passwords, integrations, a clean cookie jar."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from kommodore.web.passwords import hash_password
from tests.factories import Account, Factory

PASSWORD = "correct horse battery"
REDIRECT = "https://integration.example/callback"


@pytest.fixture(autouse=True)
def no_sign_in_throttle(factory: Factory) -> None:
    """Every test's requests come from one client address ("testclient"): start each test
    with no failures counted, as a fresh visitor would (tests/web/test_throttle.py counts)."""
    factory.execute("DELETE FROM sign_in_throttle")


@pytest.fixture
def browser(client: TestClient) -> Iterator[TestClient]:
    """The session's client with an empty cookie jar (the client is shared between tests)."""
    client.cookies.clear()
    yield client
    client.cookies.clear()


@dataclass
class Person:
    email: str
    user_id: int
    account: Account


def person(
    factory: Factory,
    account: Account | None = None,
    *,
    email: str | None = None,
    password: str | None = PASSWORD,
    active: bool = True,
    admin: bool = False,
) -> Person:
    """A user with ``email`` (fresh if not given) and ``password`` (None: cannot sign in)."""
    account = account or factory.account()
    user_id = factory.user(account, active=active, admin=admin)
    email = email or f"p{uuid.uuid4().hex[:10]}@example.com"
    factory.execute(
        "UPDATE users SET email = :e, password_hash = :h WHERE account_id = :a AND id = :u",
        e=email, h=None if password is None else hash_password(password), a=account.id, u=user_id,
    )  # fmt: skip
    return Person(email, user_id, account)


def integration(
    factory: Factory,
    *,
    name: str = "Acme Sync",
    redirect_uri: str = REDIRECT,
    owner: Account | None = None,
    disabled: bool = False,
    scopes: tuple[str, ...] = ("crm", "notifications"),
) -> str:
    """An integrations row written straight into the table; returns its client_id."""
    client_id = str(uuid.uuid4())
    now = int(time.time())
    factory.execute(
        "INSERT INTO integrations (id, secret, name, redirect_uri, revocation_url, scopes, "
        "is_private, owner_account_id, disabled_at, created_at) "
        "VALUES (:id, :secret, :name, :uri, NULL, :scopes, :private, :owner, :disabled, :now)",
        id=client_id, secret="s" * 64, name=name, uri=redirect_uri, scopes=json.dumps(scopes),
        private=owner is not None, owner=None if owner is None else owner.id,
        disabled=now if disabled else None, now=now,
    )  # fmt: skip
    return client_id


def rows(factory: Factory, statement: str, **params: Any) -> list[tuple[Any, ...]]:
    with factory.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(statement), params)]


_CSRF = re.compile(r'<input type="hidden" name="csrf_token" value="([^"]+)">')


def csrf_of(response: httpx.Response) -> str:
    found = _CSRF.search(response.text)
    assert found, response.text
    return found.group(1)


def sign_in(
    client: TestClient, email: str, password: str = PASSWORD, next_url: str = ""
) -> httpx.Response:
    """The sign-in form as a browser fills it: GET the page, POST it back with its token."""
    params = {"next": next_url} if next_url else None
    page = client.get("/oauth/login", params=params, follow_redirects=False)
    assert page.status_code == 200, page.text
    return client.post(
        "/oauth/login",
        data={"csrf_token": csrf_of(page), "next": next_url, "email": email,
              "password": password},
        follow_redirects=False,
    )  # fmt: skip
