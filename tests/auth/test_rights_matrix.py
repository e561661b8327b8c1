"""Who sees which lead: A, G, M and D, refined by stage rights, and admins.

Every cell is stated here explicitly rather than computed by the code under test.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest
from starlette.testclient import TestClient

from tests.factories import Account, Factory

CODES = ("A", "G", "M", "D")
RELATIONS = ("own", "same_group", "other_group")
STAGES = ("first", "second", "won")

#: view code -> relation of the lead's responsible user to the viewer -> visible
GENERAL = {
    "A": {"own": True, "same_group": True, "other_group": True},
    "G": {"own": True, "same_group": True, "other_group": False},
    "M": {"own": True, "same_group": False, "other_group": False},
    "D": {"own": False, "same_group": False, "other_group": False},
}
#: the "staged" users' stage rights: "second" is denied, "won" allowed for all, "first" untouched
STAGE_OVERRIDE = {"first": None, "second": False, "won": True}


@dataclass
class Matrix:
    account: Account
    tokens: dict[tuple[str, bool], str]
    """(view code, has stage rights) -> token"""
    leads: dict[tuple[str, bool, str, str], int]
    """(code, staged, relation, stage) -> lead id"""
    admin_token: str


@pytest.fixture(scope="module")
def matrix(factory: Factory) -> Matrix:
    account = factory.account()
    main, second = account.stages["second"]
    stage_rights = [
        {"entity_type": "leads", "pipeline_id": main, "status_id": second,
         "rights": {"view": "D", "edit": "D", "delete": "D"}},
        {"entity_type": "leads", "pipeline_id": main, "status_id": 142,
         "rights": {"view": "A", "edit": "D", "delete": "D"}},
    ]  # fmt: skip
    peer = factory.user(account, view="A", group="one")
    stranger = factory.user(account, view="A", group="two")
    tokens: dict[tuple[str, bool], str] = {}
    leads: dict[tuple[str, bool, str, str], int] = {}
    for code, staged in itertools.product(CODES, (False, True)):
        user = factory.user(
            account, view=code, group="one", status_rights=stage_rights if staged else None
        )
        tokens[code, staged] = factory.token(account, user)
        owners = {"own": user, "same_group": peer, "other_group": stranger}
        for relation, stage in itertools.product(RELATIONS, STAGES):
            leads[code, staged, relation, stage] = factory.lead(
                account, responsible=owners[relation], stage=stage
            )
    return Matrix(account, tokens, leads, factory.token(account, account.admin))


def _expected(code: str, staged: bool, relation: str, stage: str) -> bool:
    override = STAGE_OVERRIDE[stage] if staged else None
    return GENERAL[code][relation] if override is None else override


CELLS = list(itertools.product(CODES, (False, True), RELATIONS, STAGES))


@pytest.mark.parametrize(
    ("code", "staged", "relation", "stage"),
    CELLS,
    ids=[f"{c}-{'staged' if s else 'plain'}-{r}-{st}" for c, s, r, st in CELLS],
)
def test_visibility(
    client: TestClient, matrix: Matrix, code: str, staged: bool, relation: str, stage: str
):
    lead_id = matrix.leads[code, staged, relation, stage]
    response = client.get(
        f"/api/v4/leads/{lead_id}",
        headers={"Authorization": f"Bearer {matrix.tokens[code, staged]}"},
    )
    if _expected(code, staged, relation, stage):
        assert response.status_code == 200
        assert response.json()["id"] == lead_id
    else:
        assert response.status_code == 204
        assert response.content == b""


def test_admin_sees_every_lead(client: TestClient, matrix: Matrix):
    statuses = set()
    for lead_id in matrix.leads.values():
        response = client.get(
            f"/api/v4/leads/{lead_id}", headers={"Authorization": f"Bearer {matrix.admin_token}"}
        )
        assert response.status_code == 200
        statuses.add(response.json()["status_id"])
    assert len(statuses) == 3


def test_group_of_lead_is_the_responsible_users_group(client: TestClient, matrix: Matrix):
    lead_id = matrix.leads["A", False, "other_group", "first"]
    response = client.get(
        f"/api/v4/leads/{lead_id}", headers={"Authorization": f"Bearer {matrix.admin_token}"}
    )
    assert response.json()["group_id"] == matrix.account.groups["two"]
