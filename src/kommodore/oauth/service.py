"""The token endpoint's rules (RFC 6749): code exchange and refresh-token rotation.

Errors follow league/oauth2-server, the library behind Kommo's ``OAuthProblemJson`` (its
``hint`` strings are what clients match on). Every grant runs in one transaction; the rows it
changes are locked first, ancestors before descendants, so concurrent grants on one chain
serialize without deadlocks.

Rotation (Kommo's rule): refreshing with T returns a new pair N (T.used_at is set, N's parent
is T). T keeps working until N is first used; then T is revoked. Refreshing T again while N is
still unused revokes N and returns a fresh N'. Rotation revokes refresh tokens only: an access
token lives its 24 hours unless the integration is removed or disabled, or the code it came
from is replayed.

What expired is purged 7 days later (:func:`purge_expired`): every grant purges a bounded
number of rows of its own account, and ``kommodore token purge`` sweeps every account.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import NamedTuple, TypeVar

from kommodore.accounts import store as accounts
from kommodore.auth import store as auth_store
from kommodore.auth.keys import SigningKey
from kommodore.auth.tokens import issue_token
from kommodore.db.database import Connection, Database
from kommodore.integrations import service as integrations
from kommodore.integrations import store as integration_store
from kommodore.integrations.store import Integration
from kommodore.oauth import store
from kommodore.oauth.store import CodeRow, RefreshRow
from kommodore.oauth.tokens import (
    ACCESS_LIFETIME,
    REFRESH_LIFETIME,
    RETENTION,
    account_of,
    hash_of,
    new_opaque,
)
from kommodore.oauth.wire import AccountDomain, TokenPair

PROBLEM_TYPE = "https://developers.amocrm.ru/v3/errors/OAuthProblemJson"

INVALID_REQUEST = (
    "The request is missing a required parameter, includes an invalid parameter value, "
    "includes a parameter more than once, or is otherwise malformed."
)
UNSUPPORTED_GRANT = "The authorization grant type is not supported by the authorization server."
INVALID_CLIENT = "Client authentication failed"
INVALID_REFRESH = "The refresh token is invalid."

# hints (the strings clients compare)
CLIENT_FAILED = "Client authentication failed"
CODE_UNREADABLE = "Cannot decrypt the authorization code"
CODE_EXPIRED = "Authorization code has expired"
CODE_REVOKED = "Authorization code has been revoked"
CODE_OTHER_CLIENT = "Authorization code was not issued to this client"
BAD_REDIRECT = "Invalid redirect URI"
TOKEN_UNREADABLE = "Cannot decrypt the refresh token"  # noqa: S105 (a hint, not a secret)
TOKEN_OTHER_CLIENT = "Token is not linked to client"  # noqa: S105 (a hint, not a secret)
TOKEN_REVOKED = "Token has been revoked"  # noqa: S105 (a hint, not a secret)
TOKEN_EXPIRED = "Token has expired"  # noqa: S105 (a hint, not a secret)

_Row = TypeVar("_Row", CodeRow, RefreshRow)
_SUBDOMAIN = re.compile(r"[a-z0-9](?:[a-z0-9.-]{0,61}[a-z0-9])?")


class OAuthError(Exception):
    """Answered as ``{"hint", "title", "type", "status", "detail"}`` in application/json."""

    def __init__(self, status: int, hint: str, detail: str) -> None:
        super().__init__(hint)
        self.status = status
        self.hint = hint
        self.detail = detail

    def body(self) -> dict[str, object]:
        return {
            "hint": self.hint,
            "title": HTTPStatus(self.status).phrase,
            "type": PROBLEM_TYPE,
            "status": self.status,
            "detail": self.detail,
        }


def missing(parameter: str) -> OAuthError:
    return OAuthError(400, f"Check the `{parameter}` parameter", INVALID_REQUEST)


def _code_error(hint: str) -> OAuthError:
    return OAuthError(400, hint, INVALID_REQUEST)


def _token_error(hint: str) -> OAuthError:
    return OAuthError(401, hint, INVALID_REFRESH)


@dataclass(frozen=True, slots=True)
class Issuer:
    """What signing a token needs: the server's key and the domains it puts in claims."""

    key: SigningKey
    api_domain: str
    base_domain: str


@dataclass(frozen=True, slots=True)
class ClientCredentials:
    client_id: str | None
    client_secret: str | None


def _text(params: Mapping[str, object], name: str) -> str | None:
    """A parameter as a non-empty string; a non-string value is as bad as a missing one."""
    value = params.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise missing(name)
    return value


async def token_grant(
    db: Database,
    issuer: Issuer,
    params: Mapping[str, object],
    basic: ClientCredentials,
    *,
    host_subdomain: str | None,
    now: int,
) -> TokenPair:
    """``POST /oauth2/access_token``: check grant type and client, then run the grant."""
    grant_type = _text(params, "grant_type")
    if grant_type is None:
        raise missing("grant_type")
    kind = _GRANT_TYPES.get(grant_type)
    if kind is None:
        raise OAuthError(400, "Check the `grant_type` parameter", UNSUPPORTED_GRANT)
    # league/oauth2-server: body credentials first, HTTP Basic as the fallback
    client_id = _text(params, "client_id") or basic.client_id
    client_secret = _text(params, "client_secret") or basic.client_secret
    if client_id is None:
        raise missing("client_id")
    redirect_uri = _text(params, "redirect_uri")
    presented = _text(params, kind.parameter)
    async with db.transaction() as conn:
        client = await _client(conn, client_id, client_secret)
        if presented is None:
            raise missing(kind.parameter)
        if kind.needs_redirect and redirect_uri is None:
            raise missing("redirect_uri")
        account_id = await _account_named(conn, presented, host_subdomain)
        outcome: TokenPair | OAuthError
        if account_id is None:
            outcome = kind.error(kind.unreadable)
        else:
            grant = _Grant(conn, issuer, client, redirect_uri, now, account_id, hash_of(presented))
            outcome = await kind.run(grant)
    # an error that had to write (a replayed code revokes what it issued) is raised only
    # after its transaction committed
    if isinstance(outcome, OAuthError):
        raise outcome
    return outcome


async def _client(conn: Connection, client_id: str, client_secret: str | None) -> Integration:
    """The integration, if the secret matches and it is not disabled: else 401."""
    integration = await integrations.find(conn, client_id)
    if (
        integration is None
        or client_secret is None
        or not hmac.compare_digest(integration.secret.encode(), client_secret.encode())
        or integration.disabled_at is not None
    ):
        raise OAuthError(401, CLIENT_FAILED, INVALID_CLIENT)
    return integration


async def _account_named(
    conn: Connection, presented: str, host_subdomain: str | None
) -> int | None:
    """The account a code or refresh token names, if the request's Host agrees: a Host naming
    an account must name the token's; any other Host is fine."""
    account_id = account_of(presented)
    if account_id is None or host_subdomain is None:
        return account_id
    if not _SUBDOMAIN.fullmatch(host_subdomain):
        return None
    account = await accounts.find_by_subdomain(conn, host_subdomain)
    return account_id if account is not None and account.id == account_id else None


async def _installed(conn: Connection, account_id: int, integration_id: str) -> bool:
    install = await integration_store.installation(conn, account_id, integration_id)
    return install is not None and install.live


@dataclass(frozen=True, slots=True)
class _Grant:
    """One token request, in its transaction: who asks, what a grant checks against, and the
    key (``account_id``, ``presented_hash``) of the code or refresh token it presents."""

    conn: Connection
    issuer: Issuer
    client: Integration
    redirect_uri: str | None
    now: int
    account_id: int
    presented_hash: str


async def _exchange_code(g: _Grant) -> TokenPair | OAuthError:
    conn, client, now = g.conn, g.client, g.now
    account_id, code_hash = g.account_id, g.presented_hash
    row = _CODE.own(await store.lock_code(conn, account_id, code_hash), client)
    if isinstance(row, OAuthError):
        return row
    if row.used_at is not None:
        # RFC 6749 §4.1.2: a code used twice is refused, and what it issued is revoked
        chain = await store.descendants(conn, account_id, code_hash)
        await store.revoke_refresh(conn, account_id, [c.token_hash for c in chain], now)
        await store.revoke_access(conn, account_id, [c.access_jti for c in chain], now)
        return _code_error(CODE_REVOKED)
    if row.expires_at <= now:
        return _code_error(CODE_EXPIRED)
    if row.redirect_uri != g.redirect_uri:
        return _code_error(BAD_REDIRECT)
    if not await _installed(conn, account_id, client.id):
        return _code_error(CODE_REVOKED)
    await store.use_code(conn, account_id, code_hash, now)
    return await _issue_pair(g, row)


async def _refresh(g: _Grant) -> TokenPair | OAuthError:
    conn, client, now = g.conn, g.client, g.now
    account_id, token_hash = g.account_id, g.presented_hash
    # lock the parent before the token itself: every grant locks ancestors first
    peek = await store.find_refresh(conn, account_id, token_hash)
    if peek is None:
        return _token_error(TOKEN_UNREADABLE)
    if peek.parent_hash is not None:
        await store.lock_refresh(conn, account_id, peek.parent_hash)
    row = _REFRESH.own(await store.lock_refresh(conn, account_id, token_hash), client)
    if isinstance(row, OAuthError):
        return row
    if row.revoked_at is not None:
        return _token_error(TOKEN_REVOKED)
    if row.expires_at <= now:
        return _token_error(TOKEN_EXPIRED)
    if not await _installed(conn, account_id, client.id):
        return _token_error(TOKEN_REVOKED)
    # documented as required; tolerated when absent, refused when wrong
    if g.redirect_uri is not None and g.redirect_uri != client.redirect_uri:
        return _code_error(BAD_REDIRECT)
    if row.used_at is None:
        await store.mark_refresh_used(conn, account_id, token_hash, now)
        if row.parent_hash is not None:
            # the new token's first use ends the grace of the one it replaced
            await store.revoke_refresh(conn, account_id, [row.parent_hash], now)
    else:
        # used before, and the pair it returned never used (else it would be revoked):
        # the earlier answer was lost, so that pair's refresh token is replaced
        unused = await store.unused_children(conn, account_id, token_hash)
        await store.revoke_refresh(conn, account_id, unused, now)
    return await _issue_pair(g, row)


class _GrantType(NamedTuple):
    """What differs between the two grants: the parameter presenting the code or refresh
    token, whether ``redirect_uri`` is required, how a refusal is answered, and the steps."""

    parameter: str
    needs_redirect: bool
    error: Callable[[str], OAuthError]
    unreadable: str
    other_client: str
    run: Callable[[_Grant], Awaitable[TokenPair | OAuthError]]

    def own(self, row: _Row | None, client: Integration) -> _Row | OAuthError:
        """The row of what the request presented, if it exists and was issued to ``client``."""
        if row is None:
            return self.error(self.unreadable)
        if row.integration_id != client.id:
            return self.error(self.other_client)
        return row


_CODE = _GrantType("code", True, _code_error, CODE_UNREADABLE, CODE_OTHER_CLIENT, _exchange_code)
_REFRESH = _GrantType(
    "refresh_token", False, _token_error, TOKEN_UNREADABLE, TOKEN_OTHER_CLIENT, _refresh
)
_GRANT_TYPES = {"authorization_code": _CODE, "refresh_token": _REFRESH}


async def _issue_pair(g: _Grant, row: CodeRow | RefreshRow) -> TokenPair:
    """An access JWT (recorded in api_tokens) and a refresh token whose parent is the code or
    refresh token the request presented (``row``, checked to be the client's)."""
    conn, issuer, now = g.conn, g.issuer, g.now
    account_id, user_id, integration_id = g.account_id, row.user_id, row.integration_id
    consent = store.Consent(account_id, integration_id, user_id, store.scopes_of(row.scopes))
    issued = issue_token(
        issuer.key,
        account_id=account_id,
        user_id=user_id,
        integration_id=integration_id,
        api_domain=issuer.api_domain,
        base_domain=issuer.base_domain,
        lifetime_seconds=ACCESS_LIFETIME,
        scopes=consent.scopes,
        now=now,
    )
    await auth_store.insert_token(conn, issued.claims, "access", now)
    await purge_expired(conn, account_id, now, PURGE_PER_GRANT)
    refresh_token = new_opaque(account_id)
    await store.insert_refresh(
        conn,
        consent,
        token_hash=hash_of(refresh_token),
        access_jti=issued.claims.jti,
        parent_hash=g.presented_hash,
        issued_at=now,
        expires_at=now + REFRESH_LIFETIME,
    )
    return TokenPair(
        expires_in=ACCESS_LIFETIME,
        server_time=now,
        access_token=issued.token,
        refresh_token=refresh_token,
    )


PURGE_PER_GRANT = 20
"""Expired rows of each kind a grant deletes in its account, at most: more than one grant
writes, so an account that keeps refreshing never piles up what expired, and a grant's
transaction stays short."""
PURGE_BATCH = 1000
"""Rows of each kind one transaction of :func:`sweep` deletes at most."""


async def purge_expired(conn: Connection, account_id: int, now: int, limit: int) -> int:
    """Delete up to ``limit`` codes, refresh tokens and access-token records each of the
    account that expired more than :data:`RETENTION` ago; how many rows went. A live one is
    never among them, whatever its ancestors' fate: refreshing needs only its own row."""
    before = now - RETENTION
    return (
        await store.purge_codes(conn, account_id, before, limit)
        + await store.purge_refresh(conn, account_id, before, limit)
        + await auth_store.purge_tokens(conn, account_id, before, limit)
    )


async def sweep(db: Database, now: int) -> int:
    """Purge every account (``kommodore token purge``): accounts that stopped granting keep
    what expired until then. Each transaction deletes at most :data:`PURGE_BATCH` rows of each
    kind in one account, so no lock is held for long; several sweeps (or grants) at once skip
    each other's rows. How many rows went."""
    gone, after = 0, 0
    while True:
        async with db.connection() as conn:
            accounts = await store.account_ids_after(conn, after, PURGE_BATCH)
        for account_id in accounts:
            while True:
                async with db.transaction() as conn:
                    purged = await purge_expired(conn, account_id, now, PURGE_BATCH)
                gone += purged
                if purged == 0:
                    break
        if len(accounts) < PURGE_BATCH:
            return gone
        after = accounts[-1]


async def current_subdomain(
    conn: Connection,
    refresh_token: str | None,
    *,
    base_domain: str,
    host_subdomain: str | None,
    now: int,
) -> AccountDomain:
    """``GET /oauth2/account/current/subdomain``: the account of a live refresh
    token. ``domain`` is the base domain accounts live under, ``top_level_domain`` its last
    label (Kommo: ``kommo.com`` and ``com``)."""
    if not refresh_token:
        raise OAuthError(400, "Check the `X-Refresh-Token` header", INVALID_REQUEST)
    account_id = await _account_named(conn, refresh_token, host_subdomain)
    if account_id is None:
        raise _token_error(TOKEN_UNREADABLE)
    row = await store.find_refresh(conn, account_id, hash_of(refresh_token))
    if row is None:
        raise _token_error(TOKEN_UNREADABLE)
    if row.revoked_at is not None:
        raise _token_error(TOKEN_REVOKED)
    if row.expires_at <= now:
        raise _token_error(TOKEN_EXPIRED)
    integration = await integration_store.find(conn, row.integration_id)
    if (
        integration is None
        or integration.disabled_at is not None
        or not await _installed(conn, account_id, row.integration_id)
    ):
        raise _token_error(TOKEN_REVOKED)
    subdomain = await store.account_subdomain(conn, account_id)
    if subdomain is None:
        raise _token_error(TOKEN_UNREADABLE)
    return account_domain(account_id, subdomain, base_domain)


def account_domain(account_id: int, subdomain: str, base_domain: str) -> AccountDomain:
    """The answer of both subdomain endpoints: ``domain`` is the base domain accounts live
    under, ``top_level_domain`` its last label."""
    domain = base_domain.lower().rstrip(".")
    return AccountDomain(
        id=account_id,
        subdomain=subdomain,
        domain=domain,
        top_level_domain=domain.rsplit(".", 1)[-1],
    )
