"""The command line: names and output are a contract scripts rely on."""

from __future__ import annotations

import re
import uuid

import jwt
import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from kommodore.cli import main as cli
from tests.conftest import Backend
from tests.factories import Factory


@pytest.fixture
def env(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> Backend:
    monkeypatch.setenv("KOMMODORE_DATABASE_URL", backend.url)
    monkeypatch.setenv("KOMMODORE_DATA_DIR", str(backend.data_dir))
    monkeypatch.setenv("KOMMODORE_BASE_DOMAIN", "kommo.test")
    return backend


def test_token_create_prints_only_a_jwt(env: Backend, factory: Factory):
    account = factory.account()
    user = factory.user(account, view="G", group="one")
    result = CliRunner().invoke(
        cli, ["token", "create", "--subdomain", account.subdomain, "--user", str(user),
              "--days", "3"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert result.stdout == token + "\n"
    assert token.count(".") == 2
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert header["alg"] == "RS256" and header["typ"] == "JWT" and header["kid"]
    assert {"exp", "iat", "nbf", "jti", "sub", "aud", "account_id", "api_domain", "base_domain",
            "scopes"} <= set(claims)  # fmt: skip
    assert claims["sub"] == str(user)
    assert claims["account_id"] == account.id
    assert claims["exp"] - claims["iat"] == 3 * 86400
    assert claims["api_domain"] == claims["base_domain"] == "kommo.test"
    uuid.UUID(claims["aud"])
    uuid.UUID(claims["jti"])


def test_token_create_admin_acts_as_the_admin(env: Backend, factory: Factory):
    account = factory.account()
    result = CliRunner().invoke(cli, ["token", "create", "--subdomain", account.subdomain,
                                      "--admin"])  # fmt: skip
    assert result.exit_code == 0, result.output
    claims = jwt.decode(result.stdout.strip(), options={"verify_signature": False})
    assert claims["sub"] == str(account.admin)


@pytest.mark.parametrize(
    "args",
    [["--admin", "--user", "1"], [], ["--admin", "--days", "0"], ["--admin", "--days", "2000"]],
)
def test_token_create_rejects_bad_options(env: Backend, factory: Factory, args: list[str]):
    account = factory.account()
    result = CliRunner().invoke(cli, ["token", "create", "--subdomain", account.subdomain, *args])
    assert result.exit_code == 2
    assert result.stdout == ""


def test_token_create_for_unknown_account_or_user(env: Backend, factory: Factory):
    account = factory.account()
    missing_account = CliRunner().invoke(cli, ["token", "create", "--subdomain", "nope-nope",
                                               "--admin"])  # fmt: skip
    missing_user = CliRunner().invoke(cli, ["token", "create", "--subdomain", account.subdomain,
                                            "--user", "424242424242"])  # fmt: skip
    for result in (missing_account, missing_user):
        assert result.exit_code == 1
        assert result.stdout == ""


def test_demo_prints_a_token_and_a_working_curl_line(env: Backend, client: TestClient):
    subdomain = f"clidemo{uuid.uuid4().hex[:6]}"
    result = CliRunner().invoke(cli, ["demo", "--subdomain", subdomain, "--leads", "60",
                                      "--seed", "3"])  # fmt: skip
    assert result.exit_code == 0, result.output
    token = re.search(r"^TOKEN=(\S+)$", result.stdout, re.M)
    curl = re.search(r'^curl .*"http://127\.0\.0\.1:8000(/api/v4/leads/\d+\?[^"]+)"$',
                     result.stdout, re.M)  # fmt: skip
    assert token and curl, result.stdout
    response = client.get(curl.group(1), headers={"Authorization": f"Bearer {token.group(1)}"})
    assert response.status_code == 200
    assert response.json()["_embedded"]["contacts"] is not None
