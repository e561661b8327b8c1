"""What the consent page calls: look an integration up, install it, issue an authorization code.

A code is ``<account_id>.<random>`` (see :mod:`kommodore.oauth.tokens`), stored as its SHA-256,
and lives 20 minutes; the token endpoint exchanges it once.
"""

from __future__ import annotations

from collections.abc import Sequence

from kommodore.db.database import Connection
from kommodore.integrations import service as integrations
from kommodore.integrations.service import IntegrationUnavailable, IntegrationView, install
from kommodore.oauth import store
from kommodore.oauth.tokens import CODE_LIFETIME, hash_of, new_opaque

__all__ = [
    "IntegrationUnavailable",
    "IntegrationView",
    "install",
    "integration_for_consent",
    "issue_code",
]


async def issue_code(
    conn: Connection,
    *,
    account_id: int,
    user_id: int,
    integration_id: str,
    redirect_uri: str,
    scopes: Sequence[str],
    now: int,
) -> str:
    """Store a new code (its hash) expiring at ``now + 1200`` and return the code itself.

    The caller has checked the integration (:func:`integration_for_consent`) and installed it
    (:func:`install`); the token endpoint checks both again at exchange time.
    """
    code = new_opaque(account_id)
    await store.insert_code(
        conn,
        store.Consent(account_id, integration_id, user_id, tuple(scopes)),
        code_hash=hash_of(code),
        redirect_uri=redirect_uri,
        created_at=now,
        expires_at=now + CODE_LIFETIME,
    )
    return code


async def integration_for_consent(conn: Connection, client_id: str) -> IntegrationView | None:
    """The integration a consent page names by ``client_id``; None when unknown (or not a
    UUID). A disabled one is returned with ``disabled=True`` so the page can say so."""
    integration = await integrations.find(conn, client_id)
    return None if integration is None else integrations.view_of(integration)
