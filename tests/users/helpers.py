"""Users with every column set (tests/factories.py leaves uuid, phone, rank and role empty)."""

from __future__ import annotations

import json
from typing import Any

from kommodore.db import schema
from tests.factories import NOW, Account, Factory, rights


def role(factory: Factory, account: Account, name: str) -> int:
    role_id = factory.id("roles")
    factory._insert(
        schema.roles,
        [{"account_id": account.id, "id": role_id, "name": name, "rights": "{}"}],
    )
    return role_id


def full_user(factory: Factory, account: Account, **columns: Any) -> dict[str, Any]:
    """Insert a user; returns the row as written (``rights`` decoded)."""
    user_id = factory.id("users")
    row: dict[str, Any] = {
        "account_id": account.id, "id": user_id, "name": f"User {user_id}",
        "email": f"u{user_id}@example.com", "lang": "en", "uuid": None, "amojo_id": None,
        "is_admin": False, "is_free": False, "is_active": True, "group_id": None,
        "role_id": None, "phone_number": None, "user_rank": None,
        "rights": rights("A"), "created_at": NOW, "updated_at": NOW,
    }  # fmt: skip
    row.update(columns)
    factory._insert(schema.users, [{**row, "rights": json.dumps(row["rights"])}])
    return row
