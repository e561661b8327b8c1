"""``kommodore user set-password``: the only way a password is set (argon2id)."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner
from starlette.testclient import TestClient

from kommodore.cli import main as cli
from tests.conftest import Backend
from tests.factories import Factory
from tests.web.conftest import person, rows, sign_in


@pytest.fixture
def env(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> Backend:
    monkeypatch.setenv("KOMMODORE_DATABASE_URL", backend.url)
    monkeypatch.setenv("KOMMODORE_DATA_DIR", str(backend.data_dir))
    monkeypatch.setenv("KOMMODORE_BASE_DOMAIN", "kommo.test")
    return backend


def _hash(factory: Factory, account_id: int, user_id: int) -> str | None:
    found = rows(factory, "SELECT password_hash FROM users WHERE account_id = :a AND id = :u",
                 a=account_id, u=user_id)  # fmt: skip
    return found[0][0]


def test_set_password_from_stdin_then_sign_in(env: Backend, factory: Factory, browser: TestClient):
    who = person(factory, password=None)
    result = CliRunner().invoke(
        cli, ["user", "set-password", "--subdomain", who.account.subdomain,
              "--email", who.email.upper(), "--password-stdin"],
        input="s3cret pass phrase\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == (
        f"password set for {who.email.upper()} (user {who.user_id}) in {who.account.subdomain}\n"
    )
    stored = _hash(factory, who.account.id, who.user_id)
    assert stored is not None and stored.startswith("$argon2id$")
    assert PasswordHasher().verify(stored, "s3cret pass phrase")
    assert sign_in(browser, who.email, "s3cret pass phrase").status_code == 303
    # only that account's user changed
    assert _hash(factory, who.account.id, who.account.admin) is None


def test_set_password_with_a_prompt_and_confirmation(
    env: Backend, factory: Factory, browser: TestClient
):
    who = person(factory)
    assert sign_in(browser, who.email).status_code == 303
    result = CliRunner().invoke(
        cli, ["user", "set-password", "--subdomain", who.account.subdomain, "--email", who.email],
        input="first try 1\nsomething else\nnew password 2\nnew password 2\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output
    assert "new password 2" not in result.output  # hidden input is not echoed
    assert sign_in(browser, who.email, "new password 2").status_code == 303
    browser.cookies.clear()
    old = sign_in(browser, who.email)  # the old password no longer works
    assert old.status_code == 200 and "Wrong email or password" in old.text


@pytest.mark.parametrize(
    "subdomain, email, message",
    [
        ("no-such-account", None, "Error: no account with subdomain 'no-such-account'\n"),
        (None, "nobody@example.com", "Error: no user with email 'nobody@example.com' in '{sub}'\n"),
    ],
)
def test_unknown_account_or_user_fails(
    env: Backend, factory: Factory, subdomain: str | None, email: str | None, message: str
):
    who = person(factory)
    before = _hash(factory, who.account.id, who.user_id)
    sub = subdomain or who.account.subdomain
    result = CliRunner().invoke(
        cli, ["user", "set-password", "--subdomain", sub, "--email", email or who.email,
              "--password-stdin"],
        input="long enough password\n",
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr == message.format(sub=who.account.subdomain)
    assert _hash(factory, who.account.id, who.user_id) == before


def test_short_password_is_refused(env: Backend, factory: Factory):
    who = person(factory)
    before = _hash(factory, who.account.id, who.user_id)
    result = CliRunner().invoke(
        cli, ["user", "set-password", "--subdomain", who.account.subdomain, "--email", who.email,
              "--password-stdin"],
        input="short\n",
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr == "Error: the password must have at least 8 characters\n"
    assert _hash(factory, who.account.id, who.user_id) == before


def test_set_password_needs_subdomain_and_email(env: Backend):
    result = CliRunner().invoke(cli, ["user", "set-password", "--email", "a@example.com"])
    assert result.exit_code == 2
    assert "Missing option '--subdomain'" in result.output
