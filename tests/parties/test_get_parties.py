"""GET /api/v4/contacts/{id} and /api/v4/companies/{id}: the base models, whole, and the 204s
of unknown, deleted and invisible entities under the ``contacts``/``companies`` view rights."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.factories import NOW, Account, Factory
from tests.parties.helpers import add_party, add_user

ORIGIN = "http://testserver"
CONTACT_KEYS = [
    "id", "name", "first_name", "last_name", "responsible_user_id", "group_id", "created_by",
    "updated_by", "created_at", "updated_at", "closest_task_at", "is_deleted", "is_unsorted",
    "custom_fields_values", "account_id", "_links", "_embedded",
]  # fmt: skip
COMPANY_KEYS = [k for k in CONTACT_KEYS if k not in ("first_name", "last_name", "is_unsorted")]


@dataclass
class Parties:
    account: Account
    owner: int
    """A user of group "one" who is responsible for every party here."""
    contact: int
    company: int
    deleted_contact: int
    deleted_company: int


@pytest.fixture(scope="module")
def parties(factory: Factory) -> Parties:
    account = factory.account()
    owner = factory.user(account, view="M", group="one")
    contact = add_party(
        factory, account, "contacts", owner, name="Ada Lovelace / Ünïcode", closest_task_at=NOW,
        updated_by=account.admin,
    )  # fmt: skip
    company = add_party(factory, account, "companies", owner, name="Acme B.V.")
    return Parties(
        account,
        owner,
        contact,
        company,
        add_party(factory, account, "contacts", owner, is_deleted=True),
        add_party(factory, account, "companies", owner, is_deleted=True),
    )


def expected_contact(p: Parties) -> dict[str, Any]:
    return {
        "id": p.contact, "name": "Ada Lovelace / Ünïcode", "first_name": "Ada",
        "last_name": f"Lovelace {p.contact}", "responsible_user_id": p.owner,
        "group_id": p.account.groups["one"], "created_by": p.owner,
        "updated_by": p.account.admin, "created_at": NOW - 100, "updated_at": NOW - 50,
        "closest_task_at": NOW, "is_deleted": False, "is_unsorted": False,
        "custom_fields_values": None, "account_id": p.account.id,
        "_links": {"self": {"href": f"{ORIGIN}/api/v4/contacts/{p.contact}"}},
        "_embedded": {"tags": [], "companies": []},
    }  # fmt: skip


def expected_company(p: Parties) -> dict[str, Any]:
    return {
        "id": p.company, "name": "Acme B.V.", "responsible_user_id": p.owner,
        "group_id": p.account.groups["one"], "created_by": p.owner, "updated_by": p.owner,
        "created_at": NOW - 100, "updated_at": NOW - 50, "closest_task_at": None,
        "is_deleted": False, "custom_fields_values": None, "account_id": p.account.id,
        "_links": {"self": {"href": f"{ORIGIN}/api/v4/companies/{p.company}"}},
        "_embedded": {"tags": []},
    }  # fmt: skip


def _get(client: TestClient, factory: Factory, p: Parties, user: int, url: str) -> Any:
    token = factory.token(p.account, user)
    return client.get(url, headers={"Authorization": f"Bearer {token}"})


def test_whole_contact(client: TestClient, factory: Factory, parties: Parties):
    response = _get(
        client, factory, parties, parties.account.admin, f"/api/v4/contacts/{parties.contact}"
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/hal+json"
    assert response.json() == expected_contact(parties)
    assert list(response.json()) == CONTACT_KEYS
    assert "Ada Lovelace / Ünïcode".encode() in response.content


def test_whole_company(client: TestClient, factory: Factory, parties: Parties):
    response = _get(
        client, factory, parties, parties.account.admin, f"/api/v4/companies/{parties.company}"
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/hal+json"
    assert response.json() == expected_company(parties)
    assert list(response.json()) == COMPANY_KEYS


@pytest.mark.parametrize("kind", ["contacts", "companies"])
def test_unknown_deleted_and_foreign_ids_are_204(
    client: TestClient, factory: Factory, parties: Parties, kind: str
):
    other = factory.account()
    foreign = add_party(factory, other, kind, other.admin)
    deleted = parties.deleted_contact if kind == "contacts" else parties.deleted_company
    for pid in (deleted, foreign, 0, 10**12, 10**20):
        response = _get(client, factory, parties, parties.account.admin, f"/api/v4/{kind}/{pid}")
        assert (response.status_code, response.content) == (204, b""), pid


def test_non_numeric_id_is_404(client: TestClient, factory: Factory, parties: Parties):
    response = _get(client, factory, parties, parties.account.admin, "/api/v4/contacts/abc")
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("view", "group", "sees"),
    [
        ("A", "two", True),
        ("G", "one", True),   # same group as the responsible user
        ("G", "two", False),
        ("G", "default", False),
        ("M", "one", False),  # not the responsible user
        ("D", "one", False),
    ],
)  # fmt: skip
def test_view_rights(
    client: TestClient, factory: Factory, parties: Parties, view: str, group: str, sees: bool
):
    user = factory.user(parties.account, view=view, group=group)
    for url, body in (
        (f"/api/v4/contacts/{parties.contact}", expected_contact(parties)),
        (f"/api/v4/companies/{parties.company}", expected_company(parties)),
    ):
        response = _get(client, factory, parties, user, url)
        if sees:
            assert response.status_code == 200 and response.json() == body
        else:
            assert (response.status_code, response.content) == (204, b"")


def test_responsible_user_sees_own_with_m(client: TestClient, factory: Factory, parties: Parties):
    url = f"/api/v4/contacts/{parties.contact}"
    assert _get(client, factory, parties, parties.owner, url).json() == expected_contact(parties)


def test_contacts_and_companies_rights_are_separate(
    client: TestClient, factory: Factory, parties: Parties
):
    user = add_user(factory, parties.account, contacts="A", companies="D")
    assert (
        _get(client, factory, parties, user, f"/api/v4/contacts/{parties.contact}").status_code
        == 200
    )
    assert (
        _get(client, factory, parties, user, f"/api/v4/companies/{parties.company}").status_code
        == 204
    )
    user = add_user(factory, parties.account, contacts="D", companies="G", group="one")
    assert (
        _get(client, factory, parties, user, f"/api/v4/contacts/{parties.contact}").status_code
        == 204
    )
    assert (
        _get(client, factory, parties, user, f"/api/v4/companies/{parties.company}").status_code
        == 200
    )


def test_group_right_follows_the_responsible_users_group(
    client: TestClient, factory: Factory, parties: Parties
):
    """A party stored with a stale ``group_id`` is judged by its responsible user's group."""
    stale = add_party(factory, parties.account, "contacts", parties.owner, group_id=0)
    in_one = factory.user(parties.account, view="G", group="one")
    in_default = factory.user(parties.account, view="G", group="default")
    url = f"/api/v4/contacts/{stale}"
    response = _get(client, factory, parties, in_one, url)
    assert response.status_code == 200 and response.json()["group_id"] == 0
    assert _get(client, factory, parties, in_default, url).status_code == 204


def test_admin_context_user_rights_apply(client: TestClient, factory: Factory, parties: Parties):
    """An admin's token acting as a user through X-Context-User-ID gets that user's rights."""
    user = factory.user(parties.account, view="D")
    token = factory.token(parties.account, parties.account.admin)
    response = client.get(
        f"/api/v4/contacts/{parties.contact}",
        headers={"Authorization": f"Bearer {token}", "X-Context-User-ID": str(user)},
    )
    assert response.status_code == 204


def test_requires_auth(client: TestClient):
    assert client.get("/api/v4/contacts/1").status_code == 401
    assert client.get("/api/v4/companies/1").status_code == 401
