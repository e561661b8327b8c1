"""Every way a bearer token can be wrong gets Kommo's 401 body and nothing else."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from kommodore.auth.keys import SigningKey, _from_pem, generate_pem
from kommodore.auth.tokens import issue_token
from kommodore.cli import main as cli
from tests.conftest import Backend
from tests.factories import Account, Factory

UNAUTHORIZED = {
    "title": "Unauthorized",
    "type": "https://httpstatus.es/401",
    "status": 401,
    "detail": "Invalid user name or password",
}


@pytest.fixture(scope="module")
def account(factory: Factory) -> Account:
    return factory.account()


@pytest.fixture(scope="module")
def lead_id(factory: Factory, account: Account) -> int:
    return factory.lead(account)


def _get(client: TestClient, lead_id: int, authorization: str | None, **headers: str):
    if authorization is not None:
        headers["Authorization"] = authorization
    return client.get(f"/api/v4/leads/{lead_id}", headers=headers)


def assert_401(response) -> None:
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == UNAUTHORIZED


def test_valid_token_reads_the_lead(client: TestClient, factory: Factory, account, lead_id):
    response = _get(client, lead_id, f"Bearer {factory.token(account, account.admin)}")
    assert response.status_code == 200


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc", "Bearer abc",
     "Bearer a.b.c", "Bearer ....", "Bearer eyJhbGciOiJSUzI1NiJ9.e30.AAAA"],
)  # fmt: skip
def test_missing_or_malformed(client: TestClient, lead_id: int, authorization: str | None):
    assert_401(_get(client, lead_id, authorization))


def test_expired(client: TestClient, factory: Factory, account: Account, lead_id: int):
    token = factory.token(account, account.admin, lifetime=60, now=int(time.time()) - 120)
    assert_401(_get(client, lead_id, f"Bearer {token}"))


def test_not_yet_valid(client: TestClient, factory: Factory, account: Account, lead_id: int):
    token = factory.token(account, account.admin, now=int(time.time()) + 600)
    assert_401(_get(client, lead_id, f"Bearer {token}"))


def test_signed_by_another_key(client: TestClient, factory: Factory, account: Account, lead_id):
    stranger: SigningKey = _from_pem(generate_pem())
    issued = issue_token(
        stranger, account_id=account.id, user_id=account.admin, integration_id="x",
        api_domain="kommo.test", base_domain="kommo.test", lifetime_seconds=3600,
    )  # fmt: skip
    assert_401(_get(client, lead_id, f"Bearer {issued.token}"))


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def test_alg_none(client: TestClient, factory: Factory, account: Account, lead_id: int):
    genuine = factory.token(account, account.admin)
    payload = jwt.decode(genuine, options={"verify_signature": False})
    forged = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(payload)}."
    assert_401(_get(client, lead_id, f"Bearer {forged}"))


def test_hs256_with_public_key_as_secret(
    client: TestClient, factory: Factory, account: Account, lead_id: int, signing_key
):
    """The classic algorithm confusion: HMAC keyed with the server's public key."""
    from cryptography.hazmat.primitives import serialization

    genuine = factory.token(account, account.admin)
    payload = jwt.decode(genuine, options={"verify_signature": False})
    public_pem = signing_key.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = _b64({"alg": "HS256", "typ": "JWT"})
    body = _b64(payload)
    import hashlib
    import hmac

    mac = hmac.new(public_pem, f"{header}.{body}".encode(), hashlib.sha256).digest()
    forged = f"{header}.{body}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"
    assert_401(_get(client, lead_id, f"Bearer {forged}"))


def test_tampered_claims_keep_old_signature(
    client: TestClient, factory: Factory, account: Account, lead_id: int
):
    genuine = factory.token(account, account.admin)
    header, _, signature = genuine.split(".")
    payload = jwt.decode(genuine, options={"verify_signature": False})
    payload["exp"] += 10**6
    assert_401(_get(client, lead_id, f"Bearer {header}.{_b64(payload)}.{signature}"))


def test_unknown_jti(client: TestClient, factory: Factory, account: Account, lead_id: int):
    """A well-signed token the server never recorded (e.g. from a wiped database) is refused."""
    token = factory.token(account, account.admin, record=False)
    assert_401(_get(client, lead_id, f"Bearer {token}"))


def test_revoked_through_the_cli(
    client: TestClient, factory: Factory, account: Account, lead_id: int, backend: Backend,
    monkeypatch: pytest.MonkeyPatch,
):  # fmt: skip
    token = factory.token(account, account.admin)
    assert _get(client, lead_id, f"Bearer {token}").status_code == 200
    jti = jwt.decode(token, options={"verify_signature": False})["jti"]
    monkeypatch.setenv("KOMMODORE_DATABASE_URL", backend.url)
    monkeypatch.setenv("KOMMODORE_DATA_DIR", str(backend.data_dir))
    result = CliRunner().invoke(cli, ["token", "revoke", jti])
    assert result.exit_code == 0, result.output
    assert_401(_get(client, lead_id, f"Bearer {token}"))
    again = CliRunner().invoke(cli, ["token", "revoke", jti])
    assert again.exit_code == 1


class TestTenancy:
    def test_host_of_own_account(self, client, factory: Factory, account: Account, lead_id):
        token = factory.token(account, account.admin)
        response = _get(client, lead_id, f"Bearer {token}", Host=f"{account.subdomain}.kommo.test")
        assert response.status_code == 200
        assert response.json()["_links"]["self"]["href"].startswith(
            f"http://{account.subdomain}.kommo.test/"
        )

    def test_host_of_another_account(self, client, factory: Factory, account: Account, lead_id):
        other = factory.account()
        token = factory.token(other, other.admin)
        assert_401(_get(client, lead_id, f"Bearer {token}", Host=f"{account.subdomain}.kommo.test"))

    @pytest.mark.parametrize(
        "host", ["nosuchaccount.kommo.test:8000", "bad_name.kommo.test", "-x.kommo.test",
                 "xn--ber-goa.kommo.test", "a%00b.kommo.test"],
    )  # fmt: skip
    def test_unknown_or_invalid_subdomain(self, client, factory, account: Account, lead_id, host):
        token = factory.token(account, account.admin)
        assert_401(_get(client, lead_id, f"Bearer {token}", Host=host))

    def test_other_accounts_lead_by_id(self, client, factory: Factory, account: Account, lead_id):
        """A valid token of account B asks for account A's lead id: there is no such lead in B."""
        other = factory.account()
        token = factory.token(other, other.admin)
        response = _get(client, lead_id, f"Bearer {token}")
        assert response.status_code == 204
        assert response.content == b""

    def test_other_host_uses_the_tokens_account(self, client, factory, account, lead_id):
        token = factory.token(account, account.admin)
        for host in ("127.0.0.1:8000", "localhost", "example.org"):
            assert _get(client, lead_id, f"Bearer {token}", Host=host).status_code == 200


class TestContextUser:
    def test_admin_acts_as_a_restricted_user(self, client, factory: Factory, account, lead_id):
        mine = factory.user(account, view="M", group="one")
        own_lead = factory.lead(account, responsible=mine)
        token = factory.token(account, account.admin)
        headers = {"X-Context-User-ID": str(mine)}
        assert _get(client, lead_id, f"Bearer {token}", **headers).status_code == 204
        assert _get(client, own_lead, f"Bearer {token}", **headers).status_code == 200
        assert _get(client, lead_id, f"Bearer {token}").status_code == 200

    @pytest.mark.parametrize(
        "kind",
        ["unknown", "free", "inactive", "garbage", "other_account", "past_max_id", "not_ascii"],
    )
    def test_unusable_context_user(self, client, factory: Factory, account, lead_id, kind: str):
        other = factory.account()
        value = {
            "unknown": "987654321987",
            "free": str(factory.user(account, free=True)),
            "inactive": str(factory.user(account, active=False)),
            "garbage": "12abc",
            "other_account": str(other.admin),
            "past_max_id": "9" * 40,
            "not_ascii": b"\xb2",  # a superscript two in latin-1: str.isdigit() says yes
        }[kind]
        token = factory.token(account, account.admin)
        assert_401(_get(client, lead_id, f"Bearer {token}", **{"X-Context-User-ID": value}))

    def test_ignored_for_a_non_admin_token(self, client, factory: Factory, account, lead_id):
        viewer = factory.user(account, view="A", group="two")
        blind = factory.user(account, view="D", group="two")
        token = factory.token(account, viewer)
        response = _get(client, lead_id, f"Bearer {token}", **{"X-Context-User-ID": str(blind)})
        assert response.status_code == 200


def test_unpaid_account_is_402(client: TestClient, factory: Factory):
    account = factory.account(paid_till=int(time.time()) - 86400)
    lead_id = factory.lead(account)
    response = _get(client, lead_id, f"Bearer {factory.token(account, account.admin)}")
    assert response.status_code == 402
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "title": "Payment Required",
        "type": "https://httpstatus.es/402",
        "status": 402,
        "detail": "Payment required",
    }
