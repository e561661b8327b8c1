"""The contacts and companies rights matrix: every ``view`` and ``edit`` code (A/G/M/D), and
``add`` A and D beside each, for a user of group "one" facing a contact and a company of its
own, of a group mate and of a user of another group. Each operation is answered whole: GET by
id (the admin's body, or 204), the list (exactly the visible ones), POST, PATCH by id and in a
batch, and links in the path and batch forms. A refusal writes nothing: every row of the
account's contacts, companies, their links, tags, values and events is as it was.

Rules, as for leads: ``edit`` never reaches beyond ``view``; a party the user cannot see is
absent (400 ``NotSupportedChoice`` at ``id`` in an edit, 404 in a link path, 204 by id); one it
sees but may not edit is a 403 naming the items (``AccessDenied`` at ``id``); links refuse the
whole batch with 403 before any validation error (the lead links' order)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from tests.factories import Factory
from tests.leads.writing import assert_problem, problem, validation_body
from tests.parties.helpers import add_party, add_user

CODES = ("A", "G", "M", "D")
WHO = ("own", "mate", "stranger")
SEEN_BY = {"A": set(WHO), "G": {"own", "mate"}, "M": {"own"}, "D": set()}
"""Whose parties a code reaches, for a user of group "one" (the mate's group)."""
NSC = "The value you selected is not a valid choice."
DENIED = "You do not have the right to do this."


def _denied(*request_ids: str) -> dict[str, Any]:
    return {
        "validation-errors": [
            {"request_id": r, "errors": [{"code": "AccessDenied", "path": "id",
                                          "detail": DENIED}]}
            for r in request_ids
        ],
        **problem(403, "Forbidden", "Access denied"),
    }  # fmt: skip


def _absent(*entries: tuple[str, list[str]]) -> dict[str, Any]:
    return validation_body(
        *((r, [("NotSupportedChoice", p, NSC) for p in paths]) for r, paths in entries)
    )


TABLES = ("contacts", "companies", "company_contacts", "contact_tags", "company_tags",
          "contact_custom_field_values", "company_custom_field_values", "events")  # fmt: skip
"""Everything a contact or company write touches."""


class Session:
    def __init__(self, client: TestClient, factory: Factory, account: Any, user: int) -> None:
        self.client, self.factory, self.account = client, factory, account
        self.user = {"Authorization": f"Bearer {factory.token(account, user)}"}
        self.admin = {"Authorization": f"Bearer {factory.token(account, account.admin)}"}

    def call(self, method: str, url: str, body: Any = None, *, admin: bool = False) -> Any:
        headers = self.admin if admin else self.user
        return self.client.request(method, url, json=body, headers=headers)

    def rows(self) -> dict[str, list[Any]]:
        """Every row of the account a contact or company write could leave."""
        with self.factory.engine.begin() as conn:
            return {
                t: [tuple(r) for r in conn.execute(sa.text(
                    f"SELECT * FROM {t} WHERE account_id = :a"  # noqa: S608 (the fixed TABLES)
                ), {"a": self.account.id})]
                for t in TABLES
            }  # fmt: skip


@pytest.mark.parametrize("edit", CODES)
@pytest.mark.parametrize("view", CODES)
def test_matrix(client: TestClient, factory: Factory, view: str, edit: str):
    a = factory.account()
    user = add_user(factory, a, contacts=view, companies=view, group="one", edit=edit)
    no_add = add_user(factory, a, contacts=view, companies=view, group="one", edit=edit, add="D")
    owners = {"own": user, "mate": factory.user(a, group="one"),
              "stranger": factory.user(a, group="two")}  # fmt: skip
    sees = SEEN_BY[view]
    edits = sees & SEEN_BY[edit]
    s = Session(client, factory, a, user)
    parties = {k: {w: add_party(factory, a, k, o) for w, o in owners.items()}
               for k in ("contacts", "companies")}  # fmt: skip

    for kind, ids in parties.items():
        # GET by id and the list: the admin's bodies, or nothing
        whole = {w: s.call("GET", f"/api/v4/{kind}/{pid}", admin=True).json()
                 for w, pid in ids.items()}  # fmt: skip
        for who, pid in ids.items():
            got = s.call("GET", f"/api/v4/{kind}/{pid}")
            if who in sees:
                assert (got.status_code, got.json()) == (200, whole[who]), who
            else:
                assert (got.status_code, got.content) == (204, b""), who
        listed = s.call("GET", f"/api/v4/{kind}")
        if sees:
            assert listed.json()["_embedded"][kind] == [whole[w] for w in WHO if w in sees]
        else:
            assert (listed.status_code, listed.content) == (204, b"")
        # POST: the add right alone decides; what the user adds is its own
        before = s.rows()
        refused = client.post(
            f"/api/v4/{kind}",
            json=[{"name": "New"}],
            headers={"Authorization": f"Bearer {factory.token(a, no_add)}"},
        )
        assert_problem(refused, 403, problem(403, "Forbidden", "Access denied"))
        assert s.rows() == before
        posted = s.call("POST", f"/api/v4/{kind}", [{"name": "New"}])
        assert posted.status_code == 200, posted.text
        url = f"/api/v4/{kind}/{posted.json()['_embedded'][kind][0]['id']}"
        assert s.call("GET", url, admin=True).json()["responsible_user_id"] == user
        assert s.call("GET", url).status_code == (200 if "own" in sees else 204)
        # PATCH by id
        for who, pid in ids.items():
            before = s.rows()
            edited = s.call("PATCH", f"/api/v4/{kind}/{pid}", {"name": f"{who} edited"})
            if who in edits:
                assert edited.status_code == 200, edited.text
                changed = s.call("GET", f"/api/v4/{kind}/{pid}", admin=True).json()
                assert changed["name"] == f"{who} edited"
                continue
            if who in sees:
                assert_problem(edited, 403, _denied("0"))
            else:
                assert_problem(edited, 400, _absent(("0", ["id"])))
            assert s.rows() == before
        # PATCH in a batch: all or nothing
        before = s.rows()
        batch = [{"id": ids[w], "name": f"{w} batch", "request_id": w} for w in WHO]
        edited = s.call("PATCH", f"/api/v4/{kind}", batch)
        if edits == set(WHO):
            assert edited.status_code == 200, edited.text
            names = [s.call("GET", f"/api/v4/{kind}/{ids[w]}").json()["name"] for w in WHO]
            assert names == [f"{w} batch" for w in WHO]
            continue
        if sees != set(WHO):
            assert_problem(edited, 400, _absent(*((w, ["id"]) for w in WHO if w not in sees)))
        else:
            assert_problem(edited, 403, _denied(*(w for w in WHO if w not in edits)))
        assert s.rows() == before

    # links between a contact and a company: edit on both ends
    contacts, companies = parties["contacts"], parties["companies"]
    for c_who, co_who in [("own", "own"), ("own", "mate"), ("own", "stranger"),
                          ("mate", "own"), ("stranger", "own")]:  # fmt: skip
        contact, company = contacts[c_who], companies[co_who]
        item = {"to_entity_id": company, "to_entity_type": "companies"}
        refused_ends = {c_who, co_who} & (sees - edits)
        unseen = [p for p, w in (("entity_id", c_who), ("to_entity_id", co_who)) if w not in sees]
        before = s.rows()
        linked = s.call("POST", f"/api/v4/contacts/{contact}/link", [item])
        if c_who not in sees:
            assert_problem(linked, 404, problem(404, "Not Found", "Not Found"))
        elif refused_ends:
            assert_problem(linked, 403, problem(403, "Forbidden", "Access denied"))
        elif unseen:
            assert_problem(linked, 400, _absent(("0", unseen)))
        else:
            assert linked.status_code == 200, linked.text
        if linked.status_code != 200:
            assert s.rows() == before
            again = s.call("POST", f"/api/v4/contacts/{contact}/link", [item], admin=True)
            assert again.status_code == 200, again.text
        # unlinking, in the batch form, of the link as it now stands
        before = s.rows()
        unlink = [{"entity_id": contact, **item}]
        unlinked = s.call("POST", "/api/v4/contacts/unlink", unlink)
        if refused_ends:
            assert_problem(unlinked, 403, problem(403, "Forbidden", "Access denied"))
        elif unseen:
            assert_problem(unlinked, 400, _absent(("0", unseen)))
        else:
            assert (unlinked.status_code, unlinked.content) == (204, b""), unlinked.text
            continue
        assert s.rows() == before
        assert s.call("POST", "/api/v4/contacts/unlink", unlink, admin=True).status_code == 204
