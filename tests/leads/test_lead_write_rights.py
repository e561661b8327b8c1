"""Rights on lead writes: ``add`` (A/D, per stage too), ``edit`` (A/G/M/D,
never beyond ``view``, judged before the change and in the stage a lead moves to). A lead the
user cannot see is answered as an absent one; one it sees but may not edit is a 403."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.factories import Account, Factory
from tests.leads.writing import As, as_admin, as_user, assert_problem, not_a_choice


def _denied(*entries: tuple[str, str]) -> dict[str, Any]:
    return {
        "validation-errors": [
            {"request_id": request_id, "errors": [
                {"code": "AccessDenied", "path": path,
                 "detail": "You do not have the right to do this."}]}
            for request_id, path in entries
        ],
        "title": "Forbidden", "type": "https://httpstatus.es/403", "status": 403,
        "detail": "Access denied",
    }  # fmt: skip


def _stage_rights(account: Account, stage: str, **rights: str) -> list[dict[str, Any]]:
    pipeline_id, status_id = account.stages[stage]
    return [{"entity_type": "leads", "pipeline_id": pipeline_id, "status_id": status_id,
             "rights": rights}]  # fmt: skip


def _lead_of(admin: As, owner: int) -> int:
    (lead_id,) = admin.add({"responsible_user_id": owner, "name": "owned"})
    return lead_id


def test_no_add_right(client: TestClient, factory: Factory):
    admin = as_admin(client, factory)
    user = as_user(client, factory, admin.account, factory.user(admin.account, add="D"))
    response = user.post("/api/v4/leads", [{"name": "a"}, {"request_id": "b"}])
    assert_problem(response, 403, _denied(("0", "status_id"), ("b", "status_id")))
    assert admin.lead_ids() == []


def test_add_denied_in_one_stage(client: TestClient, factory: Factory):
    admin = as_admin(client, factory)
    account = admin.account
    user = as_user(client, factory, account, factory.user(
        account, status_rights=_stage_rights(account, "second", add="D")))  # fmt: skip
    second = account.stages["second"][1]
    response = user.post("/api/v4/leads", [{}, {"status_id": second}])
    assert_problem(response, 403, _denied(("1", "status_id")))
    assert admin.lead_ids() == []
    assert len(user.add({})) == 1


def test_edit_own_only(client: TestClient, factory: Factory):
    """view A, edit M: the user edits its own lead, sees but may not edit another's."""
    admin = as_admin(client, factory)
    account = admin.account
    user_id = factory.user(account, view="A", edit="M")
    user = as_user(client, factory, account, user_id)
    own, others = _lead_of(admin, user_id), _lead_of(admin, account.admin)
    assert user.patch(f"/api/v4/leads/{own}", {"name": "mine"}).status_code == 200
    before = admin.lead(others)
    response = user.patch("/api/v4/leads", [{"id": own, "name": "x"}, {"id": others, "name": "y"}])
    assert_problem(response, 403, _denied(("1", "id")))
    assert admin.lead(others) == before
    assert admin.lead(own)["name"] == "mine"  # type: ignore[index]


def test_a_lead_the_user_cannot_see_is_absent(client: TestClient, factory: Factory):
    admin = as_admin(client, factory)
    account = admin.account
    user = as_user(client, factory, account, factory.user(account, view="M"))
    others = _lead_of(admin, account.admin)
    assert_problem(user.patch(f"/api/v4/leads/{others}", {"name": "y"}), 400,
                   not_a_choice("0", "id"))  # fmt: skip


def test_group_rights(client: TestClient, factory: Factory):
    admin = as_admin(client, factory)
    account = admin.account
    user = as_user(client, factory, account, factory.user(account, view="G", group="one"))
    mate = factory.user(account, group="one")
    stranger = factory.user(account, group="two")
    assert user.patch(f"/api/v4/leads/{_lead_of(admin, mate)}", {"name": "ok"}).status_code == 200
    assert_problem(user.patch(f"/api/v4/leads/{_lead_of(admin, stranger)}", {"name": "no"}),
                   400, not_a_choice("0", "id"))  # fmt: skip


def test_edit_never_exceeds_view(client: TestClient, factory: Factory):
    """edit A with view M: another's lead is not even visible, so it is absent."""
    admin = as_admin(client, factory)
    account = admin.account
    user = as_user(client, factory, account, factory.user(account, view="M", edit="A"))
    others = _lead_of(admin, account.admin)
    assert_problem(user.patch(f"/api/v4/leads/{others}", {"name": "y"}), 400,
                   not_a_choice("0", "id"))  # fmt: skip


def test_moving_into_a_stage_without_edit_right(client: TestClient, factory: Factory):
    admin = as_admin(client, factory)
    account = admin.account
    user_id = factory.user(account, status_rights=_stage_rights(account, "second", edit="D"))
    user = as_user(client, factory, account, user_id)
    lead_id = _lead_of(admin, user_id)
    response = user.patch(f"/api/v4/leads/{lead_id}", {"status_id": account.stages["second"][1]})
    assert_problem(response, 403, _denied(("0", "id")))
    assert admin.lead(lead_id)["status_id"] == account.stages["first"][1]  # type: ignore[index]


def test_admin_acting_as_a_user_gets_the_users_rights(client: TestClient, factory: Factory):
    admin = as_admin(client, factory)
    user = factory.user(admin.account, add="D")
    response = admin.post("/api/v4/leads", [{}], headers={"X-Context-User-ID": str(user)})
    assert_problem(response, 403, _denied(("0", "status_id")))
