"""Random JSON bodies of every shape against every write endpoint: a client's mistake is always
answered with a 4xx, never a 500 (the standard for bad input). Deterministic: a fixed seed."""

from __future__ import annotations

import json
import random
from typing import Any

from starlette.testclient import TestClient

from tests.factories import Factory
from tests.leads.writing import as_admin

VALUES = [
    None,
    True,
    False,
    0,
    -1,
    1,
    2**70,
    1.5,
    -0.0,
    "",
    "x",
    "\u0000",
    "1",
    [],
    {},
    [1],
    [{}],
    {"id": 1},
    {"name": "x"},
    [None],
]
KEYS = [
    "id",
    "name",
    "price",
    "status_id",
    "pipeline_id",
    "responsible_user_id",
    "created_by",
    "updated_by",
    "created_at",
    "closed_at",
    "loss_reason_id",
    "custom_fields_values",
    "tags_to_add",
    "tags_to_delete",
    "_embedded",
    "request_id",
    "to_entity_id",
    "to_entity_type",
    "metadata",
    "entity_id",
    "destination",
    "settings",
    "sort",
    "color",
    "type",
    "enums",
    "external_id",
    "is_main",
    "is_unsorted_on",
    "values",
    "field_id",
    "field_code",
    "descriptions",
    "default",
    "services",
    "required_statuses",
    "code",
]


def rnd(rng: random.Random, depth: int = 0) -> Any:
    r = rng.random()
    if depth < 3 and r < 0.25:
        return {rng.choice(KEYS): rnd(rng, depth + 1) for _ in range(rng.randint(0, 5))}
    if depth < 3 and r < 0.4:
        return [rnd(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return rng.choice(VALUES)


def test_no_body_makes_a_write_endpoint_fail(client: TestClient, factory: Factory) -> None:
    rng = random.Random(99)
    api = as_admin(client, factory)
    (lead_id,) = api.add({})
    paths = [
        ("POST", "/api/v4/leads"),
        ("PATCH", "/api/v4/leads"),
        ("PATCH", f"/api/v4/leads/{lead_id}"),
        ("POST", "/api/v4/leads/complex"),
        ("POST", f"/api/v4/leads/{lead_id}/link"),
        ("POST", "/api/v4/leads/unlink"),
        ("POST", "/api/v4/leads/pipelines"),
        ("POST", "/api/v4/leads/loss_reasons"),
        ("POST", "/api/v4/leads/tags"),
        ("POST", "/api/v4/leads/custom_fields"),
        ("PATCH", "/api/v4/leads/custom_fields"),
        ("POST", "/api/v4/sources"),
        ("PATCH", "/api/v4/sources"),
        ("POST", "/api/v4/webhooks"),
        ("DELETE", "/api/v4/webhooks"),
        ("POST", "/admin/leads/delete"),
        ("POST", f"/api/v4/leads/pipelines/{api.account.main_pipeline}/statuses"),
    ]
    bad = []
    answered = set()
    for _ in range(600):
        method, path = rng.choice(paths)
        body = rnd(rng)
        if rng.random() < 0.5:
            body = body if isinstance(body, list) else [body]
        r = client.request(method, path, content=json.dumps(body), headers=api.headers)
        answered.add(r.status_code)
        if r.status_code >= 500:
            bad.append((method, path, body, r.status_code, r.text[:200]))
    assert not bad, bad[:5]
    assert {200, 400} <= answered  # the bodies reached both the rules and the writes
