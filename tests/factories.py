"""Test data written straight into the database through the real schema.

Each test builds its own account, so tests never share rows and need no cleanup.
"""

from __future__ import annotations

import itertools
import json
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from kommodore.auth.keys import SigningKey
from kommodore.auth.tokens import DEFAULT_SCOPES, issue_token
from kommodore.db import schema, sqlalchemy_url
from kommodore.db.bulk import allocate_ids
from kommodore.search.parties import PartyKind, index_parties

WON, LOST = 142, 143
_INDEXED: dict[str, tuple[PartyKind, str]] = {
    "contacts": ("contacts", "id"),
    "companies": ("companies", "id"),
    "contact_custom_field_values": ("contacts", "contact_id"),
    "company_custom_field_values": ("companies", "company_id"),
}
"""Tables whose rows a party's search document is made of: the party's kind and its id column."""
NOW = int(time.time())
_subdomains = itertools.count(1)


def rights(
    view: str = "A",
    status_rights: list[dict[str, Any]] | None = None,
    *,
    edit: str | None = None,
    add: str = "A",
    tasks: str = "A",
) -> dict[str, Any]:
    entity = {"view": view, "edit": edit or view, "add": add, "delete": "D", "export": "D"}
    return {
        "leads": entity,
        "contacts": entity,
        "companies": entity,
        "tasks": {"edit": tasks, "delete": tasks},
        "mail_access": False,
        "catalog_access": False,
        "status_rights": status_rights,
    }


@dataclass
class Account:
    id: int
    subdomain: str
    main_pipeline: int
    other_pipeline: int
    stages: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Named (pipeline_id, status_id): incoming, first, second, won, lost, other_first."""
    groups: dict[str, int] = field(default_factory=dict)
    admin: int = 0


class Factory:
    def __init__(self, database_url: str, key: SigningKey, base_domain: str) -> None:
        self.engine = sa.create_engine(sqlalchemy_url(database_url), poolclass=sa.pool.NullPool)
        self.key = key
        self.base_domain = base_domain

    def _insert(self, table: sa.Table, rows: Iterable[dict[str, Any]]) -> None:
        """Insert ``rows``; contacts, companies and their values are (re)indexed for search in
        the same transaction, as every writer does."""
        listed = list(rows)
        with self.engine.begin() as conn:
            conn.execute(table.insert(), listed)
            kind, key = _INDEXED.get(table.name, (None, ""))
            if kind is not None:
                for account_id in {r["account_id"] for r in listed}:
                    ids = [r[key] for r in listed if r["account_id"] == account_id]
                    index_parties(conn, kind, account_id, ids)

    def ids(self, entity: str, count: int = 1) -> list[int]:
        with self.engine.begin() as conn:
            return list(allocate_ids(conn, entity, count))

    def id(self, entity: str) -> int:
        return self.ids(entity)[0]

    def execute(self, statement: str, **params: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.text(statement), params)

    # -- tenancy -------------------------------------------------------------------------------

    def account(self, paid_till: int | None = None) -> Account:
        with self.engine.begin() as conn:
            top = conn.execute(sa.text("SELECT max(id) FROM accounts")).scalar_one() or 0
        account_id = max(top, 40_000_000) + 1
        subdomain = f"t{account_id}x{next(_subdomains)}"
        self._insert(
            schema.accounts,
            [
                {
                    "id": account_id, "subdomain": subdomain, "name": f"Account {subdomain}",
                    "country": "NL", "currency": "EUR", "currency_symbol": "€",
                    "customers_mode": "disabled", "is_unsorted_on": True,
                    "is_loss_reason_enabled": True, "is_helpbot_enabled": False,
                    "is_technical_account": False, "contact_name_display_order": 1,
                    "mobile_feature_version": 0, "amojo_id": None, "version": 11,
                    "paid_till": paid_till, "settings": "{}", "created_by": 0, "updated_by": 0,
                    "created_at": NOW, "updated_at": NOW,
                }
            ],
        )  # fmt: skip
        g1, g2 = self.ids("user_groups", 2)
        self._insert(
            schema.user_groups,
            [
                {"account_id": account_id, "id": 0, "name": "Main", "uuid": None},
                {"account_id": account_id, "id": g1, "name": "One", "uuid": None},
                {"account_id": account_id, "id": g2, "name": "Two", "uuid": None},
            ],
        )
        main, other = self.ids("pipelines", 2)
        self._insert(
            schema.pipelines,
            [
                {"account_id": account_id, "id": pid, "name": name, "sort": sort,
                 "is_main": pid == main, "is_unsorted_on": True, "is_archive": False,
                 "created_at": NOW, "updated_at": NOW}
                for pid, name, sort in ((main, "Sales", 1), (other, "Other", 2))
            ],
        )  # fmt: skip
        incoming, first, second, other_incoming, other_first = self.ids("statuses", 5)
        statuses = [
            (main, incoming, "Incoming", 10, 1),
            (main, first, "First", 20, 0),
            (main, second, "Second", 30, 0),
            (main, WON, "Won", 10000, 0),
            (main, LOST, "Lost", 11000, 0),
            (other, other_incoming, "Incoming", 10, 1),
            (other, other_first, "First", 20, 0),
            (other, WON, "Won", 10000, 0),
            (other, LOST, "Lost", 11000, 0),
        ]
        self._insert(
            schema.statuses,
            [
                {"account_id": account_id, "pipeline_id": p, "id": s, "name": n, "sort": o,
                 "is_editable": t == 0 and s not in (WON, LOST), "color": "#fffeb2", "type": t}
                for p, s, n, o, t in statuses
            ],
        )  # fmt: skip
        account = Account(
            id=account_id,
            subdomain=subdomain,
            main_pipeline=main,
            other_pipeline=other,
            stages={
                "incoming": (main, incoming),
                "first": (main, first),
                "second": (main, second),
                "won": (main, WON),
                "lost": (main, LOST),
                "other_first": (other, other_first),
            },
            groups={"default": 0, "one": g1, "two": g2},
        )
        account.admin = self.user(account, admin=True, group="one")
        return account

    def user(
        self,
        account: Account,
        *,
        view: str = "A",
        group: str = "default",
        admin: bool = False,
        free: bool = False,
        active: bool = True,
        status_rights: list[dict[str, Any]] | None = None,
        edit: str | None = None,
        add: str = "A",
        tasks: str = "A",
    ) -> int:
        """``edit`` defaults to ``view``; ``add`` to A; ``tasks`` is ``rights.tasks.edit``."""
        user_id = self.id("users")
        group_id = account.groups[group]
        self._insert(
            schema.users,
            [
                {"account_id": account.id, "id": user_id, "name": f"User {user_id}",
                 "email": f"u{user_id}@example.com", "lang": "en", "uuid": None,
                 "amojo_id": None, "is_admin": admin, "is_free": free, "is_active": active,
                 "group_id": group_id or None, "role_id": None,
                 "rights": json.dumps(rights(view, status_rights, edit=edit, add=add, tasks=tasks)),
                 "created_at": NOW, "updated_at": NOW}
            ],
        )  # fmt: skip
        return user_id

    def user_group(self, account: Account, user_id: int) -> int:
        with self.engine.begin() as conn:
            group = conn.execute(
                sa.text("SELECT group_id FROM users WHERE account_id = :a AND id = :u"),
                {"a": account.id, "u": user_id},
            ).scalar_one()
        return int(group or 0)

    def token(
        self,
        account: Account,
        user_id: int,
        *,
        lifetime: int = 3600,
        now: int | None = None,
        record: bool = True,
    ) -> str:
        issued_at = int(time.time()) if now is None else now
        issued = issue_token(
            self.key,
            account_id=account.id,
            user_id=user_id,
            integration_id=str(uuid.uuid4()),
            api_domain=self.base_domain,
            base_domain=self.base_domain,
            lifetime_seconds=lifetime,
            scopes=DEFAULT_SCOPES,
            now=issued_at,
        )
        if record:
            self._insert(
                schema.api_tokens,
                [
                    {"account_id": account.id, "jti": issued.claims.jti, "user_id": user_id,
                     "integration_id": issued.claims.integration_id, "kind": "long_lived",
                     "scopes": json.dumps(list(DEFAULT_SCOPES)), "issued_at": issued_at,
                     "expires_at": issued.claims.expires_at, "revoked_at": None}
                ],
            )  # fmt: skip
        return issued.token

    # -- directories ---------------------------------------------------------------------------

    def loss_reason(self, account: Account, name: str = "Too expensive", sort: int = 100) -> int:
        rid = self.id("loss_reasons")
        self._insert(
            schema.loss_reasons,
            [{"account_id": account.id, "id": rid, "name": name, "sort": sort,
              "created_at": NOW - 10, "updated_at": NOW - 5}],
        )  # fmt: skip
        return rid

    def source(self, account: Account, name: str = "Website") -> int:
        sid = self.id("sources")
        self._insert(
            schema.sources,
            [{"account_id": account.id, "id": sid, "name": name,
              "pipeline_id": account.main_pipeline, "external_id": f"ext-{sid}",
              "is_default": False, "origin_code": None, "integration_id": None, "services": "[]",
              "created_at": NOW, "updated_at": NOW}],
        )  # fmt: skip
        return sid

    def tag(self, account: Account, name: str, color: str | None = None) -> int:
        tid = self.id("tags")
        self._insert(
            schema.tags,
            [{"account_id": account.id, "id": tid, "entity_type": "leads", "name": name,
              "color": color}],
        )  # fmt: skip
        return tid

    def party(self, account: Account, kind: str, owner: int, deleted: bool = False) -> int:
        """A contact (``kind='contacts'``) or a company (``'companies'``)."""
        pid = self.id(kind)
        row: dict[str, Any] = {
            "account_id": account.id, "id": pid, "name": f"{kind} {pid}",
            "responsible_user_id": owner, "group_id": 0, "created_by": owner,
            "updated_by": owner, "created_at": NOW, "updated_at": NOW,
            "closest_task_at": None, "is_deleted": deleted,
        }  # fmt: skip
        if kind == "contacts":
            row |= {"first_name": "First", "last_name": f"Last{pid}"}
        self._insert(schema.metadata.tables[kind], [row])
        return pid

    def catalog_element(self, account: Account, deleted: bool = False) -> tuple[int, int]:
        """(catalog id, element id) of a new catalog holding one element."""
        catalog_id, element_id = self.id("catalogs"), self.id("catalog_elements")
        self._insert(
            schema.catalogs,
            [{"account_id": account.id, "id": catalog_id, "name": "Products", "type": "products",
              "sort": 10, "created_by": 0, "updated_by": 0, "created_at": NOW,
              "updated_at": NOW}],
        )  # fmt: skip
        self._insert(
            schema.catalog_elements,
            [{"account_id": account.id, "id": element_id, "catalog_id": catalog_id,
              "name": "Widget", "created_by": 0, "updated_by": 0, "created_at": NOW,
              "updated_at": NOW, "is_deleted": deleted}],
        )  # fmt: skip
        return catalog_id, element_id

    def field(
        self,
        account: Account,
        field_type: str,
        name: str | None = None,
        code: str | None = None,
        enums: Iterable[tuple[str, str | None]] = (),
        sort: int = 500,
        entity_type: str = "leads",
    ) -> tuple[int, list[int]]:
        """A custom field (of leads unless ``entity_type`` says otherwise) and its enums, as
        (field id, [enum ids])."""
        fid = self.id("custom_fields")
        self._insert(
            schema.custom_fields,
            [{"account_id": account.id, "id": fid, "entity_type": entity_type,
              "name": name or f"Field {field_type}", "code": code, "sort": sort,
              "type": field_type, "is_computed": False, "is_predefined": False,
              "is_deletable": True, "is_api_only": False, "group_id": None,
              "required_statuses": None, "hidden_statuses": "[]", "remind": None,
              "currency": None, "chained_lists": None, "tracking_callback": None,
              "search_in": None, "created_at": NOW, "updated_at": NOW}],
        )  # fmt: skip
        enum_list = list(enums)
        enum_ids = self.ids("custom_field_enums", len(enum_list)) if enum_list else []
        if enum_list:
            self._insert(
                schema.custom_field_enums,
                [
                    {"account_id": account.id, "id": eid, "field_id": fid, "value": value,
                     "sort": 10 * (i + 1), "code": enum_code}
                    for i, (eid, (value, enum_code))
                    in enumerate(zip(enum_ids, enum_list, strict=True))
                ],
            )  # fmt: skip
        return fid, enum_ids

    # -- leads ---------------------------------------------------------------------------------

    def lead(
        self,
        account: Account,
        *,
        responsible: int | None = None,
        stage: str = "first",
        **columns: Any,
    ) -> int:
        lead_id = self.id("leads")
        owner = responsible or account.admin
        pipeline_id, status_id = account.stages[stage]
        row: dict[str, Any] = {
            "account_id": account.id, "id": lead_id, "name": f"Lead {lead_id}", "price": 0,
            "responsible_user_id": owner, "group_id": self.user_group(account, owner),
            "pipeline_id": pipeline_id, "status_id": status_id, "loss_reason_id": None,
            "source_id": None, "created_by": owner, "updated_by": owner,
            "created_at": NOW - 100, "updated_at": NOW - 50, "closed_at": None,
            "closest_task_at": None, "is_deleted": False, "score": None, "labor_cost": None,
            "is_price_computed": False, "is_price_modified_by_robot": False,
        }  # fmt: skip
        row.update(columns)
        self._insert(schema.leads, [row])
        return lead_id

    def link(self, table: str, account: Account, **columns: Any) -> None:
        """A row of a lead link table (lead_tags, lead_contacts, lead_companies, ...)."""
        self._insert(schema.metadata.tables[table], [{"account_id": account.id, **columns}])

    def value(self, account: Account, lead_id: int, field_id: int, **columns: Any) -> None:
        row: dict[str, Any] = {
            "account_id": account.id, "lead_id": lead_id, "field_id": field_id, "position": 0,
            "enum_id": None, "value_text": None, "value_number": None, "value_int": None,
            "value_json": None,
        }  # fmt: skip
        row.update(columns)
        self._insert(schema.lead_custom_field_values, [row])
