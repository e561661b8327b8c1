"""The status rules of Kommo's API on writes: implied pipelines, defaults, 142/143 and
``closed_at``, loss reasons (with Kommo's keyed error), and fields a stage requires."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.factories import LOST, WON, Factory
from tests.leads.writing import As, Clock, as_admin, assert_problem, not_a_choice, validation_body


def _stage(api: As, lead_id: int) -> tuple[int, int]:
    lead = api.lead(lead_id)
    assert lead is not None
    return lead["pipeline_id"], lead["status_id"]


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ({}, "first"),
        ({"pipeline_id": "other"}, "other_first"),
        ({"status_id": "second"}, "second"),
        ({"status_id": "other_first"}, "other_first"),
        ({"status_id": WON}, "won"),
        ({"pipeline_id": "other", "status_id": "other_first"}, "other_first"),
    ],
)
def test_where_a_new_lead_goes(client: TestClient, factory: Factory, sent: dict[str, Any],
                               expected: str):  # fmt: skip
    api = as_admin(client, factory)
    account = api.account
    item: dict[str, Any] = {}
    if "pipeline_id" in sent:
        item["pipeline_id"] = account.other_pipeline
    if "status_id" in sent:
        status = sent["status_id"]
        item["status_id"] = status if isinstance(status, int) else account.stages[status][1]
    (lead_id,) = api.add(item)
    assert _stage(api, lead_id) == account.stages[expected]


def test_won_and_lost_stay_in_the_leads_pipeline_on_edit(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    account = api.account
    (lead_id,) = api.add({"pipeline_id": account.other_pipeline})
    api.patch(f"/api/v4/leads/{lead_id}", {"status_id": WON})
    assert _stage(api, lead_id) == (account.other_pipeline, WON)


def test_a_pipeline_alone_moves_to_its_first_stage(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    account = api.account
    (lead_id,) = api.add({"status_id": account.stages["second"][1]})
    api.patch(f"/api/v4/leads/{lead_id}", {"pipeline_id": account.main_pipeline})
    assert _stage(api, lead_id) == account.stages["second"]  # same pipeline: stays
    api.patch(f"/api/v4/leads/{lead_id}", {"pipeline_id": account.other_pipeline})
    assert _stage(api, lead_id) == account.stages["other_first"]


@pytest.mark.parametrize("where", ["stage of another pipeline", "incoming", "unknown"])
def test_impossible_stages_are_refused(client: TestClient, factory: Factory, where: str):
    api = as_admin(client, factory)
    account = api.account
    item = {
        "stage of another pipeline": {
            "pipeline_id": account.main_pipeline,
            "status_id": account.stages["other_first"][1],
        },
        "incoming": {"status_id": account.stages["incoming"][1]},
        "unknown": {"status_id": 999_999_999},
    }[where]
    (lead_id,) = api.add({})
    assert_problem(api.post("/api/v4/leads", [item]), 400, not_a_choice("0", "status_id"))
    assert_problem(api.patch("/api/v4/leads", [{"id": lead_id, **item}]), 400,
                   not_a_choice("0", "status_id"))  # fmt: skip
    assert api.lead_ids() == [lead_id]
    assert _stage(api, lead_id) == account.stages["first"]


def test_unknown_pipeline(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    other = factory.account()
    response = api.post("/api/v4/leads", [{"pipeline_id": other.main_pipeline}])
    assert_problem(response, 400, not_a_choice("0", "pipeline_id"))


def test_closing_and_reopening(client: TestClient, factory: Factory):
    """Entering 142/143 sets ``closed_at`` to now; leaving clears it and the loss reason."""
    api = as_admin(client, factory)
    account = api.account
    reason = factory.loss_reason(account)
    (lead_id,) = api.add({})
    with Clock() as clock:
        api.patch(f"/api/v4/leads/{lead_id}", {"status_id": LOST, "loss_reason_id": reason})
    lead = api.lead(lead_id)
    assert lead is not None
    assert clock.covers(lead["closed_at"]) and lead["loss_reason_id"] == reason
    api.patch(f"/api/v4/leads/{lead_id}", {"status_id": account.stages["second"][1]})
    lead = api.lead(lead_id)
    assert lead is not None
    assert (lead["closed_at"], lead["loss_reason_id"]) == (None, None)


def test_a_closed_at_sent_is_kept(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    (lead_id,) = api.add({"status_id": WON, "closed_at": 1_234_567_890})
    assert api.lead(lead_id)["closed_at"] == 1_234_567_890  # type: ignore[index]


def test_a_lead_may_be_created_lost_with_its_reason(client: TestClient, factory: Factory):
    """our choice: allowed, the documented fields permit it."""
    api = as_admin(client, factory)
    reason = factory.loss_reason(api.account)
    (lead_id,) = api.add({"status_id": LOST, "loss_reason_id": reason})
    lead = api.lead(lead_id)
    assert lead is not None
    assert (lead["status_id"], lead["loss_reason_id"]) == (LOST, reason)


def test_loss_reason_only_for_lost_leads(client: TestClient, factory: Factory):
    """Kommo's API: the keyed form, by lead id on edits and by request_id on adds."""
    api = as_admin(client, factory)
    reason = factory.loss_reason(api.account)
    (lead_id,) = api.add({})
    body = {
        "errors": {str(lead_id): "Loss reason can be specified only for lost lead"},
        "title": "Bad Request", "type": "https://httpstatus.es/400", "status": 400,
        "detail": "Invalid request body",
    }  # fmt: skip
    assert_problem(api.patch(f"/api/v4/leads/{lead_id}", {"loss_reason_id": reason}), 400, body)
    assert_problem(
        api.patch("/api/v4/leads", [{"id": lead_id, "status_id": WON, "loss_reason_id": reason}]),
        400,
        body,
    )
    added = api.post("/api/v4/leads", [{"request_id": "new", "loss_reason_id": reason}])
    assert_problem(added, 400, {**body, "errors": {"new": body["errors"][str(lead_id)]}})
    assert api.lead_ids() == [lead_id]
    assert api.lead(lead_id)["loss_reason_id"] is None  # type: ignore[index]


def test_an_unknown_loss_reason(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    other_reason = factory.loss_reason(factory.account())
    response = api.post("/api/v4/leads", [{"status_id": LOST, "loss_reason_id": other_reason}])
    assert_problem(response, 400, not_a_choice("0", "loss_reason_id"))


def test_fields_a_stage_requires(client: TestClient, factory: Factory):
    """A field required in "second": a lead cannot enter it without a value, can with one sent
    alongside, and can once it holds one."""
    api = as_admin(client, factory)
    account = api.account
    pipeline_id, second = account.stages["second"]
    field, _ = factory.field(account, "text")
    factory.execute(
        "UPDATE custom_fields SET required_statuses = :r WHERE account_id = :a AND id = :f",
        r=json.dumps([{"status_id": second, "pipeline_id": pipeline_id}]), a=account.id, f=field,
    )  # fmt: skip
    value = [{"field_id": field, "values": [{"value": "filled"}]}]
    refused = validation_body(
        ("0", [("FieldMissing", f"custom_fields_values.{field}", "This field is missing.")])
    )
    (lead_id,) = api.add({})
    assert_problem(api.patch("/api/v4/leads", [{"id": lead_id, "status_id": second}]), 400,
                   refused)  # fmt: skip
    assert_problem(api.post("/api/v4/leads", [{"status_id": second}]), 400, refused)
    assert _stage(api, lead_id) == account.stages["first"]
    response = api.patch(
        "/api/v4/leads", [{"id": lead_id, "status_id": second, "custom_fields_values": value}]
    )
    assert response.status_code == 200, response.text
    (filled,) = api.add({"custom_fields_values": value})
    assert api.patch(f"/api/v4/leads/{filled}", {"status_id": second}).status_code == 200
    assert _stage(api, filled) == (pipeline_id, second)
    # clearing the value while moving in is refused too
    (third,) = api.add({"custom_fields_values": value})
    cleared = api.patch(
        f"/api/v4/leads/{third}",
        {"status_id": second, "custom_fields_values": [{"field_id": field, "values": None}]},
    )
    assert_problem(cleared, 400, refused)
