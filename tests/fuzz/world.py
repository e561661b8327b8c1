"""The data a fuzz run works on, and a fingerprint of it to prove a refused request wrote
nothing.

An account seeded with one row of every kind the API can address (its ids fill path
parameters and bodies), a second account whose ids the fuzz also sends, and a fingerprint
of both accounts' rows in every table.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
import uuid
from dataclasses import dataclass, field
from functools import cache

import psycopg

from kommodore.db import schema
from kommodore.web.passwords import hash_password
from tests.conftest import Backend
from tests.factories import Factory

UNSCOPED = {
    # Ids drawn before a refusal are not given back (PostgreSQL sequences never are): gaps
    # are allowed, so the SQLite table of next ids is no part of "the data".
    "id_sequences",
    # The limiter counts refused requests too (it is off in the test apps, but a counter
    # that moves on a 4xx is its job, not a leak).
    "rate_limit_windows",
    "rate_limit_blocks",
}
"""Tables left out of the fingerprint, each for the reason above. A replayed OAuth code or
refresh token legitimately revokes on a 4xx; the fuzz never holds a real one, so those tables
stay in."""


def _tables() -> tuple[list[str], list[str]]:
    scoped, whole = [], []
    for table in schema.metadata.sorted_tables:
        if table.name in UNSCOPED:
            continue
        if "account_id" in table.columns:
            scoped.append(table.name)
        else:
            whole.append(table.name)
    return scoped, whole


SCOPED_TABLES, WHOLE_TABLES = _tables()
"""Tenant tables are read for the fuzzed accounts only; the others (accounts, integrations)
whole, except ``accounts``, read by id."""


PASSWORD = "correct horse battery"
CLIENT_SECRET = "s" * 64
REDIRECT = "https://integration.example/callback"


@cache
def _password_hash() -> str:
    """One argon2 hash for every seeded person: hashing costs tens of milliseconds."""
    return hash_password(PASSWORD)


@dataclass
class World:
    """One seeded account: its token, subdomain, an id of every addressable kind, an
    integration and a person who can sign in to the consent pages."""

    account_id: int
    subdomain: str
    token: str
    ids: dict[str, int] = field(default_factory=dict)
    client_id: str = ""
    email: str = ""
    sessions: dict[str, tuple[str, str]] = field(default_factory=dict)
    """``anonymous`` and ``signed_in``: (Cookie header value, its CSRF token), once opened."""


def seed(factory: Factory) -> World:
    """An account with a lead linked to a contact, a company, a tag and a catalog element,
    a select field with enums, a loss reason, a source: every id a path or body can name."""
    account = factory.account()
    token = factory.token(account, account.admin)
    contact = factory.party(account, "contacts", account.admin)
    company = factory.party(account, "companies", account.admin)
    catalog, element = factory.catalog_element(account)
    tag = factory.tag(account, "hot")
    field_id, enums = factory.field(account, "select", enums=[("A", None), ("B", None)])
    text_field, _ = factory.field(account, "text", code="NOTE")
    lead = factory.lead(account)
    other_lead = factory.lead(account, stage="other_first")
    factory.link("lead_contacts", account, lead_id=lead, contact_id=contact, is_main=True)
    factory.link("lead_tags", account, lead_id=lead, tag_id=tag)
    factory.value(account, lead, field_id, enum_id=enums[0])
    note = factory.id("notes")
    factory.execute(
        "INSERT INTO notes (account_id, id, entity_type, entity_id, note_type, params, "
        "responsible_user_id, group_id, created_by, updated_by, created_at, updated_at, "
        "is_pinned) VALUES (:a, :i, 'leads', :l, 'common', '{\"text\": \"x\"}', :u, 0, :u, :u, "
        ":t, :t, :f)",
        a=account.id, i=note, l=lead, u=account.admin, t=int(time.time()), f=False,
    )  # fmt: skip
    ids = {
        "account": account.id,
        "user": account.admin,
        "lead": lead,
        "lead2": other_lead,
        "contact": contact,
        "company": company,
        "catalog": catalog,
        "element": element,
        "tag": tag,
        "field": field_id,
        "text_field": text_field,
        "enum": enums[0],
        "loss_reason": factory.loss_reason(account),
        "source": factory.source(account),
        "pipeline": account.main_pipeline,
        "pipeline2": account.other_pipeline,
        "status": account.stages["first"][1],
        "status2": account.stages["second"][1],
        "status_other": account.stages["other_first"][1],
        "group": account.groups["one"],
        "note": note,
    }
    email = f"p{uuid.uuid4().hex[:10]}@example.com"
    factory.execute(
        "UPDATE users SET email = :e, password_hash = :h WHERE account_id = :a AND id = :u",
        e=email, h=_password_hash(), a=account.id, u=account.admin,
    )  # fmt: skip
    client_id = str(uuid.uuid4())
    factory.execute(
        "INSERT INTO integrations (id, secret, name, redirect_uri, revocation_url, scopes, "
        "is_private, owner_account_id, disabled_at, created_at) "
        "VALUES (:id, :secret, 'Fuzz', :uri, NULL, :scopes, false, NULL, NULL, :now)",
        id=client_id, secret=CLIENT_SECRET, uri=REDIRECT,
        scopes=json.dumps(["crm", "notifications"]), now=int(time.time()),
    )  # fmt: skip
    return World(account.id, account.subdomain, token, ids, client_id, email)


class Fingerprint:
    """A digest per table of the given accounts' rows; equal digests, unchanged data."""

    def __init__(self, backend: Backend, account_ids: list[int]) -> None:
        self.backend = backend
        self.account_ids = account_ids
        self._sqlite: sqlite3.Connection | None = None
        self._pg: psycopg.Connection | None = None
        self._last: dict[str, str] = {}
        self._last_marker: object = None
        self._last_ids: list[int] = []
        if backend.name == "sqlite":
            path = backend.url.removeprefix("sqlite:///")
            self._sqlite = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        else:
            self._pg = psycopg.connect(backend.url, autocommit=True)
            self._pg_query = " UNION ALL ".join(
                [
                    f"SELECT '{name}', count(*), md5(coalesce(string_agg(t::text, '|'"  # noqa: S608 (table names from the schema's fixed list)
                    f" ORDER BY t::text), '')) FROM {name} t"
                    + (
                        " WHERE account_id = ANY(%(a)s)"
                        if name in SCOPED_TABLES
                        else " WHERE id = ANY(%(a)s)"
                        if name == "accounts"
                        else ""
                    )
                    for name in SCOPED_TABLES + WHOLE_TABLES
                ]
            )

    def _marker(self) -> object:
        """Changes whenever any other connection commits: PostgreSQL's snapshot (its xmax
        moves, or a listed running transaction ends), SQLite's ``data_version``."""
        if self._pg is not None:
            row = self._pg.execute("SELECT pg_current_snapshot()::text").fetchone()
            return row[0] if row else None
        assert self._sqlite is not None
        return self._sqlite.execute("PRAGMA data_version").fetchone()

    def take(self) -> dict[str, str]:
        """The digests; the last ones again if nothing committed since (the common case of
        a refused request, and a tenth of the cost)."""
        marker = self._marker()
        if marker == self._last_marker and self._last_ids == self.account_ids:
            return self._last
        self._last = self._digests()
        self._last_marker, self._last_ids = marker, list(self.account_ids)
        return self._last

    def _digests(self) -> dict[str, str]:
        if self._pg is not None:
            rows = self._pg.execute(self._pg_query, {"a": self.account_ids}).fetchall()
            return {name: f"{count}:{digest}" for name, count, digest in rows}
        assert self._sqlite is not None
        marks = ",".join("?" * len(self.account_ids))
        result: dict[str, str] = {}
        for name in SCOPED_TABLES + WHOLE_TABLES:
            where = (
                f" WHERE account_id IN ({marks})"
                if name in SCOPED_TABLES
                else f" WHERE id IN ({marks})"
                if name == "accounts"
                else ""
            )
            params = self.account_ids if where else []
            cursor = self._sqlite.execute(f"SELECT * FROM {name}{where}", params)  # noqa: S608 (table names from the schema's fixed list; ids bound)
            lines = sorted(repr(row) for row in cursor)
            digest = hashlib.blake2b("\n".join(lines).encode(), digest_size=16).hexdigest()
            result[name] = f"{len(lines)}:{digest}"
        return result

    def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
        if self._pg is not None:
            self._pg.close()


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """The tables whose rows differ."""
    return sorted(
        name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
    )
