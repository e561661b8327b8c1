"""The notes rights matrix: a note is seen as its parent is and written with ``edit`` on it.
For every parent type and every ``view`` and ``edit`` code (A/G/M/D), a user of group "one"
faces notes on a parent of its own, of a group mate and of a user of another group. Every
read path answers the admin's body or nothing; every write path (add, batch edit, single edit,
pin, unpin) succeeds, refuses with 403 naming the item (seen, not editable), or answers as for a
parent or note that does not exist (not seen); a refusal leaves every note and event as it was."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from tests.factories import Factory
from tests.leads.writing import As, as_admin, as_user, assert_problem, problem, validation_body
from tests.parties.helpers import add_party

CODES = ("A", "G", "M", "D")
WHO = ("own", "mate", "stranger")
SEEN_BY = {"A": set(WHO), "G": {"own", "mate"}, "M": {"own"}, "D": set()}
NSC = "The value you selected is not a valid choice."


def _denied(path: str) -> dict[str, Any]:
    return {
        "validation-errors": [{"request_id": "0", "errors": [
            {"code": "AccessDenied", "path": path,
             "detail": "You do not have the right to do this."}]}],
        **problem(403, "Forbidden", "Access denied"),
    }  # fmt: skip


def _rows(factory: Factory, api: As) -> dict[str, list[Any]]:
    with factory.engine.begin() as conn:
        return {
            t: [tuple(r) for r in conn.execute(sa.text(
                f"SELECT * FROM {t} WHERE account_id = :a"  # noqa: S608 (two fixed names)
            ), {"a": api.account.id})]
            for t in ("notes", "events")
        }  # fmt: skip


def _answer(response: Any) -> tuple[int, Any]:
    return response.status_code, response.json() if response.content else None


@pytest.mark.parametrize("edit", CODES)
@pytest.mark.parametrize("view", CODES)
@pytest.mark.parametrize("kind", ["leads", "contacts", "companies"])
def test_matrix(client: TestClient, factory: Factory, kind: str, view: str, edit: str):
    admin = as_admin(client, factory)
    a = admin.account
    user_id = factory.user(a, view=view, edit=edit, group="one")
    user = as_user(client, factory, a, user_id)
    owners = {"own": user_id, "mate": factory.user(a, group="one"),
              "stranger": factory.user(a, group="two")}  # fmt: skip
    sees = SEEN_BY[view]
    edits = sees & SEEN_BY[edit]
    parents = {
        w: factory.lead(a, responsible=o) if kind == "leads" else add_party(factory, a, kind, o)
        for w, o in owners.items()
    }
    notes = {}
    for who, parent in parents.items():
        added = admin.post(f"/api/v4/{kind}/{parent}/notes",
                           [{"note_type": "common", "params": {"text": who}}])  # fmt: skip
        notes[who] = added.json()["_embedded"]["notes"][0]["id"]

    def get(path: str, api: As = user) -> tuple[int, Any]:
        return _answer(client.get(path, headers=api.headers))

    # reads: the admin's answer where the parent is seen, else nothing
    for who, parent in parents.items():
        for path in (f"/api/v4/{kind}/notes/{notes[who]}",
                     f"/api/v4/{kind}/{parent}/notes/{notes[who]}",
                     f"/api/v4/{kind}/{parent}/notes"):  # fmt: skip
            assert get(path) == (get(path, admin) if who in sees else (204, None)), path
    whole = [get(f"/api/v4/{kind}/notes/{notes[w]}", admin)[1] for w in WHO if w in sees]
    listed = get(f"/api/v4/{kind}/notes")
    assert listed == ((200, {**listed[1], "_embedded": {"notes": whole}}) if sees else (204, None))

    # writes
    for who, parent in parents.items():
        note = notes[who]
        item = {"note_type": "common", "params": {"text": "new"}}
        calls = [
            ("add", lambda: user.post(f"/api/v4/{kind}/{parent}/notes", [item])),  # noqa: B023
            ("batch", lambda: user.patch(f"/api/v4/{kind}/notes",
                                         [{"id": note, "params": {"text": "b"}}])),  # noqa: B023
            ("one", lambda: user.patch(f"/api/v4/{kind}/{parent}/notes/{note}",  # noqa: B023
                                       {"params": {"text": "c"}})),
            ("pin", lambda: user.post(f"/api/v4/{kind}/notes/{note}/pin")),  # noqa: B023
            ("unpin", lambda: user.post(f"/api/v4/{kind}/notes/{note}/unpin")),  # noqa: B023
        ]  # fmt: skip
        for name, call in calls:
            before = _rows(factory, admin)
            response = call()
            if who in edits:
                assert response.status_code in (200, 204), (name, response.text)
                continue
            if name in ("pin", "unpin"):
                expected = (problem(403, "Forbidden", "Access denied") if who in sees
                            else problem(404, "Not Found", "Note is not found"))  # fmt: skip
                assert_problem(response, 403 if who in sees else 404, expected)
            elif who in sees:
                assert_problem(response, 403, _denied("entity_id"))
            else:
                path = "entity_id" if name == "add" else "id"
                body = validation_body(("0", [("NotSupportedChoice", path, NSC)]))
                assert_problem(response, 400, body)
            assert _rows(factory, admin) == before, name
