"""``kommodore demo``'s data: realistic, deterministic, and created once."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from kommodore.db import sqlalchemy_url
from kommodore.demo.generator import create_demo
from tests.conftest import Backend


def _query(backend: Backend, statement: str, **params: Any) -> list[Any]:
    engine = sa.create_engine(sqlalchemy_url(backend.url))
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text(statement), params))
    finally:
        engine.dispose()


def _fingerprint(backend: Backend, account_id: int) -> list[tuple[Any, ...]]:
    """What a lead looks like apart from its ids: must repeat exactly for the same seed."""
    return [
        tuple(row)
        for row in _query(
            backend,
            "SELECT l.price, l.price_minor, l.is_deleted, CASE WHEN l.status_id IN (142, 143) "
            "THEN l.status_id ELSE 0 END, lr.name, "
            "(SELECT count(*) FROM lead_tags t WHERE t.account_id = l.account_id "
            " AND t.lead_id = l.id), "
            "(SELECT count(*) FROM lead_custom_field_values v WHERE v.account_id = l.account_id "
            " AND v.lead_id = l.id), "
            "(SELECT count(*) FROM lead_contacts c WHERE c.account_id = l.account_id "
            " AND c.lead_id = l.id), "
            "(SELECT count(*) FROM tasks k WHERE k.account_id = l.account_id "
            " AND k.entity_type = 'leads' AND k.entity_id = l.id) "
            "FROM leads l LEFT JOIN loss_reasons lr ON lr.account_id = l.account_id "
            "AND lr.id = l.loss_reason_id WHERE l.account_id = :a ORDER BY l.id",
            a=account_id,
        )
    ]


@pytest.fixture(scope="module")
def demo(backend: Backend):
    return create_demo(backend.url, f"demo{uuid.uuid4().hex[:8]}", leads=400, seed=7)


def test_running_twice_does_not_duplicate(backend: Backend, demo):
    again = create_demo(backend.url, demo.subdomain, leads=400, seed=7)
    assert demo.created and not again.created
    assert again.account_id == demo.account_id
    assert again.leads == demo.leads == 400
    (count,) = _query(backend, "SELECT count(*) FROM accounts WHERE subdomain = :s",
                      s=demo.subdomain)[0]  # fmt: skip
    assert count == 1


def test_same_seed_same_data(backend: Backend, demo):
    twin = create_demo(backend.url, f"twin{uuid.uuid4().hex[:8]}", leads=400, seed=7)
    other = create_demo(backend.url, f"other{uuid.uuid4().hex[:8]}", leads=400, seed=8)
    assert _fingerprint(backend, twin.account_id) == _fingerprint(backend, demo.account_id)
    assert _fingerprint(backend, other.account_id) != _fingerprint(backend, demo.account_id)


def test_users_cover_every_view_right_in_two_groups(backend: Backend, demo):
    rows = _query(
        backend,
        "SELECT is_admin, is_free, group_id, rights FROM users WHERE account_id = :a",
        a=demo.account_id,
    )
    import json

    views = {json.loads(r.rights)["leads"]["view"] for r in rows if not r.is_admin}
    assert {"A", "G", "M", "D"} <= views
    assert sum(1 for r in rows if r.is_admin) == 1
    assert len({r.group_id for r in rows if r.group_id is not None}) == 2
    assert any(json.loads(r.rights)["status_rights"] for r in rows)


def test_leads_spread_over_stages_outcomes_and_deletion(backend: Backend, demo):
    (row,) = _query(
        backend,
        "SELECT count(DISTINCT pipeline_id), count(DISTINCT status_id), "
        "sum(CASE WHEN status_id = 142 THEN 1 ELSE 0 END), "
        "sum(CASE WHEN status_id = 143 AND loss_reason_id IS NOT NULL THEN 1 ELSE 0 END), "
        "sum(CASE WHEN is_deleted THEN 1 ELSE 0 END), "
        "sum(CASE WHEN source_id IS NOT NULL THEN 1 ELSE 0 END) "
        "FROM leads WHERE account_id = :a",
        a=demo.account_id,
    )
    pipelines, statuses, won, lost_with_reason, deleted, with_source = row
    assert pipelines == 2
    assert statuses >= 9  # every stage of both pipelines, 142 and 143
    assert won > 0 and lost_with_reason > 0 and deleted > 0 and with_source > 0


def test_some_budgets_have_cents(backend: Backend, demo):
    """A tenth of the priced leads carry 50 cents (``price_with_minor_units``), none unpriced."""
    ((with_cents, unpriced_with_cents, other_minor),) = _query(
        backend,
        "SELECT sum(CASE WHEN price_minor = 50 THEN 1 ELSE 0 END), "
        "sum(CASE WHEN price = 0 AND price_minor <> 0 THEN 1 ELSE 0 END), "
        "sum(CASE WHEN price_minor NOT IN (0, 50) THEN 1 ELSE 0 END) "
        "FROM leads WHERE account_id = :a",
        a=demo.account_id,
    )
    assert 0 < with_cents <= 40 and unpriced_with_cents == 0 and other_minor == 0


def test_related_data_exists(backend: Backend, demo):
    counts = {}
    for table in ("lead_tags", "lead_contacts", "lead_companies", "lead_catalog_elements",
                  "lead_custom_field_values", "loss_reasons", "sources", "tags"):  # fmt: skip
        (counts[table],) = _query(
            backend,
            f"SELECT count(*) FROM {table} WHERE account_id = :a",  # noqa: S608 (tables from the fixed tuple above)
            a=demo.account_id,
        )[0]
    assert all(n > 0 for n in counts.values()), counts
    (types,) = _query(
        backend,
        "SELECT count(DISTINCT f.type) FROM lead_custom_field_values v JOIN custom_fields f "
        "ON f.account_id = v.account_id AND f.id = v.field_id WHERE v.account_id = :a",
        a=demo.account_id,
    )[0]
    assert types >= 8


def test_tasks_are_open_overdue_and_completed_and_derive_closest_task_at(backend: Backend, demo):
    """Leads carry open, overdue and completed tasks; each lead's ``closest_task_at`` is
    exactly what the tasks derive, null for a lead without an open task."""
    (row,) = _query(
        backend,
        "SELECT sum(CASE WHEN NOT is_completed AND complete_till > :now THEN 1 ELSE 0 END), "
        "sum(CASE WHEN NOT is_completed AND complete_till <= :now THEN 1 ELSE 0 END), "
        "sum(CASE WHEN is_completed THEN 1 ELSE 0 END), "
        "sum(CASE WHEN result_text IS NOT NULL THEN 1 ELSE 0 END), "
        "sum(CASE WHEN task_type_id = 2 THEN 1 ELSE 0 END) "
        "FROM tasks WHERE account_id = :a AND entity_type = 'leads'",
        a=demo.account_id,
        now=int(time.time()),
    )
    open_, overdue, completed, with_result, meetings = row
    assert min(open_, overdue, completed, with_result, meetings) > 0, row
    wrong = _query(
        backend,
        "SELECT l.id, l.closest_task_at, (SELECT min(t.complete_till) FROM tasks t "
        "WHERE t.account_id = l.account_id AND t.entity_type = 'leads' AND t.entity_id = l.id "
        "AND NOT t.is_completed) AS derived FROM leads l WHERE l.account_id = :a",
        a=demo.account_id,
    )
    assert [r for r in wrong if r[1] != r[2]] == []
    assert any(r[1] is not None for r in wrong) and any(r[1] is None for r in wrong)
