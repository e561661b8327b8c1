"""``kommodore token ...`` and ``kommodore integration ...``: names and output are a contract
scripts rely on."""

from __future__ import annotations

import uuid

import jwt
import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from kommodore.cli import main as cli
from kommodore.integrations.service import cli_integration_id
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


# -- integrations (OAuth clients) --------------------------------------------------------------


def _create_integration(*args: str) -> dict[str, object]:
    import json

    result = CliRunner().invoke(
        cli,
        ["integration", "create", "--name", "Shop sync", "--redirect-uri",
         "https://shop.example/cb", *args],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    created: dict[str, object] = json.loads(result.stdout)
    return created


def test_integration_create_list_disable(env: Backend, factory: Factory, client: TestClient):
    created = _create_integration("--scopes", "crm,notifications")
    assert list(created) == [
        "client_id", "client_secret", "name", "redirect_uri", "revocation_url", "scopes",
        "is_private", "owner_account_id",
    ]  # fmt: skip
    client_id = str(created["client_id"])
    uuid.UUID(client_id)
    assert len(str(created["client_secret"])) >= 64
    assert {k: created[k] for k in ("name", "redirect_uri", "revocation_url", "scopes",
                                    "is_private", "owner_account_id")} == {
        "name": "Shop sync", "redirect_uri": "https://shop.example/cb", "revocation_url": None,
        "scopes": ["crm", "notifications"], "is_private": False, "owner_account_id": None,
    }  # fmt: skip

    listed = CliRunner().invoke(cli, ["integration", "list"])
    assert listed.exit_code == 0, listed.output
    line = f"{client_id}\tactive\tpublic\tShop sync\thttps://shop.example/cb"
    assert line in listed.stdout.splitlines()
    assert str(created["client_secret"]) not in listed.stdout

    # an OAuth pair of the integration works, then the disable kills it
    from kommodore.integrations.store import Integration
    from tests.oauth.helpers import code_for, exchange, get_lead

    account = factory.account()
    lead_id = factory.lead(account)
    integration = Integration(client_id, str(created["client_secret"]), "Shop sync",
                              "https://shop.example/cb", None, ("crm", "notifications"), False,
                              None, None, 0)  # fmt: skip
    pair = exchange(client, integration, code_for(client, account, integration)).json()
    assert get_lead(client, lead_id, pair["access_token"]).status_code == 200

    disabled = CliRunner().invoke(cli, ["integration", "disable", client_id])
    assert disabled.exit_code == 0, disabled.output
    assert disabled.stdout == ""
    assert disabled.stderr == (
        f"disabled {client_id}: tokens revoked in 1 account(s); revocation notices queued: 0 "
        "(the webhook delivery worker sends them)\n"
    )
    assert get_lead(client, lead_id, pair["access_token"]).status_code == 401
    relisted = CliRunner().invoke(cli, ["integration", "list"])
    assert f"{client_id}\tdisabled\tpublic\tShop sync\thttps://shop.example/cb" in relisted.stdout
    again = CliRunner().invoke(cli, ["integration", "disable", client_id])
    assert again.exit_code == 1
    assert again.stderr == f"no active integration {client_id}\n"


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--private"], 2),
        (["--subdomain", "x"], 2),
        (["--scopes", "crm,root"], 1),
        (["--private", "--subdomain", "no-such-account"], 1),
        (["--revocation-url", "not a url"], 1),
    ],
)
def test_integration_create_rejects(env: Backend, args: list[str], code: int):
    result = CliRunner().invoke(cli, ["integration", "create", "--name", "X",
                                      "--redirect-uri", "https://x.example/", *args])  # fmt: skip
    assert result.exit_code == code, result.output
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--redirect-uri", "http://evil.example;sandbox;script-src/cb"],
         "redirect_uri: bad host 'evil.example;sandbox;script-src'"),
        (["--redirect-uri", "https://x.example/cb\r\nX: y"],
         "redirect_uri: bad character '\\n\\r ' (percent-encode it)"),
        (["--redirect-uri", "https://x.example/", "--revocation-url", "https://a.example;x/r"],
         "revocation_url: bad host 'a.example;x'"),
    ],
)  # fmt: skip
def test_integration_create_rejects_hostile_uris(env: Backend, args: list[str], message: str):
    result = CliRunner().invoke(cli, ["integration", "create", "--name", "X", *args])
    assert (result.exit_code, result.stdout) == (1, ""), result.output
    assert result.stderr == f"Error: {message}\n"


def test_integration_create_refuses_a_loopback_revocation_url_on_postgresql(
    env: Backend, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("KOMMODORE_OUTBOUND_ALLOW_LOOPBACK", "false")
    result = CliRunner().invoke(cli, ["integration", "create", "--name", "X", "--redirect-uri",
                                      "http://127.0.0.1:8080/cb", "--revocation-url",
                                      "http://127.0.0.1:8080/revoked"])  # fmt: skip
    assert (result.exit_code, result.stdout) == (1, ""), result.output
    assert result.stderr == (
        "Error: revocation_url is not allowed: 127.0.0.1 is a loopback address\n"
    )


def test_long_lived_token_of_a_private_integration(
    env: Backend, factory: Factory, client: TestClient, monkeypatch: pytest.MonkeyPatch
):
    from tests.oauth.helpers import get_lead, receiver

    monkeypatch.setenv("KOMMODORE_OUTBOUND_ALLOW_LOOPBACK", "true")  # the notices' receiver
    account = factory.account()
    lead_id = factory.lead(account)
    member = factory.user(account, view="A")
    with receiver() as notices:
        created = _create_integration(
            "--private", "--subdomain", account.subdomain, "--scopes", "crm",
            "--revocation-url", notices.url,
        )  # fmt: skip
        assert created["is_private"] is True and created["owner_account_id"] == account.id
        client_id = str(created["client_id"])

        result = CliRunner().invoke(cli, ["token", "create", "--subdomain", account.subdomain,
                                          "--admin", "--integration", client_id,
                                          "--days", "1826"])  # fmt: skip
        assert result.exit_code == 0, result.output
        token = result.stdout.strip()
        claims = jwt.decode(token, options={"verify_signature": False})
        assert claims["aud"] == client_id
        assert claims["scopes"] == ["crm"]
        assert claims["exp"] - claims["iat"] == 1826 * 86400
        assert get_lead(client, lead_id, token).status_code == 200

        # only admins issue them; only for the account's own private integrations
        public = str(_create_integration()["client_id"])
        other = factory.account()
        refusals = [
            ["--subdomain", account.subdomain, "--user", str(member), "--integration", client_id],
            ["--subdomain", account.subdomain, "--admin", "--integration", public],
            ["--subdomain", other.subdomain, "--admin", "--integration", client_id],
            ["--subdomain", account.subdomain, "--admin", "--integration", "junk"],
        ]
        for args in refusals:
            refused = CliRunner().invoke(cli, ["token", "create", *args])
            assert refused.exit_code == 1, (args, refused.output)
            assert refused.stdout == ""

        # the account removes it: the token is refused, the integration is told
        removed = CliRunner().invoke(cli, ["integration", "remove", client_id,
                                           "--subdomain", account.subdomain])  # fmt: skip
        assert removed.exit_code == 0, removed.output
        assert removed.stderr == (
            f"removed {client_id} from {account.subdomain}: tokens revoked in 1 account(s); "
            "revocation notices queued: 1 (the webhook delivery worker sends them)\n"
        )
        # `kommodore worker` sends it
        sent = CliRunner().invoke(cli, ["worker", "--until-idle"])
        assert sent.exit_code == 0, sent.output
        assert [r["query"]["account_id"] for r in notices.requests] == [[str(account.id)]]
        assert notices.requests[0]["user_agent"] == "amoService-oAuth-Code-Sender/1.0"
    assert get_lead(client, lead_id, token).status_code == 401
    again = CliRunner().invoke(cli, ["integration", "remove", client_id,
                                     "--subdomain", account.subdomain])  # fmt: skip
    assert again.exit_code == 1
    # reinstalled: the old token stays revoked, a new one works
    reinstalled = CliRunner().invoke(cli, ["integration", "install", client_id,
                                           "--subdomain", account.subdomain])  # fmt: skip
    assert reinstalled.exit_code == 0, reinstalled.output
    assert get_lead(client, lead_id, token).status_code == 401
    fresh = CliRunner().invoke(cli, ["token", "create", "--subdomain", account.subdomain,
                                     "--admin", "--integration", client_id])  # fmt: skip
    assert get_lead(client, lead_id, fresh.stdout.strip()).status_code == 200


def test_integration_install_refuses_another_accounts_private_one(env: Backend, factory: Factory):
    owner, stranger = factory.account(), factory.account()
    client_id = str(_create_integration("--private", "--subdomain", owner.subdomain)["client_id"])
    result = CliRunner().invoke(cli, ["integration", "install", client_id,
                                      "--subdomain", stranger.subdomain])  # fmt: skip
    assert result.exit_code == 1
    assert "private to another account" in result.stderr


def test_cli_tokens_of_the_builtin_integration_keep_working(
    env: Backend, factory: Factory, client: TestClient
):
    """The built-in CLI integration has no integrations row: authentication's join finds none
    and the token stays valid."""
    from tests.oauth.helpers import get_lead

    account = factory.account()
    lead_id = factory.lead(account)
    result = CliRunner().invoke(cli, ["token", "create", "--subdomain", account.subdomain,
                                      "--admin"])  # fmt: skip
    token = result.stdout.strip()
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["aud"] == cli_integration_id(account.id)
    assert get_lead(client, lead_id, token).status_code == 200
