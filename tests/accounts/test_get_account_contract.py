"""GET /api/v4/account: whole answers compared with the spec's shape.

Each case builds the exact body from the rows the test wrote, key for key and in Kommo's key
order, for every ``with`` value: once with nothing in ``accounts.settings`` (the defaults) and
once with every extra stored there.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.testclient import TestClient

from kommodore.db import schema
from tests.factories import NOW, Account, Factory

ORIGIN = "http://testserver"
WITH_VALUES = (
    "amojo_id",
    "amojo_rights",
    "users_groups",
    "task_types",
    "version",
    "entity_names",
    "datetime_settings",
    "drive_url",
    "is_api_filter_enabled",
    "invoices_settings",
)
KEY_ORDER = [
    "id", "name", "subdomain", "created_at", "created_by", "updated_at", "updated_by",
    "current_user_id", "country", "currency", "currency_symbol", "customers_mode",
    "is_unsorted_on", "mobile_feature_version", "is_loss_reason_enabled", "is_helpbot_enabled",
    "is_technical_account", "is_api_filter_enabled", "contact_name_display_order", "amojo_id",
    "uuid", "drive_url", "version", "entity_names", "invoices_settings", "_links", "_embedded",
]  # fmt: skip
"""Kommo's order: its example's (``is_api_filter_enabled`` before
``contact_name_display_order``, then ``amojo_id, uuid, drive_url, version``), with
``mobile_feature_version`` right after ``is_unsorted_on`` as real answers have it."""
EMBEDDED_ORDER = ["amojo_rights", "users_groups", "task_types", "datetime_settings"]
EMBEDDED_WITH = frozenset(EMBEDDED_ORDER)

DEFAULT_DATETIME = {
    "date_pattern": "d.m.Y H:i", "short_date_pattern": "d.m.Y", "short_time_pattern": "H:i",
    "date_format": "d.m.Y", "time_format": "H:i:s", "timezone": "UTC",
    "timezone_offset": "+00:00",
}  # fmt: skip
STORED_SETTINGS: dict[str, Any] = {
    "datetime_settings": {
        "date_pattern": "m/d/Y h:i A", "short_date_pattern": "m/d/Y",
        "short_time_pattern": "h:i A", "date_format": "m/d/Y", "time_format": "h:i:s A",
        "timezone": "America/Sao_Paulo", "timezone_offset": "-03:00",
    },
    "entity_names": {"leads": {"pt": {"singular_form": {"default": "negócio"},
                                      "plural_form": {"default": "negócios"}}}},
    "drive_url": "https://drive-c.example.com",
    "is_api_filter_enabled": False,
    "amojo_rights": {"can_direct": False, "can_create_groups": True},
    "invoices_settings": {"lang": "pt", "invoices_catalog_id": 4242},
    "task_types": [
        {"id": 1, "name": "Follow-up", "color": None, "icon_id": None, "code": "FOLLOW_UP"},
        {"id": 2, "name": "Meeting", "color": None, "icon_id": None, "code": "MEETING"},
        {"id": 77, "name": "Demo call", "color": "#ffcc00", "icon_id": 5, "code": None},
    ],
    "uuid": "824f3a59-6154-4edf-ba90-0b5593715d07",
}  # fmt: skip
AMOJO_ID = "f3c6340d-410e-4ad1-9f7e-c5e663599909"


@dataclass
class Setup:
    account: Account
    admin_token: str
    user: int
    user_token: str
    settings: dict[str, Any]
    amojo_id: str | None
    invoices_catalog: int | None


def _setup(factory: Factory, *, stored: bool) -> Setup:
    account = factory.account()
    catalog_id = None
    if stored:
        factory.execute(
            "UPDATE accounts SET settings = :s, amojo_id = :a WHERE id = :i",
            s=json.dumps(STORED_SETTINGS),
            a=AMOJO_ID,
            i=account.id,
        )
    else:
        catalog_id = factory.id("catalogs")
        factory._insert(
            schema.catalogs,
            [{"account_id": account.id, "id": catalog_id, "name": "Invoices", "type": "invoices",
              "sort": 10, "created_by": 0, "updated_by": 0, "created_at": NOW,
              "updated_at": NOW}],
        )  # fmt: skip
    user = factory.user(account, view="M", group="two")
    return Setup(
        account=account,
        admin_token=factory.token(account, account.admin),
        user=user,
        user_token=factory.token(account, user),
        settings=STORED_SETTINGS if stored else {},
        amojo_id=AMOJO_ID if stored else None,
        invoices_catalog=catalog_id,
    )


@pytest.fixture(scope="module")
def defaults(factory: Factory) -> Setup:
    return _setup(factory, stored=False)


@pytest.fixture(scope="module")
def stored(factory: Factory) -> Setup:
    return _setup(factory, stored=True)


def derived_uuid(account_id: int) -> str:
    """The account's ``uuid`` when none is stored: derived from its id, the same every time."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"kommodore:account:{account_id}"))


def expected(setup: Setup, with_: frozenset[str], current_user: int) -> dict[str, Any]:
    account, stored = setup.account, setup.settings
    body: dict[str, Any] = {
        "id": account.id, "name": f"Account {account.subdomain}", "subdomain": account.subdomain,
        "created_at": NOW, "created_by": 0, "updated_at": NOW, "updated_by": 0,
        "current_user_id": current_user, "country": "NL", "currency": "EUR",
        "currency_symbol": "€", "customers_mode": "disabled", "is_unsorted_on": True,
        "mobile_feature_version": 0, "is_loss_reason_enabled": True,
        "is_helpbot_enabled": False, "is_technical_account": False,
    }  # fmt: skip
    if "is_api_filter_enabled" in with_:
        body["is_api_filter_enabled"] = stored.get("is_api_filter_enabled", True)
    body["contact_name_display_order"] = 1
    if "amojo_id" in with_:
        body["amojo_id"] = setup.amojo_id
        body["uuid"] = stored.get("uuid", derived_uuid(account.id))
    if "drive_url" in with_:
        body["drive_url"] = stored.get("drive_url", ORIGIN)
    if "version" in with_:
        body["version"] = 11
    if "entity_names" in with_:
        body["entity_names"] = stored.get(
            "entity_names",
            {"leads": {"en": {"singular_form": {"default": "lead"},
                              "plural_form": {"default": "leads"}}}},
        )  # fmt: skip
    if "invoices_settings" in with_:
        body["invoices_settings"] = stored.get(
            "invoices_settings", {"lang": "en", "invoices_catalog_id": setup.invoices_catalog}
        )
    body["_links"] = {"self": {"href": f"{ORIGIN}/api/v4/account"}}
    embedded: dict[str, Any] = {}
    if "amojo_rights" in with_:
        embedded["amojo_rights"] = stored.get(
            "amojo_rights", {"can_direct": True, "can_create_groups": True}
        )
    if "users_groups" in with_:
        embedded["users_groups"] = [
            {"id": 0, "name": "Main", "uuid": None},
            {"id": account.groups["one"], "name": "One", "uuid": None},
            {"id": account.groups["two"], "name": "Two", "uuid": None},
        ]
    if "task_types" in with_:
        embedded["task_types"] = stored.get(
            "task_types",
            [{"id": 1, "name": "Follow-up", "color": None, "icon_id": None, "code": "FOLLOW_UP"},
             {"id": 2, "name": "Meeting", "color": None, "icon_id": None, "code": "MEETING"}],
        )  # fmt: skip
    if "datetime_settings" in with_:
        embedded["datetime_settings"] = stored.get("datetime_settings", DEFAULT_DATETIME)
    if embedded:
        body["_embedded"] = embedded
    return body


def _get(client: TestClient, token: str, with_: str | None = None, **headers: str) -> Any:
    params = {"with": with_} if with_ is not None else None
    return client.get(
        "/api/v4/account", params=params, headers={"Authorization": f"Bearer {token}", **headers}
    )


def _check(response: Any, want: dict[str, Any]) -> None:
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/hal+json"
    body = response.json()
    assert body == want
    assert list(body) == [k for k in KEY_ORDER if k in body]
    if "_embedded" in body:
        assert list(body["_embedded"]) == [k for k in EMBEDDED_ORDER if k in body["_embedded"]]


CASES = [frozenset(), *(frozenset({w}) for w in WITH_VALUES), frozenset(WITH_VALUES)]


@pytest.mark.parametrize("with_", CASES, ids=lambda w: ",".join(sorted(w)) or "none")
def test_defaults_for_each_with(client: TestClient, defaults: Setup, with_: frozenset[str]):
    """Nothing stored in ``accounts.settings``: every extra takes its Kommo-like default, the
    invoices catalog id comes from the account's invoices catalog."""
    response = _get(client, defaults.admin_token, ",".join(sorted(with_)))
    _check(response, expected(defaults, with_, defaults.account.admin))


@pytest.mark.parametrize("with_", CASES, ids=lambda w: ",".join(sorted(w)) or "none")
def test_stored_settings_for_each_with(client: TestClient, stored: Setup, with_: frozenset[str]):
    response = _get(client, stored.admin_token, ",".join(sorted(with_)))
    _check(response, expected(stored, with_, stored.account.admin))


def test_without_with_there_is_no_embedded(client: TestClient, defaults: Setup):
    body = _get(client, defaults.admin_token).json()
    assert "_embedded" not in body
    assert list(body)[-1] == "_links"


def test_partial_datetime_settings_keep_every_key(client: TestClient, factory: Factory):
    """A stored object missing keys is merged over the defaults, so the SDK finds them all."""
    account = factory.account()
    factory.execute(
        "UPDATE accounts SET settings = :s WHERE id = :i",
        s=json.dumps({"datetime_settings": {"timezone": "Europe/Lisbon"}}),
        i=account.id,
    )
    body = _get(client, factory.token(account, account.admin), "datetime_settings").json()
    assert body["_embedded"]["datetime_settings"] == {
        **DEFAULT_DATETIME,
        "timezone": "Europe/Lisbon",
    }
    assert list(body["_embedded"]["datetime_settings"]) == list(DEFAULT_DATETIME)


def test_non_admin_may_read_and_is_the_current_user(client: TestClient, defaults: Setup):
    """Kommo's API: available to all users; ``current_user_id`` is the token's user."""
    response = _get(client, defaults.user_token, "users_groups")
    _check(response, expected(defaults, frozenset({"users_groups"}), defaults.user))


def test_current_user_follows_x_context_user_id(client: TestClient, defaults: Setup):
    response = _get(client, defaults.admin_token, None, **{"X-Context-User-ID": str(defaults.user)})
    _check(response, expected(defaults, frozenset(), defaults.user))


def test_unknown_with_values_are_ignored(client: TestClient, defaults: Setup):
    response = _get(client, defaults.admin_token, "version,nonsense,leads")
    _check(response, expected(defaults, frozenset({"version"}), defaults.account.admin))


def test_with_accepts_encoded_commas_and_repeats(client: TestClient, defaults: Setup):
    response = client.get(
        "/api/v4/account?with=version%2Ctask_types&with=drive_url",
        headers={"Authorization": f"Bearer {defaults.admin_token}"},
    )
    want = expected(
        defaults, frozenset({"version", "task_types", "drive_url"}), defaults.account.admin
    )
    _check(response, want)


def test_links_follow_the_request_origin(client: TestClient, defaults: Setup):
    origin = f"https://{defaults.account.subdomain}.kommo.test:8443"
    response = client.get(
        f"{origin}/api/v4/account?with=drive_url",
        headers={"Authorization": f"Bearer {defaults.admin_token}"},
    )
    body = response.json()
    assert body["_links"]["self"]["href"] == f"{origin}/api/v4/account"
    assert body["drive_url"] == origin


def test_no_token_is_401(client: TestClient):
    response = client.get("/api/v4/account")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 401


def test_non_ascii_is_not_escaped(client: TestClient, stored: Setup):
    raw = _get(client, stored.admin_token, "entity_names").content
    assert "negócio".encode() in raw
    assert b"\\u" not in raw


def test_uuid_comes_with_amojo_id_and_is_the_accounts_own(client: TestClient, factory: Factory):
    """Kommo sends ``uuid`` beside ``amojo_id``: the same on every request, another account's
    differs, and a UUID in Kommo's text form."""
    one, two = factory.account(), factory.account()
    first = _get(client, factory.token(one, one.admin), "amojo_id").json()
    again = _get(client, factory.token(one, one.admin), "amojo_id,version").json()
    other = _get(client, factory.token(two, two.admin), "amojo_id").json()
    assert first["uuid"] == again["uuid"] == derived_uuid(one.id)
    assert other["uuid"] == derived_uuid(two.id) != first["uuid"]
    assert str(uuid.UUID(first["uuid"])) == first["uuid"]
    assert "uuid" not in _get(client, factory.token(one, one.admin), "version").json()
