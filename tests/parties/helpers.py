"""Contacts, companies and users with rights per entity, beyond what the shared factory makes."""

from __future__ import annotations

import json
from typing import Any

from kommodore.db import schema
from tests.factories import NOW, Account, Factory, rights


def add_party(factory: Factory, account: Account, kind: str, owner: int, **columns: Any) -> int:
    """A contact or company whose ``group_id`` is its responsible user's group (as writes
    will store it), unless ``columns`` says otherwise."""
    pid = factory.id(kind)
    row: dict[str, Any] = {
        "account_id": account.id, "id": pid, "name": f"{kind} {pid}",
        "responsible_user_id": owner, "group_id": factory.user_group(account, owner),
        "created_by": owner, "updated_by": owner, "created_at": NOW - 100,
        "updated_at": NOW - 50, "closest_task_at": None, "is_deleted": False,
    }  # fmt: skip
    if kind == "contacts":
        row |= {"first_name": "Ada", "last_name": f"Lovelace {pid}"}
    row.update(columns)
    factory._insert(schema.metadata.tables[kind], [row])
    return pid


def add_user(
    factory: Factory,
    account: Account,
    *,
    contacts: str,
    companies: str,
    group: str = "default",
    add: str = "A",
    edit: str = "A",
) -> int:
    """A non-admin user whose ``contacts`` and ``companies`` view codes differ; ``add`` and
    ``edit`` apply to both."""
    uid = factory.id("users")
    stored = rights("A")
    stored["contacts"] = {**stored["contacts"], "view": contacts, "add": add, "edit": edit}
    stored["companies"] = {**stored["companies"], "view": companies, "add": add, "edit": edit}
    factory._insert(
        schema.users,
        [{"account_id": account.id, "id": uid, "name": f"User {uid}",
          "email": f"u{uid}@example.com", "lang": "en", "uuid": None, "amojo_id": None,
          "is_admin": False, "is_free": False, "is_active": True,
          "group_id": account.groups[group] or None, "role_id": None,
          "rights": json.dumps(stored), "created_at": NOW, "updated_at": NOW}],
    )  # fmt: skip
    return uid
