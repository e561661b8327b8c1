"""Sources owned by an integration and tokens issued to one (the shared factory gives every
token a fresh integration id and every source none)."""

from __future__ import annotations

import json
import time
from typing import Any

from kommodore.auth.tokens import DEFAULT_SCOPES, issue_token
from kommodore.db import schema
from tests.factories import NOW, Account, Factory


def integration_token(factory: Factory, account: Account, user_id: int, integration: str) -> str:
    now = int(time.time())
    issued = issue_token(
        factory.key,
        account_id=account.id,
        user_id=user_id,
        integration_id=integration,
        api_domain=factory.base_domain,
        base_domain=factory.base_domain,
        lifetime_seconds=3600,
        scopes=DEFAULT_SCOPES,
        now=now,
    )
    factory._insert(
        schema.api_tokens,
        [{"account_id": account.id, "jti": issued.claims.jti, "user_id": user_id,
          "integration_id": integration, "kind": "long_lived",
          "scopes": json.dumps(list(DEFAULT_SCOPES)), "issued_at": now,
          "expires_at": issued.claims.expires_at, "revoked_at": None}],
    )  # fmt: skip
    return issued.token


def source(
    factory: Factory,
    account: Account,
    *,
    name: str,
    external_id: str,
    integration: str | None,
    default: bool = False,
    origin_code: str | None = None,
    services: list[Any] | None = None,
    pipeline_id: int | None = None,
) -> int:
    source_id = factory.id("sources")
    factory._insert(
        schema.sources,
        [{"account_id": account.id, "id": source_id, "name": name,
          "pipeline_id": pipeline_id or account.main_pipeline, "external_id": external_id,
          "is_default": default, "origin_code": origin_code, "integration_id": integration,
          "services": json.dumps(services or []), "created_at": NOW, "updated_at": NOW}],
    )  # fmt: skip
    return source_id
