"""Writing a seed document in one transaction: every reference resolved and every value checked
before the first row is written, so a file with one error anywhere writes nothing.

The order: ids the file fixes are checked (distinct, not taken), the rest are drawn from the
entities' sequences, every reference and custom field value is resolved into rows, and only
then are the rows inserted, table by table in foreign-key order. Sequences are moved past the
fixed ids, so the API's next ids never collide with them.
"""

from __future__ import annotations

import json
import re
import secrets
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import msgspec

from kommodore.auth.keys import SigningKey
from kommodore.auth.rights import EntityRights, StoredRights
from kommodore.auth.store import insert_token
from kommodore.auth.tokens import DEFAULT_SCOPES, issue_token
from kommodore.control.seed import document as d
from kommodore.control.seed.parse import SeedError, SeedProblem
from kommodore.custom_fields import groups, predefined
from kommodore.custom_fields.types import WITH_ENUMS
from kommodore.custom_fields.value_writes import (
    EnumDef,
    FieldCatalog,
    FieldDef,
    read_field_writes,
    value_rows,
)
from kommodore.db import ids
from kommodore.db.database import (
    Connection,
    Query,
    fetch_column,
    fetch_value,
    int_array,
    sql,
    text_array,
)
from kommodore.db.schema import SEQUENCED_ENTITIES, metadata
from kommodore.http.validation import ItemErrors, Reader
from kommodore.integrations.service import IntegrationError, cli_integration_id, validate_scopes
from kommodore.leads import prices
from kommodore.notes.input import PARAMS, READ_ONLY, read_params, stored_params
from kommodore.search.index import reindex
from kommodore.search.parties import reindex_parties
from kommodore.web.passwords import hash_password
from kommodore.webhooks.payload import WEBHOOK_EVENTS

E = TypeVar("E")

WON, LOST = 142, 143
ACCOUNT_ID_BASE = 30_000_000
"""New accounts' ids start above the demo's base, as ``kommodore demo`` does."""
ALL_RIGHTS = StoredRights(
    leads=EntityRights(view="A", edit="A", add="A", delete="A", export="A"),
    contacts=EntityRights(view="A", edit="A", add="A", delete="A", export="A"),
    companies=EntityRights(view="A", edit="A", add="A", delete="A", export="A"),
    tasks={"edit": "A", "delete": "A"},
    mail_access=True,
    catalog_access=True,
    status_rights=[],
)

COLUMNS: dict[str, tuple[str, ...]] = {
    "integrations": ("id", "secret", "name", "redirect_uri", "revocation_url", "scopes",
                     "is_private", "owner_account_id", "disabled_at", "created_at"),
    "accounts": ("id", "subdomain", "name", "country", "currency", "currency_symbol",
                 "customers_mode", "is_unsorted_on", "is_loss_reason_enabled",
                 "is_helpbot_enabled", "is_technical_account", "contact_name_display_order",
                 "mobile_feature_version", "amojo_id", "version", "paid_till", "settings",
                 "created_by", "updated_by", "created_at", "updated_at"),
    "user_groups": ("account_id", "id", "name", "uuid"),
    "users": ("account_id", "id", "name", "email", "lang", "uuid", "amojo_id", "is_admin",
              "is_free", "is_active", "group_id", "role_id", "phone_number", "user_rank",
              "rights", "created_at", "updated_at", "password_hash"),
    "pipelines": ("account_id", "id", "name", "sort", "is_main", "is_unsorted_on", "is_archive",
                  "created_at", "updated_at"),
    "statuses": ("account_id", "pipeline_id", "id", "name", "sort", "is_editable", "color",
                 "type"),
    "loss_reasons": ("account_id", "id", "name", "sort", "created_at", "updated_at"),
    "sources": ("account_id", "id", "name", "pipeline_id", "external_id", "is_default",
                "origin_code", "integration_id", "services", "created_at", "updated_at"),
    "tags": ("account_id", "id", "entity_type", "name", "color"),
    "catalogs": ("account_id", "id", "name", "type", "sort", "created_by", "updated_by",
                 "created_at", "updated_at"),
    "catalog_elements": ("account_id", "id", "catalog_id", "name", "created_by", "updated_by",
                         "created_at", "updated_at", "is_deleted"),
    "custom_fields": ("account_id", "id", "entity_type", "name", "code", "sort", "type",
                      "is_computed", "is_predefined", "is_deletable", "is_api_only", "group_id",
                      "required_statuses", "hidden_statuses", "remind", "currency",
                      "chained_lists", "tracking_callback", "search_in", "created_at",
                      "updated_at"),
    "custom_field_enums": ("account_id", "id", "field_id", "value", "sort", "code"),
    "custom_field_groups": ("account_id", "id", "entity_type", "name", "sort", "created_at",
                            "updated_at"),
    "contacts": ("account_id", "id", "name", "first_name", "last_name", "responsible_user_id",
                 "group_id", "created_by", "updated_by", "created_at", "updated_at",
                 "closest_task_at", "is_deleted"),
    "companies": ("account_id", "id", "name", "responsible_user_id", "group_id", "created_by",
                  "updated_by", "created_at", "updated_at", "closest_task_at", "is_deleted"),
    "company_contacts": ("account_id", "company_id", "contact_id"),
    "leads": ("account_id", "id", "name", "price", "price_minor", "responsible_user_id", "group_id",
              "pipeline_id", "status_id", "loss_reason_id", "source_id", "created_by",
              "updated_by", "created_at", "updated_at", "closed_at", "closest_task_at",
              "is_deleted", "score", "labor_cost", "is_price_computed",
              "is_price_modified_by_robot"),
    "lead_tags": ("account_id", "lead_id", "tag_id"),
    "contact_tags": ("account_id", "contact_id", "tag_id"),
    "company_tags": ("account_id", "company_id", "tag_id"),
    "lead_contacts": ("account_id", "lead_id", "contact_id", "is_main"),
    "lead_companies": ("account_id", "lead_id", "company_id"),
    "lead_catalog_elements": ("account_id", "lead_id", "element_id", "catalog_id", "quantity",
                              "price_id"),
    "contact_catalog_elements": ("account_id", "contact_id", "element_id", "catalog_id",
                                 "quantity", "price_id"),
    "company_catalog_elements": ("account_id", "company_id", "element_id", "catalog_id",
                                 "quantity", "price_id"),
    "lead_custom_field_values": ("account_id", "lead_id", "field_id", "position", "enum_id",
                                 "value_text", "value_number", "value_int", "value_json"),
    "contact_custom_field_values": ("account_id", "contact_id", "field_id", "position",
                                    "enum_id", "value_text", "value_number", "value_int",
                                    "value_json"),
    "company_custom_field_values": ("account_id", "company_id", "field_id", "position",
                                    "enum_id", "value_text", "value_number", "value_int",
                                    "value_json"),
    "account_integrations": ("account_id", "integration_id", "installed_by", "installed_at",
                             "removed_at"),
    "tasks": ("account_id", "id", "created_by", "updated_by", "created_at", "updated_at",
              "responsible_user_id", "group_id", "entity_id", "entity_type", "duration",
              "is_completed", "task_type_id", "text", "result_text", "result_note_id",
              "complete_till"),
    "webhooks": ("account_id", "id", "destination", "settings", "sort", "disabled",
                 "created_by", "created_at", "updated_at"),
    "notes": ("account_id", "id", "entity_type", "entity_id", "note_type", "params",
              "responsible_user_id", "group_id", "created_by", "updated_by", "created_at",
              "updated_at", "is_pinned"),
    "unsorted": ("account_id", "uid", "source_uid", "source_name", "category", "pipeline_id",
                 "created_at", "metadata", "lead_id", "contact_id", "company_id"),
}  # fmt: skip
"""Every table a seed writes, with the columns it fills."""

_FILL_ORDER = sorted(COLUMNS, key=[t.name for t in metadata.sorted_tables].index)
"""The tables in the order their foreign keys allow them to be filled."""
_INSERT: dict[str, Query] = {
    table: sql(
        f"INSERT INTO {table} ({', '.join(cols)}) "  # noqa: S608 (names from COLUMNS, values bound)
        f"VALUES ({', '.join(f'${i + 1}' for i in range(len(cols)))})"
    )
    for table, cols in COLUMNS.items()
}
_TAKEN: dict[str, Query] = {
    table: sql(f"SELECT id FROM {table} WHERE id = ANY($1::bigint[])")  # noqa: S608 (names from SEQUENCED_ENTITIES)
    for table in SEQUENCED_ENTITIES
}
_TAKEN_ACCOUNTS = sql("SELECT id FROM accounts WHERE id = ANY($1::bigint[])")
_TAKEN_SUBDOMAINS = sql("SELECT subdomain FROM accounts WHERE subdomain = ANY($1::text[])")
_TAKEN_CLIENTS = sql("SELECT id FROM integrations WHERE id = ANY($1::text[])")
_TAKEN_JTIS = sql("SELECT jti FROM api_tokens WHERE jti = ANY($1::text[])")
_TOP_ACCOUNT = sql("SELECT max(id) FROM accounts")
_PG_ADVANCE: dict[str, Query] = {
    entity: sql(
        f"SELECT setval('{entity}_id_seq', "  # noqa: S608 (sequence names from SEQUENCED_ENTITIES)
        f"GREATEST((SELECT last_value FROM {entity}_id_seq), $1::bigint))"
    )
    for entity in SEQUENCED_ENTITIES
}
_SQLITE_ADVANCE = sql(
    "UPDATE id_sequences SET next_value = max(next_value, $1 + 1) WHERE name = $2",
)


@dataclass(frozen=True, slots=True)
class TokenIssuer:
    """What signing a seed's long-lived tokens takes: the server's key and domains."""

    key: SigningKey
    api_domain: str
    base_domain: str


@dataclass(frozen=True, slots=True)
class SeededAccount:
    id: int
    subdomain: str
    users: dict[str, int]
    """Each user's id by e-mail."""
    tokens: dict[str, str]
    """Each long-lived token's JWT by its jti."""


class _Problems:
    def __init__(self) -> None:
        self.found: list[SeedProblem] = []

    def add(self, path: str, detail: str) -> None:
        self.found.append(SeedProblem(path, detail))

    def raise_any(self) -> None:
        if self.found:
            raise SeedError(self.found)


_READER_INDEX = re.compile(r"\.(\d+)(?=\.|$)")


def _json_path(reader_path: str) -> str:
    """The API's ``custom_fields_values.0.values.1.value`` as ``...[0].values[1].value``."""
    return _READER_INDEX.sub(r"[\1]", reader_path)


@dataclass(slots=True)
class _Rows:
    """Rows by table, and the highest fixed id per sequenced entity."""

    by_table: dict[str, list[tuple[Any, ...]]] = field(default_factory=lambda: defaultdict(list))

    def add(self, table: str, *row: Any) -> None:
        self.by_table[table].append(row)


class _Index(Generic[E]):
    """One kind of entity of an account, found by id or by name, each known at a path."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.by_id: dict[int, E] = {}
        self.by_name: dict[str, E] = {}

    def find(self, ref: int | str, path: str, problems: _Problems) -> E | None:
        found = self.by_id.get(ref) if isinstance(ref, int) else self.by_name.get(ref)
        if found is None:
            what = f"id {ref}" if isinstance(ref, int) else f"name {ref!r}"
            problems.add(path, f"no {self.kind} with {what} in this account")
        return found


def _named(kind: str, entities: Iterable[Any], key: str = "name") -> _Index[Any]:
    index: _Index[Any] = _Index(kind)
    for e in entities:
        index.by_id[e.id] = e
        index.by_name.setdefault(getattr(e, key), e)
    return index


class Loader:
    """Loads one document on one write connection (the caller's transaction)."""

    def __init__(self, conn: Connection, issuer: TokenIssuer, now: int) -> None:
        self.conn = conn
        self.issuer = issuer
        self.now = now
        self.problems = _Problems()
        self.rows = _Rows()

    async def load(self, doc: d.SeedDocument) -> list[SeededAccount]:
        self._complete(doc)
        await self._check_fixed_ids(doc)
        self.problems.raise_any()
        await self._allocate(doc)
        for i, account in enumerate(doc.accounts):
            _AccountRows(account, f"$.accounts[{i}]", self, doc).build()
        self._integrations(doc)
        self.problems.raise_any()
        for table in _FILL_ORDER:
            rows = self.rows.by_table.get(table)
            if rows:
                await self.conn.execute_many(_INSERT[table], rows)
        await self._advance_sequences(doc)
        seeded = []
        for i, account in enumerate(doc.accounts):
            lead_ids = sorted(lead.id for lead in account.leads if lead.id is not None)
            assert account.id is not None
            await reindex(self.conn, account.id, lead_ids, fresh=True)
            contact_ids = [c.id for c in account.contacts if c.id is not None]
            await reindex_parties(self.conn, "contacts", account.id, contact_ids)
            company_ids = [c.id for c in account.companies if c.id is not None]
            await reindex_parties(self.conn, "companies", account.id, company_ids)
            tokens = await self._tokens(account, f"$.accounts[{i}]", doc)
            users = {u.email: u.id for u in account.users if u.id is not None}
            seeded.append(SeededAccount(account.id, account.subdomain, users, tokens))
        self.problems.raise_any()
        return seeded

    # -- before ids: what the file leaves implicit ------------------------------------------

    def _complete(self, doc: d.SeedDocument) -> None:
        """Add what Kommo always has and the file may leave out: a pipeline, its won and lost
        stages, and the tags leads name but the file does not declare."""
        for account in doc.accounts:
            if not account.pipelines:
                account.pipelines.append(
                    d.Pipeline(
                        name="Sales", is_main=True, statuses=[d.Status(name="First contact")]
                    )
                )
            if not any(p.is_main for p in account.pipelines):
                account.pipelines[0].is_main = True
            for pipeline in account.pipelines:
                _complete_stages(pipeline)
            _complete_fields(account)
            for entity, owners in (
                ("leads", account.leads),
                ("contacts", account.contacts),
                ("companies", account.companies),
            ):
                declared = {t.name for t in account.tags if t.entity_type == entity}
                for owner in owners:
                    for tag in owner.tags:
                        if isinstance(tag, str) and tag not in declared:
                            account.tags.append(d.Tag(name=tag, entity_type=entity))  # type: ignore[arg-type]
                            declared.add(tag)

    async def _check_fixed_ids(self, doc: d.SeedDocument) -> None:
        """Fixed ids must be distinct within the file and not taken in the database."""
        fixed: dict[str, dict[int, str]] = defaultdict(dict)

        def note(table: str, entity_id: int | None, path: str) -> None:
            if entity_id is None or (table == "statuses" and entity_id in (WON, LOST)):
                return
            if entity_id in fixed[table]:
                self.problems.add(
                    f"{path}.id", f"id {entity_id} is also used at {fixed[table][entity_id]}"
                )
            else:
                fixed[table][entity_id] = f"{path}.id"

        subdomains: dict[str, str] = {}
        for i, account in enumerate(doc.accounts):
            path = f"$.accounts[{i}]"
            note("accounts", account.id, path)
            if account.subdomain in subdomains:
                self.problems.add(
                    f"{path}.subdomain", f"also used at {subdomains[account.subdomain]}"
                )
            subdomains.setdefault(account.subdomain, f"{path}.subdomain")
            for kind, table in _ENTITY_LISTS:
                for j, entity in enumerate(getattr(account, kind)):
                    note(table, entity.id, f"{path}.{kind}[{j}]")
            for j, pipeline in enumerate(account.pipelines):
                for k, status in enumerate(pipeline.statuses):
                    note("statuses", status.id, f"{path}.pipelines[{j}].statuses[{k}]")
            for j, cf in enumerate(account.custom_fields):
                for k, enum in enumerate(cf.enums):
                    note("custom_field_enums", enum.id, f"{path}.custom_fields[{j}].enums[{k}]")
            for j, catalog in enumerate(account.catalogs):
                for k, element in enumerate(catalog.elements):
                    note("catalog_elements", element.id, f"{path}.catalogs[{j}].elements[{k}]")
            for kind, j, k, n in _notes_of(account):
                note("notes", n.id, f"{path}.{kind}[{j}].notes[{k}]")
        for table, found in fixed.items():
            query = _TAKEN_ACCOUNTS if table == "accounts" else _TAKEN[table]
            taken = await fetch_column(self.conn, query, int_array(self.conn.dialect, list(found)))
            for entity_id in sorted(taken):
                self.problems.add(found[entity_id], f"id {entity_id} is taken in the database")
        taken_names = await fetch_column(
            self.conn, _TAKEN_SUBDOMAINS, text_array(self.conn, list(subdomains))
        )
        for name in sorted(taken_names):
            self.problems.add(subdomains[name], f"an account {name!r} exists already")
        await self._check_keys(doc)

    async def _check_keys(self, doc: d.SeedDocument) -> None:
        clients: dict[str, str] = {}
        for i, integration in enumerate(doc.integrations):
            path = f"$.integrations[{i}].client_id"
            if integration.client_id in clients:
                self.problems.add(path, f"also used at {clients[integration.client_id]}")
            clients.setdefault(integration.client_id, path)
        for client_id in await fetch_column(
            self.conn, _TAKEN_CLIENTS, text_array(self.conn, list(clients))
        ):
            self.problems.add(clients[client_id], f"an integration {client_id} exists already")
        jtis: dict[str, str] = {}
        for i, account in enumerate(doc.accounts):
            for j, token in enumerate(account.tokens):
                path = f"$.accounts[{i}].tokens[{j}].jti"
                if token.jti in jtis:
                    self.problems.add(path, f"also used at {jtis[token.jti]}")
                jtis.setdefault(token.jti, path)
        for jti in await fetch_column(self.conn, _TAKEN_JTIS, text_array(self.conn, list(jtis))):
            self.problems.add(jtis[jti], f"a token with jti {jti} exists already")

    async def _allocate(self, doc: d.SeedDocument) -> None:
        """Ids for every entity the file leaves without one."""
        wanting: dict[str, list[Any]] = defaultdict(list)
        for account in doc.accounts:
            for kind, table in _ENTITY_LISTS:
                wanting[table].extend(e for e in getattr(account, kind) if e.id is None)
            for pipeline in account.pipelines:
                wanting["statuses"].extend(s for s in pipeline.statuses if s.id is None)
            for cf in account.custom_fields:
                wanting["custom_field_enums"].extend(e for e in cf.enums if e.id is None)
            for catalog in account.catalogs:
                wanting["catalog_elements"].extend(e for e in catalog.elements if e.id is None)
            wanting["notes"].extend(n for _, _, _, n in _notes_of(account) if n.id is None)
        # fields the loader completes (the predefined ones) draw ids beside the file's fixed
        # ones: past those first, so the two never meet
        fixed_fields = [f for a in doc.accounts for f in a.custom_fields if f.id is not None]
        fixed_enums = [e for f in fixed_fields for e in f.enums if e.id is not None]
        for table, fixed in (("custom_fields", fixed_fields), ("custom_field_enums", fixed_enums)):
            if table in wanting and fixed:
                await self._advance(table, max(int(e.id or 0) for e in fixed))
        for table, entities in wanting.items():
            for entity, new_id in zip(
                entities, await ids.allocate(self.conn, table, len(entities)), strict=True
            ):
                entity.id = new_id
        top = int(await fetch_value(self.conn, _TOP_ACCOUNT) or 0)
        top = max([top, ACCOUNT_ID_BASE] + [a.id for a in doc.accounts if a.id is not None])
        for account in doc.accounts:
            if account.id is None:
                top += 1
                account.id = top

    async def _advance_sequences(self, doc: d.SeedDocument) -> None:
        """Each sequence past the highest id the file fixed, so the API never draws one."""
        highest: dict[str, int] = {}
        for table, rows in self.rows.by_table.items():
            if table in SEQUENCED_ENTITIES:
                position = COLUMNS[table].index("id")
                highest[table] = max(row[position] for row in rows)
        for entity, top in highest.items():
            await self._advance(entity, top)

    async def _advance(self, entity: str, top: int) -> None:
        """``entity``'s sequence past ``top``."""
        if self.conn.dialect == "postgresql":
            await self.conn.fetch_one(_PG_ADVANCE[entity], top)
        else:
            await self.conn.execute(_SQLITE_ADVANCE, top, entity)

    # -- integrations and tokens ------------------------------------------------------------

    def _integrations(self, doc: d.SeedDocument) -> None:
        owners = {a.subdomain: a for a in doc.accounts}
        for i, integration in enumerate(doc.integrations):
            path = f"$.integrations[{i}]"
            try:
                scopes = validate_scopes(integration.scopes)
            except IntegrationError as exc:
                self.problems.add(f"{path}.scopes", str(exc))
                continue
            owner_id = None
            if integration.owner is not None:
                owner = owners.get(integration.owner)
                if owner is None:
                    self.problems.add(f"{path}.owner", "no account with that subdomain here")
                    continue
                owner_id = owner.id
                if integration.client_id not in owner.integrations:
                    owner.integrations.append(integration.client_id)
            self.rows.add(
                "integrations", integration.client_id, integration.secret, integration.name,
                integration.redirect_uri, integration.revocation_url, json.dumps(list(scopes)),
                owner_id is not None, owner_id, None, self.now,
            )  # fmt: skip
        declared = {i.client_id for i in doc.integrations}
        for i, account in enumerate(doc.accounts):
            for j, client_id in enumerate(dict.fromkeys(account.integrations)):
                if client_id not in declared:
                    self.problems.add(
                        f"$.accounts[{i}].integrations[{j}]",
                        f"no integration {client_id} in this file's integrations",
                    )
                    continue
                self.rows.add("account_integrations", account.id, client_id, 0, self.now, None)

    async def _tokens(self, account: d.Account, path: str, doc: d.SeedDocument) -> dict[str, str]:
        assert account.id is not None
        users = _named("user", account.users, "email")
        scopes_of = {i.client_id: tuple(i.scopes) for i in doc.integrations}
        tokens = {}
        for j, token in enumerate(account.tokens):
            where = f"{path}.tokens[{j}]"
            user = _default_user(account) if token.user is None else None
            if token.user is not None:
                user = users.find(token.user, f"{where}.user", self.problems)
            if user is None or user.id is None:
                if token.user is None:
                    self.problems.add(f"{where}.user", "the account has no user to issue it to")
                continue
            integration_id = token.integration or cli_integration_id(account.id)
            scopes: tuple[str, ...] = DEFAULT_SCOPES
            if token.integration is not None:
                if token.integration not in account.integrations:
                    self.problems.add(
                        f"{where}.integration", "not an integration installed in this account"
                    )
                    continue
                scopes = scopes_of[token.integration]
            issued = issue_token(
                self.issuer.key,
                account_id=account.id,
                user_id=user.id,
                integration_id=integration_id,
                api_domain=self.issuer.api_domain,
                base_domain=self.issuer.base_domain,
                lifetime_seconds=token.days * 86_400,
                scopes=scopes,
                now=self.now,
                jti=token.jti,
            )
            await insert_token(self.conn, issued.claims, "long_lived", self.now)
            tokens[token.jti] = issued.token
        return tokens


TASK_TYPE_IDS = frozenset({1, 2})
"""The task types of a seeded account: Kommo's fixed two."""

_ENTITY_LISTS: tuple[tuple[str, str], ...] = (
    ("groups", "user_groups"),
    ("users", "users"),
    ("pipelines", "pipelines"),
    ("field_groups", "custom_field_groups"),
    ("custom_fields", "custom_fields"),
    ("tags", "tags"),
    ("loss_reasons", "loss_reasons"),
    ("sources", "sources"),
    ("catalogs", "catalogs"),
    ("contacts", "contacts"),
    ("companies", "companies"),
    ("leads", "leads"),
    ("tasks", "tasks"),
    ("webhooks", "webhooks"),
)
"""An account's lists of entities with ids, and the table (and sequence) of each."""


def _complete_fields(account: d.Account) -> None:
    """The predefined contact and company fields every account carries (§4.1), unless the
    file declares a field of that code for that entity already."""
    declared = {(f.entity_type, f.code) for f in account.custom_fields if f.code}
    for p in predefined.FIELDS:
        if (p.entity_type, p.code) in declared:
            continue
        account.custom_fields.append(
            d.CustomField(
                entity_type=p.entity_type,  # type: ignore[arg-type]
                name=p.name,
                type=p.type,  # type: ignore[arg-type]
                code=p.code,
                sort=p.sort,
                is_deletable=False,
                is_predefined=True,
                enums=[d.Enum(value=v, sort=p.enum_sort(k)) for k, v in enumerate(p.enums)],
            )
        )


def _notes_of(account: d.Account) -> Iterator[tuple[str, int, int, d.Note]]:
    """(parent list, parent index, note index, note) of every note of the account."""
    parents: tuple[tuple[str, Sequence[d.Lead | d.Contact | d.Company]], ...] = (
        ("leads", account.leads), ("contacts", account.contacts),
        ("companies", account.companies),
    )  # fmt: skip
    for kind, entities in parents:
        for j, entity in enumerate(entities):
            for k, n in enumerate(entity.notes):
                yield kind, j, k, n


def _complete_stages(pipeline: d.Pipeline) -> None:
    """Kommo's stages every pipeline has: incoming (when unsorted is on), won and lost."""
    statuses = pipeline.statuses
    if pipeline.is_unsorted_on and not any(s.type == 1 for s in statuses):
        statuses.insert(0, d.Status(name="Incoming leads", sort=10, color="#c1c1c1", type=1))
    regular = 0
    for s in statuses:
        if s.sort is None:
            s.sort = 10 if s.type == 1 else 20 + 10 * regular
        regular += s.type == 0
    if not any(s.id == WON for s in statuses):
        statuses.append(d.Status(id=WON, name="Closed - won", sort=10000, color="#CCFF66"))
    if not any(s.id == LOST for s in statuses):
        statuses.append(d.Status(id=LOST, name="Closed - lost", sort=11000, color="#D5D8DB"))
    for s in statuses:
        if s.id in (WON, LOST) or s.type == 1:
            s.is_editable = False


def _default_user(account: d.Account) -> d.User | None:
    admins = [u for u in account.users if u.is_admin and u.is_active]
    candidates = admins or account.users
    return candidates[0] if candidates else None


def _uuid(*parts: object) -> str:
    """A stable UUID, so the same file gives the same uuids every load."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "kommodore:seed:" + ":".join(map(str, parts))))


class _AccountRows:
    """One account's rows, every reference resolved (problems recorded at their paths)."""

    def __init__(self, account: d.Account, path: str, loader: Loader, doc: d.SeedDocument) -> None:
        assert account.id is not None
        self.a = account
        self.id = account.id
        self.path = path
        self.problems = loader.problems
        self.rows = loader.rows
        self.now = loader.now
        self.groups = _named("group", account.groups)
        self.groups.by_name.setdefault("Main", d.Group(id=None, name="Main"))
        self.users = _named("user", account.users, "email")
        self.pipelines = _named("pipeline", account.pipelines)
        self.lead_tags = _named("tag", [t for t in account.tags if t.entity_type == "leads"])
        self.party_tags = {
            kind: _named("tag", [t for t in account.tags if t.entity_type == kind])
            for kind in ("contacts", "companies")
        }
        self.loss_reasons = _named("loss reason", account.loss_reasons)
        self.field_groups = {
            kind: _named("field group", [g for g in account.field_groups if g.entity_type == kind])
            for kind in ("leads", "contacts", "companies")
        }
        self.sources = _named("source", account.sources)
        self.contacts = _named("contact", account.contacts)
        self.companies = _named("company", account.companies)
        self.elements: dict[int, int] = {
            e.id: c.id for c in account.catalogs for e in c.elements if e.id and c.id
        }
        self.closest: dict[tuple[str, int], int] = {}
        """(entity type, id) -> the earliest deadline of its open tasks."""
        for t in account.tasks:
            if t.entity_type is not None and t.entity_id is not None and not t.is_completed:
                key = (t.entity_type, t.entity_id)
                self.closest[key] = min(self.closest.get(key, t.complete_till), t.complete_till)

    def _at(self, rel: str) -> str:
        return f"{self.path}.{rel}"

    def build(self) -> None:
        self._account()
        self._users()
        self._pipelines()
        self._directories()
        catalogs = self._custom_fields()
        self._contacts(catalogs["contacts"])
        self._companies(catalogs["companies"])
        self._leads(catalogs["leads"])
        self._tasks()
        self._webhooks()

    def _account(self) -> None:
        a, created = self.a, self.a.created_at or self.now
        settings = {
            "datetime_settings": {
                "date_pattern": "d.m.Y H:i", "short_date_pattern": "d.m.Y",
                "short_time_pattern": "H:i", "date_format": "d.m.Y", "time_format": "H:i:s",
                "timezone": a.timezone, "timezone_offset": "+00:00",
            },
            "entity_names": {"leads": {"en": {"singular_form": {"default": "lead"},
                                              "plural_form": {"default": "leads"}}}},
            "drive_url": f"https://drive-b.{a.subdomain}.example.com",
            "is_api_filter_enabled": True,
            "amojo_rights": {"can_direct": True, "can_create_groups": True},
            "invoices_settings": {"lang": "en", "invoices_catalog_id": None},
        }  # fmt: skip
        self.rows.add(
            "accounts", self.id, a.subdomain, a.name or a.subdomain.title(), a.country,
            a.currency, a.currency_symbol, a.customers_mode, a.is_unsorted_on,
            a.is_loss_reason_enabled, False, False, a.contact_name_display_order, 0,
            a.amojo_id or _uuid(self.id), 11, None, json.dumps(settings), 0, 0, created, created,
        )  # fmt: skip

    def _user(self, ref: int | str | None, rel: str) -> d.User | None:
        """A user named at ``rel``, or the account's first active admin when none is named."""
        if ref is None:
            found = _default_user(self.a)
            if found is None:
                self.problems.add(self._at(rel), "the account has no user to be responsible")
            return found
        return self.users.find(ref, self._at(rel), self.problems)

    def _group_of(self, user: d.User) -> int:
        if user.group is None:
            return 0
        group = self.groups.by_id.get(user.group) if isinstance(user.group, int) else None
        group = group or self.groups.by_name.get(str(user.group))
        return (group.id or 0) if group else 0

    def _users(self) -> None:
        self.rows.add("user_groups", self.id, 0, "Main", None)
        for g in self.a.groups:
            uuid_ = g.uuid or _uuid(self.id, "group", g.id)
            self.rows.add("user_groups", self.id, g.id, g.name, uuid_)
        emails: dict[str, str] = {}
        for j, u in enumerate(self.a.users):
            rel = f"users[{j}]"
            if u.email in emails:
                self.problems.add(self._at(f"{rel}.email"), f"also used at {emails[u.email]}")
            emails.setdefault(u.email, self._at(f"{rel}.email"))
            if u.password is not None and u.password_hash is not None:
                self.problems.add(self._at(rel), "give password or password_hash, not both")
            group_id = None
            if u.group is not None:
                group = self.groups.find(u.group, self._at(f"{rel}.group"), self.problems)
                group_id = group.id if group else None
            password_hash = u.password_hash
            if u.password is not None:
                password_hash = hash_password(u.password)
            rights = msgspec.json.encode(u.rights or ALL_RIGHTS).decode()
            created = u.created_at or self.now
            self.rows.add(
                "users", self.id, u.id, u.name, u.email, u.lang,
                u.uuid or _uuid(self.id, "user", u.id),
                u.amojo_id or _uuid(self.id, "amojo", u.id), u.is_admin, u.is_free,
                u.is_active, group_id, None, u.phone_number, None, rights, created, created,
                password_hash,
            )  # fmt: skip

    def _pipelines(self) -> None:
        for j, p in enumerate(self.a.pipelines):
            created = p.created_at or self.now
            self.rows.add(
                "pipelines", self.id, p.id, p.name, p.sort if p.sort is not None else j + 1,
                p.is_main, p.is_unsorted_on, p.is_archive, created, created,
            )  # fmt: skip
            for s in p.statuses:
                self.rows.add(
                    "statuses", self.id, p.id, s.id, s.name, s.sort, s.is_editable, s.color,
                    s.type,
                )  # fmt: skip

    def _directories(self) -> None:
        now = self.now
        for j, r in enumerate(self.a.loss_reasons):
            sort = r.sort if r.sort is not None else 100_000 * (j + 1)
            self.rows.add("loss_reasons", self.id, r.id, r.name, sort, now, now)
        main = next(p for p in self.a.pipelines if p.is_main)
        for j, s in enumerate(self.a.sources):
            pipeline = main
            if s.pipeline is not None:
                pipeline = (
                    self.pipelines.find(
                        s.pipeline, self._at(f"sources[{j}].pipeline"), self.problems
                    )
                    or main
                )
            self.rows.add(
                "sources", self.id, s.id, s.name, pipeline.id, s.external_id, s.is_default,
                s.origin_code, None, json.dumps(s.services), now, now,
            )  # fmt: skip
        for t in self.a.tags:
            self.rows.add("tags", self.id, t.id, t.entity_type, t.name, t.color)
        for j, c in enumerate(self.a.catalogs):
            sort = c.sort if c.sort is not None else 10 * (j + 1)
            self.rows.add("catalogs", self.id, c.id, c.name, c.type, sort, 0, 0, now, now)
            for e in c.elements:
                self.rows.add(
                    "catalog_elements", self.id, e.id, c.id, e.name, 0, 0, now, now, False
                )

    def _field_groups(self) -> None:
        for j, g in enumerate(self.a.field_groups):
            sort = g.sort if g.sort is not None else j + 1
            self.rows.add(
                "custom_field_groups", self.id, g.id, g.entity_type, g.name, sort, self.now,
                self.now,
            )  # fmt: skip

    def _field_group_of(self, f: d.CustomField, rel: str) -> str | None:
        """The API id of the field's group: the predefined one by its name, or one of the
        file's groups of the field's entity type."""
        if f.group is None:
            return None
        if f.group == groups.PREDEFINED_NAME:
            return groups.api_id(f.entity_type, self.id, groups.PREDEFINED)
        found = self.field_groups[f.entity_type].find(f.group, self._at(rel), self.problems)
        return None if found is None else groups.api_id(f.entity_type, self.id, found.id)

    def _custom_fields(self) -> dict[str, FieldCatalog]:
        self._field_groups()
        catalogs = {kind: FieldCatalog() for kind in ("leads", "contacts", "companies")}
        stages = {(p.id, s.id) for p in self.a.pipelines for s in p.statuses}
        for j, f in enumerate(self.a.custom_fields):
            rel = f"custom_fields[{j}]"
            group_id = self._field_group_of(f, f"{rel}.group")
            if f.enums and f.type not in WITH_ENUMS:
                self.problems.add(self._at(f"{rel}.enums"), f"a {f.type} field has no enums")
            for k, stage in enumerate(f.required_statuses):
                if (stage.pipeline_id, stage.status_id) not in stages:
                    self.problems.add(
                        self._at(f"{rel}.required_statuses[{k}]"), "no such stage in this account"
                    )
            required = [msgspec.to_builtins(s) for s in f.required_statuses]
            currency = f.currency or (self.a.currency if f.type == "monetary" else None)
            self.rows.add(
                "custom_fields", self.id, f.id, f.entity_type, f.name, f.code,
                f.sort if f.sort is not None else 10 * (j + 1), f.type, False, f.is_predefined,
                f.is_deletable, f.is_api_only, group_id,
                json.dumps(required) if required else None,
                "[]", f.remind, currency, None, None,
                "catalog_elements" if f.type == "linked_entity" else None, self.now, self.now,
            )  # fmt: skip
            assert f.id is not None
            definition = FieldDef(
                f.id, f.name, f.code, f.type,
                tuple((s.pipeline_id, s.status_id) for s in f.required_statuses),
            )  # fmt: skip
            for k, e in enumerate(f.enums):
                assert e.id is not None
                sort = e.sort if e.sort is not None else 500 * (k + 1)
                self.rows.add("custom_field_enums", self.id, e.id, f.id, e.value, sort, e.code)
                definition.enums[e.id] = EnumDef(e.id, e.value, e.code)
            catalog = catalogs[f.entity_type]
            catalog.by_id[f.id] = definition
            if f.code is not None:
                catalog.by_code.setdefault(f.code, definition)
        return catalogs

    def _values(
        self,
        table: str,
        owner_id: int,
        entries: Sequence[d.FieldValues],
        rel: str,
        catalog: FieldCatalog,
    ) -> None:
        """Custom field values checked and stored exactly as the API's writes are."""
        if not entries:
            return
        errors = ItemErrors("seed")
        readers = [
            Reader(msgspec.to_builtins(e), errors, f"{self._at(rel)}.custom_fields_values.{i}.")
            for i, e in enumerate(entries)
        ]
        writes = read_field_writes(readers, catalog)
        for error in errors.errors:
            self.problems.add(_json_path(error["path"]), error["detail"])
        for row in value_rows(self.id, owner_id, writes):
            self.rows.add(table, *row)

    def _party(self, ref: int | str | None, rel: str) -> tuple[int, int] | None:
        user = self._user(ref, rel)
        return None if user is None or user.id is None else (user.id, self._group_of(user))

    def _contacts(self, catalog: FieldCatalog) -> None:
        for j, c in enumerate(self.a.contacts):
            rel = f"contacts[{j}]"
            owner = self._party(c.responsible_user, f"{rel}.responsible_user")
            if owner is None or c.id is None:
                continue
            created = c.created_at or self.now
            name = c.name or f"{c.first_name} {c.last_name}".strip()
            self.rows.add(
                "contacts", self.id, c.id, name, c.first_name, c.last_name, owner[0], owner[1],
                owner[0], owner[0], created, c.updated_at or created,
                self.closest.get(("contacts", c.id)), c.is_deleted,
            )  # fmt: skip
            self._values("contact_custom_field_values", c.id, c.custom_fields_values, rel, catalog)
            self._party_tags("contacts", c.id, c.tags, rel)
            self._element_links("contact", c.id, c.catalog_elements, rel)
            self._notes("contacts", c.id, c.notes, owner, rel)

    def _companies(self, catalog: FieldCatalog) -> None:
        for j, c in enumerate(self.a.companies):
            rel = f"companies[{j}]"
            owner = self._party(c.responsible_user, f"{rel}.responsible_user")
            if owner is None or c.id is None:
                continue
            created = c.created_at or self.now
            self.rows.add(
                "companies", self.id, c.id, c.name, owner[0], owner[1], owner[0], owner[0],
                created, c.updated_at or created, self.closest.get(("companies", c.id)),
                c.is_deleted,
            )  # fmt: skip
            for k, contact_id in enumerate(dict.fromkeys(c.contacts)):
                if self.contacts.find(contact_id, self._at(f"{rel}.contacts[{k}]"), self.problems):
                    self.rows.add("company_contacts", self.id, c.id, contact_id)
            self._values("company_custom_field_values", c.id, c.custom_fields_values, rel, catalog)
            self._party_tags("companies", c.id, c.tags, rel)
            self._element_links("company", c.id, c.catalog_elements, rel)
            self._notes("companies", c.id, c.notes, owner, rel)

    def _party_tags(self, kind: str, owner_id: int, refs: Sequence[d.Ref], rel: str) -> None:
        tag_ids: dict[int, None] = {}
        for k, ref in enumerate(refs):
            tag = self.party_tags[kind].find(ref, self._at(f"{rel}.tags[{k}]"), self.problems)
            if tag is not None and tag.id is not None:
                tag_ids[tag.id] = None
        table = "contact_tags" if kind == "contacts" else "company_tags"
        for tag_id in tag_ids:
            self.rows.add(table, self.id, owner_id, tag_id)

    def _stage(self, lead: d.Lead, rel: str) -> tuple[int, int] | None:
        main = next(p for p in self.a.pipelines if p.is_main)
        pipeline: d.Pipeline | None = main
        if lead.pipeline is not None:
            pipeline = self.pipelines.find(
                lead.pipeline, self._at(f"{rel}.pipeline"), self.problems
            )
        if pipeline is None or pipeline.id is None:
            return None
        if lead.status is None and lead.unsorted is not None:
            incoming = [s for s in pipeline.statuses if s.type == 1]
            if incoming and incoming[0].id is not None:
                return pipeline.id, incoming[0].id
        if lead.status is None:
            regular = [s for s in pipeline.statuses if s.type == 0 and s.id not in (WON, LOST)]
            first = min(regular or pipeline.statuses, key=lambda s: s.sort or 0)
            assert first.id is not None
            return pipeline.id, first.id
        stages = _named(f"stage of pipeline {pipeline.name!r}", pipeline.statuses)
        status = stages.find(lead.status, self._at(f"{rel}.status"), self.problems)
        return None if status is None or status.id is None else (pipeline.id, status.id)

    def _leads(self, catalog: FieldCatalog) -> None:
        for j, lead in enumerate(self.a.leads):
            rel = f"leads[{j}]"
            owner = self._party(lead.responsible_user, f"{rel}.responsible_user")
            author = owner
            if lead.created_by is not None:
                author = self._party(lead.created_by, f"{rel}.created_by")
            stage = self._stage(lead, rel)
            loss_reason = source = None
            if lead.loss_reason is not None:
                found = self.loss_reasons.find(
                    lead.loss_reason, self._at(f"{rel}.loss_reason"), self.problems
                )
                loss_reason = found.id if found else None
            if lead.source is not None:
                src = self.sources.find(lead.source, self._at(f"{rel}.source"), self.problems)
                source = src.id if src else None
            if owner is None or author is None or stage is None or lead.id is None:
                continue
            created = lead.created_at or self.now
            updated = lead.updated_at or created
            closed = lead.closed_at
            if closed is None and stage[1] in (WON, LOST):
                closed = updated
            self.rows.add(
                "leads", self.id, lead.id, lead.name, *prices.split(lead.price), owner[0],
                owner[1], stage[0], stage[1], loss_reason, source, author[0], author[0], created,
                updated, closed,
                self.closest.get(("leads", lead.id)), lead.is_deleted, lead.score,
                lead.labor_cost, False, False,
            )  # fmt: skip
            self._lead_links(lead, lead.id, rel)
            self._values("lead_custom_field_values", lead.id, lead.custom_fields_values, rel,
                         catalog)  # fmt: skip
            self._notes("leads", lead.id, lead.notes, owner, rel)
            if lead.unsorted is not None:
                self._unsorted(lead, lead.id, stage[0], created)

    def _unsorted(self, lead: d.Lead, lead_id: int, pipeline_id: int, created: int) -> None:
        entry = lead.unsorted
        assert entry is not None
        main = next((c.id for c in lead.contacts if c.is_main), None)
        contact = main if main is not None else next((c.id for c in lead.contacts), None)
        self.rows.add(
            "unsorted", self.id, entry.uid or secrets.token_hex(30), entry.source_uid,
            entry.source_name, entry.category, pipeline_id, entry.created_at or created,
            json.dumps(entry.metadata, ensure_ascii=False), lead_id, contact, lead.company,
        )  # fmt: skip

    def _notes(
        self,
        kind: str,
        parent_id: int,
        notes: Sequence[d.Note],
        parent_owner: tuple[int, int],
        rel: str,
    ) -> None:
        """A parent's notes: by default its responsible user's, a writable type's ``params``
        checked and stored as the API stores them."""
        for k, n in enumerate(notes):
            at = f"{rel}.notes[{k}]"
            owner: tuple[int, int] | None = parent_owner
            if n.responsible_user is not None:
                owner = self._party(n.responsible_user, f"{at}.responsible_user")
            author = owner
            if n.created_by is not None:
                author = self._party(n.created_by, f"{at}.created_by")
            params: dict[str, Any] | None = n.params
            if n.note_type in PARAMS:
                errors = ItemErrors("seed")
                params = read_params(Reader({"params": n.params}, errors), n.note_type)
                for error in errors.errors:
                    self.problems.add(f"{self._at(at)}.{_json_path(error['path'])}",
                                      error["detail"])  # fmt: skip
                if params is not None:
                    params = stored_params(n.note_type, params)
            elif n.note_type not in READ_ONLY:
                self.problems.add(
                    self._at(f"{at}.note_type"),
                    "one of: " + ", ".join([*PARAMS, *sorted(READ_ONLY)]),
                )
                params = None
            if owner is None or author is None or params is None or n.id is None:
                continue
            created = n.created_at or self.now
            self.rows.add(
                "notes", self.id, n.id, kind, parent_id, n.note_type,
                json.dumps(params, ensure_ascii=False), owner[0], owner[1], author[0],
                author[0], created, n.updated_at or created, n.is_pinned,
            )  # fmt: skip

    def _lead_links(self, lead: d.Lead, lead_id: int, rel: str) -> None:
        tag_ids: dict[int, None] = {}
        for k, ref in enumerate(lead.tags):
            tag = self.lead_tags.find(ref, self._at(f"{rel}.tags[{k}]"), self.problems)
            if tag is not None and tag.id is not None:
                tag_ids[tag.id] = None
        for tag_id in tag_ids:
            self.rows.add("lead_tags", self.id, lead_id, tag_id)
        seen: set[int] = set()
        has_main = any(c.is_main for c in lead.contacts)
        for k, link in enumerate(lead.contacts):
            where = self._at(f"{rel}.contacts[{k}]")
            if link.id in seen or not self.contacts.find(link.id, f"{where}.id", self.problems):
                continue
            seen.add(link.id)
            is_main = link.is_main if has_main else k == 0
            self.rows.add("lead_contacts", self.id, lead_id, link.id, is_main)
        if lead.company is not None and self.companies.find(
            lead.company, self._at(f"{rel}.company"), self.problems
        ):
            self.rows.add("lead_companies", self.id, lead_id, lead.company)
        self._element_links("lead", lead_id, lead.catalog_elements, rel)

    def _element_links(
        self, owner: str, owner_id: int, elements: Sequence[d.LeadElement], rel: str
    ) -> None:
        """The catalog elements a lead, contact or company links (each once)."""
        seen: set[int] = set()
        for k, element in enumerate(elements):
            catalog_id = self.elements.get(element.id)
            if catalog_id is None:
                self.problems.add(
                    self._at(f"{rel}.catalog_elements[{k}].id"),
                    f"no catalog element with id {element.id} in this account",
                )
                continue
            if element.id in seen:
                continue
            seen.add(element.id)
            self.rows.add(
                f"{owner}_catalog_elements", self.id, owner_id, element.id, catalog_id,
                element.quantity, element.price_id,
            )  # fmt: skip

    def _tasks(self) -> None:
        """Tasks on the account's own leads, contacts and companies; the types are Kommo's
        fixed two (1 follow-up, 2 meeting)."""
        known = {
            "leads": {x.id for x in self.a.leads},
            "contacts": {x.id for x in self.a.contacts},
            "companies": {x.id for x in self.a.companies},
        }
        for j, t in enumerate(self.a.tasks):
            rel = f"tasks[{j}]"
            owner = self._party(t.responsible_user, f"{rel}.responsible_user")
            author = owner
            if t.created_by is not None:
                author = self._party(t.created_by, f"{rel}.created_by")
            if (t.entity_type is None) != (t.entity_id is None):
                self.problems.add(self._at(rel), "entity_type and entity_id go together")
            elif t.entity_type is not None and t.entity_id not in known[t.entity_type]:
                self.problems.add(
                    self._at(f"{rel}.entity_id"),
                    f"no {t.entity_type[:-1] if t.entity_type != 'companies' else 'company'} "
                    f"with id {t.entity_id} in this account",
                )
            if t.task_type_id not in TASK_TYPE_IDS:
                self.problems.add(self._at(f"{rel}.task_type_id"), "1 (follow-up) or 2 (meeting)")
            if owner is None or author is None or t.id is None:
                continue
            created = t.created_at or self.now
            self.rows.add(
                "tasks", self.id, t.id, author[0], author[0], created, t.updated_at or created,
                owner[0], owner[1], t.entity_id, t.entity_type, t.duration, t.is_completed,
                t.task_type_id, t.text, t.result, None, t.complete_till,
            )  # fmt: skip

    def _webhooks(self) -> None:
        admin = _default_user(self.a)
        for j, w in enumerate(self.a.webhooks):
            unknown = [s for s in w.settings if s not in WEBHOOK_EVENTS]
            if unknown or not w.settings:
                self.problems.add(
                    self._at(f"webhooks[{j}].settings"),
                    "one or more of: " + ", ".join(WEBHOOK_EVENTS),
                )
            self.rows.add(
                "webhooks", self.id, w.id, w.destination, json.dumps(w.settings), w.sort,
                w.disabled, admin.id if admin and admin.id else 0, self.now, self.now,
            )  # fmt: skip


async def load(
    conn: Connection, doc: d.SeedDocument, issuer: TokenIssuer, now: int
) -> list[SeededAccount]:
    """Write ``doc`` on ``conn`` (inside the caller's transaction), or raise
    :class:`SeedError` with every problem found, before anything is written."""
    return await Loader(conn, issuer, now).load(doc)
