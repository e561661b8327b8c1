"""Integrations (OAuth clients): create, list, disable, install, remove; revocation.

Disabling an integration, or an account removing it, revokes its tokens in the same
transaction (and authentication also checks both states on every request, so nothing issued
concurrently survives), and queues Kommo's revocation notice in that transaction: the webhook
outbox's worker sends it, retried on the webhook schedule, so a notice is neither lost with a
crash after the commit nor sent for a revocation that rolled back.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from kommodore.auth import store as auth_store
from kommodore.auth.keys import SigningKey
from kommodore.auth.tokens import DEFAULT_SCOPES, issue_token
from kommodore.db.database import Connection, Database
from kommodore.integrations import store
from kommodore.integrations.store import Installation, Integration
from kommodore.outbound import OutboundPolicy
from kommodore.settings import Settings
from kommodore.webhooks import outbox

MAX_NAME = 255
MAX_URL = 2048
KNOWN_SCOPES = DEFAULT_SCOPES


class IntegrationError(ValueError):
    """Invalid input to create an integration; the message says which value and why."""


class IntegrationUnavailable(ValueError):
    """Unknown, disabled, or private to another account: it cannot be installed or used."""


@dataclass(frozen=True, slots=True)
class IntegrationView:
    """What the consent page shows and checks: everything but the secret."""

    id: str
    name: str
    redirect_uri: str
    scopes: tuple[str, ...]
    is_private: bool
    owner_account_id: int | None
    disabled: bool


def view_of(integration: Integration) -> IntegrationView:
    return IntegrationView(
        id=integration.id,
        name=integration.name,
        redirect_uri=integration.redirect_uri,
        scopes=integration.scopes,
        is_private=integration.is_private,
        owner_account_id=integration.owner_account_id,
        disabled=integration.disabled_at is not None,
    )


_URI_CHARACTERS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=%"
)
"""RFC 3986's unreserved and reserved characters and ``%``: nothing that ends a header line,
a quoted attribute or a CSP source (no space, CR, LF, quotes, ``<>``, non-ASCII)."""
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")


def is_host(host: str) -> bool:
    """A DNS name of letter-digit-hyphen labels or an IP literal: what a CSP host source and a
    ``Host`` header can carry as it is (``;``, ``,``, ``_`` and the rest are refused)."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    labels = host.rstrip(".").split(".") if len(host) <= 253 else []
    return bool(labels) and all(_LABEL.fullmatch(label) for label in labels)


def _url(value: str, what: str) -> str:
    """An absolute http(s) URL without a fragment or credentials (RFC 6749's rules for redirect
    URIs), of URI characters only and with a plain host: it goes into ``Location`` headers
    and, as an origin, into the consent page's CSP, so no value may start a header or a
    directive."""
    if len(value) > MAX_URL:
        raise IntegrationError(f"{what} must be at most {MAX_URL} characters")
    bad = sorted({c for c in value if c not in _URI_CHARACTERS})
    if bad:
        raise IntegrationError(f"{what}: bad character {''.join(bad)!r} (percent-encode it)")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or parts.fragment
        or "#" in value
    ):
        raise IntegrationError(f"{what} must be an absolute http(s) URL without a fragment")
    if parts.username is not None or parts.password is not None:
        raise IntegrationError(f"{what}: no user or password in the URL")
    if not is_host(parts.hostname):
        raise IntegrationError(f"{what}: bad host {parts.hostname!r}")
    return value


def validate_scopes(scopes: Sequence[str]) -> tuple[str, ...]:
    unknown = [s for s in scopes if s not in KNOWN_SCOPES]
    if unknown or not scopes:
        raise IntegrationError(f"scopes must be a non-empty subset of {', '.join(KNOWN_SCOPES)}")
    return tuple(dict.fromkeys(scopes))


def new_secret() -> str:
    return secrets.token_urlsafe(48)


async def create(
    conn: Connection,
    *,
    name: str,
    redirect_uri: str,
    scopes: Sequence[str] = DEFAULT_SCOPES,
    owner_account_id: int | None = None,
    revocation_url: str | None = None,
    now: int,
    outbound: OutboundPolicy | None = None,
) -> Integration:
    """A new client with a random UUID and secret. With ``owner_account_id`` it is private to
    that account and installed there at once (installed by 0: the command line). With
    ``outbound``, a revocation URL whose host is a refused address is refused now rather
    than at its first notice."""
    name = name.strip()
    if revocation_url is not None and outbound is not None:
        refusal = outbound.host_refusal(
            urlsplit(_url(revocation_url, "revocation_url")).hostname or ""
        )
        if refusal is not None:
            raise IntegrationError(f"revocation_url is not allowed: {refusal}")
    if not name or len(name) > MAX_NAME:
        raise IntegrationError(f"name must be 1 to {MAX_NAME} characters")
    integration = Integration(
        id=str(uuid.uuid4()),
        secret=new_secret(),
        name=name,
        redirect_uri=_url(redirect_uri, "redirect_uri"),
        revocation_url=None if revocation_url is None else _url(revocation_url, "revocation_url"),
        scopes=validate_scopes(scopes),
        is_private=owner_account_id is not None,
        owner_account_id=owner_account_id,
        disabled_at=None,
        created_at=now,
    )
    await store.insert(conn, integration)
    if owner_account_id is not None:
        await store.install(conn, owner_account_id, integration.id, 0, now)
    return integration


async def find(conn: Connection, integration_id: str) -> Integration | None:
    if not is_client_id(integration_id):
        return None
    return await store.find(conn, integration_id)


async def list_all(conn: Connection) -> list[Integration]:
    return await store.all_integrations(conn)


def is_client_id(value: str) -> bool:
    """A canonical UUID: anything else is unknown without asking the database."""
    try:
        return str(uuid.UUID(value)) == value
    except (ValueError, TypeError, AttributeError):
        return False


async def usable(conn: Connection, integration_id: str, account_id: int) -> Integration:
    """The integration if ``account_id`` may install or use it; else IntegrationUnavailable."""
    integration = await find(conn, integration_id)
    if integration is None or integration.disabled_at is not None:
        raise IntegrationUnavailable("no active integration with that id")
    if integration.is_private and integration.owner_account_id != account_id:
        raise IntegrationUnavailable("the integration is private to another account")
    return integration


async def install(
    conn: Connection, *, account_id: int, integration_id: str, user_id: int, now: int
) -> None:
    """Install for the account (the consent page's "Allow"). Idempotent: a live install is
    kept as it is; one removed earlier is installed again. Raises IntegrationUnavailable for
    an unknown or disabled integration, or another account's private one."""
    await usable(conn, integration_id, account_id)
    await store.install(conn, account_id, integration_id, user_id, now)


async def installation(
    conn: Connection, account_id: int, integration_id: str
) -> Installation | None:
    return await store.installation(conn, account_id, integration_id)


async def remove(conn: Connection, *, account_id: int, integration_id: str, now: int) -> bool:
    """The account removes the integration: its tokens there are revoked and its notice
    queued. False when it was not installed (nothing changes)."""
    if not is_client_id(integration_id) or not await store.remove(
        conn, account_id, integration_id, now
    ):
        return False
    await store.revoke_all_tokens(conn, account_id, integration_id, now)
    await _queue_notices(conn, integration_id, [account_id], now)
    return True


async def disable(conn: Connection, integration_id: str, now: int) -> list[int] | None:
    """Disable everywhere, revoking its tokens and queueing its notice in every account that
    had it installed; returns those accounts, or None when no active integration has that
    id."""
    if not is_client_id(integration_id) or not await store.disable(conn, integration_id, now):
        return None
    accounts = await store.live_installs(conn, integration_id)
    for account_id in accounts:
        await store.revoke_all_tokens(conn, account_id, integration_id, now)
    await _queue_notices(conn, integration_id, accounts, now)
    return accounts


# -- revocation notices (as Kommo sends them) ------------------------------------------


async def _queue_notices(
    conn: Connection, integration_id: str, account_ids: Sequence[int], now: int
) -> None:
    """Queue the integration's revocation notice for each account in the revoking
    transaction (the webhook outbox delivers and retries them)."""
    integration = await store.find(conn, integration_id)
    if integration is None or not integration.revocation_url:
        return
    for account_id in account_ids:
        await outbox.enqueue_notice(
            conn, account_id, url=integration.revocation_url, client_id=integration.id,
            client_secret=integration.secret, now=now,
        )  # fmt: skip


def _revocation(integration: Integration, account_ids: list[int]) -> Revocation:
    queued = len(account_ids) if integration.revocation_url else 0
    return Revocation(integration, account_ids, queued)


@dataclass(frozen=True, slots=True)
class Revocation:
    integration: Integration
    account_ids: list[int]
    notices_queued: int
    """Notices written to the outbox with the revocation (0 without a revocation URL)."""


async def disable_and_notify(db: Database, integration_id: str, now: int) -> Revocation | None:
    """Disable in one transaction, which also queues the notice to every account that had it
    installed."""
    async with db.transaction() as conn:
        accounts = await disable(conn, integration_id, now)
        integration = None if accounts is None else await store.find(conn, integration_id)
    if accounts is None or integration is None:
        return None
    return _revocation(integration, accounts)


async def remove_and_notify(
    db: Database, account_id: int, integration_id: str, now: int
) -> Revocation | None:
    """Remove from one account in one transaction, which also queues the integration's
    notice."""
    async with db.transaction() as conn:
        removed = await remove(conn, account_id=account_id, integration_id=integration_id, now=now)
        integration = await store.find(conn, integration_id) if removed else None
    if integration is None:
        return None
    return _revocation(integration, [account_id])


# -- long-lived tokens -------------------------------------------------------------------------


class TokenRefused(ValueError):
    """A long-lived token that cannot be issued, in words for the person asking."""


def cli_integration_id(account_id: int) -> str:
    """The account's built-in private integration that CLI-issued long-lived tokens belong to."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"kommodore:cli-integration:{account_id}"))


@dataclass(frozen=True, slots=True)
class TokenRequest:
    """A long-lived token asked for: the account's first active admin's (``admin``) or
    ``user_id``'s, of a private installed integration or of the account's built-in CLI one."""

    subdomain: str
    user_id: int | None = None
    admin: bool = False
    days: int = 1
    integration_id: str | None = None


async def issue_long_lived(
    conn: Connection, key: SigningKey, settings: Settings, request: TokenRequest
) -> str:
    """A new long-lived token, recorded (``kommodore token create``, ``demo``, the control
    plane)."""
    from kommodore.accounts import store as accounts

    subdomain, user_id, integration_id = request.subdomain, request.user_id, request.integration_id

    account = await accounts.find_by_subdomain(conn, subdomain)
    if account is None:
        raise TokenRefused(f"no account with subdomain {subdomain!r}")
    if request.admin:
        uid = await auth_store.first_admin_id(conn, account.id)
        if uid is None:
            raise TokenRefused(f"account {subdomain!r} has no active admin")
    else:
        assert user_id is not None
        found = await auth_store.find_user(conn, account.id, user_id)
        if found is None:
            raise TokenRefused(f"no user {user_id} in {subdomain!r}")
        if integration_id is not None and not (found.is_admin and found.is_active):
            raise TokenRefused("long-lived tokens of an integration are issued by an active admin")
        uid = user_id
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    if integration_id is not None:
        scopes = await _private_integration_scopes(conn, integration_id, account.id)
    now = int(time.time())
    issued = issue_token(
        key,
        account_id=account.id,
        user_id=uid,
        integration_id=integration_id or cli_integration_id(account.id),
        api_domain=settings.resolved_api_domain,
        base_domain=settings.base_domain,
        lifetime_seconds=request.days * 86_400,
        scopes=scopes,
        now=now,
    )
    await auth_store.insert_token(conn, issued.claims, "long_lived", now)
    return issued.token


async def _private_integration_scopes(
    conn: Connection, integration_id: str, account_id: int
) -> tuple[str, ...]:
    """The scopes of a private integration of the account that is active and installed."""
    try:
        integration = await usable(conn, integration_id, account_id)
    except IntegrationUnavailable as exc:
        raise TokenRefused(str(exc)) from exc
    if not integration.is_private:
        raise TokenRefused("long-lived tokens are issued for private integrations only")
    installed = await installation(conn, account_id, integration_id)
    if installed is None or not installed.live:
        raise TokenRefused("the integration is not installed in this account")
    return integration.scopes
