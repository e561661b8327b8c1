"""Authentication: from a bearer token and a Host to an account and the user acting in it.

Every failure is the same 401: a caller learns nothing about which check failed.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from kommodore.auth import store
from kommodore.auth.rights import Actor, parse_lead_rights, parse_task_edit
from kommodore.auth.store import AccountRef, TokenRecord, UserRecord
from kommodore.auth.tokens import Claims, InvalidToken, TokenVerifier
from kommodore.db.database import Connection

MAX_ID = 2**63 - 1
_SUBDOMAIN = re.compile(r"[a-z0-9](?:[a-z0-9.-]{0,61}[a-z0-9])?")


class Unauthorized(Exception):
    """Answered as Kommo's 401 problem."""


class PaymentRequired(Exception):
    """The account's subscription has ended: Kommo's 402."""


TokenLookup = Callable[
    [Connection, int, str, int | None], Awaitable[tuple[AccountRef | None, TokenRecord | None]]
]
"""``(conn, account_id, jti, context_user_id)`` to the account and the token recorded for it
(with the user ``X-Context-User-ID`` names, when given): the auth store's own statement, or a
read that joins the token to what the request reads anyway (a lead by id), so the request makes
one round trip."""


@dataclass(frozen=True, slots=True)
class Principal:
    account: AccountRef
    actor: Actor
    token_user_id: int
    claims: Claims


def actor_of(user: UserRecord) -> Actor:
    return Actor(
        user_id=user.id,
        group_id=user.group_id,
        is_admin=user.is_admin,
        lead_rights=parse_lead_rights(user.rights_json),
        task_edit=parse_task_edit(user.rights_json),
    )


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise Unauthorized("no Authorization header")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("not a bearer token")
    return token.strip()


async def authenticate(
    conn: Connection,
    verifier: TokenVerifier,
    *,
    authorization: str | None,
    host_subdomain: str | None,
    context_user_id: str | None,
    now: float | None = None,
    lookup: TokenLookup = store.find_account_token,
) -> Principal:
    """Resolve the request's account and actor, or raise :class:`Unauthorized`.

    The account is the token's (its signature verified first); a Host that names a subdomain
    must name that account's, so a token of another account is refused. Looking the account up
    by the token's id rather than the Host's name keeps the statement on one shard (Citus).
    """
    current = time.time() if now is None else now
    try:
        claims = verifier.verify(bearer_token(authorization), current)
    except InvalidToken as exc:
        raise Unauthorized(str(exc)) from exc

    if host_subdomain is not None and not _SUBDOMAIN.fullmatch(host_subdomain):
        raise Unauthorized("not an account subdomain")
    wanted = _context_user_id(context_user_id)
    account, record = await lookup(conn, claims.account_id, claims.jti, wanted)
    if account is None:
        raise Unauthorized("unknown account")
    if host_subdomain is not None and account.subdomain != host_subdomain:
        raise Unauthorized("token and Host name different accounts")

    if record is None or record.revoked_at is not None or record.user_id != claims.user_id:
        raise Unauthorized("token unknown or revoked")
    if not record.integration_live:
        raise Unauthorized("integration disabled or removed from the account")

    acting = record.user
    if context_user_id is not None and record.user.is_admin:
        acting = _context_user(wanted, record.context_user)

    if account.paid_till is not None and account.paid_till < current:
        raise PaymentRequired()
    return Principal(account, actor_of(acting), record.user_id, claims)


def _context_user_id(header: str | None) -> int | None:
    """The user id ``X-Context-User-ID`` names; None when absent or not an id."""
    if header is None:
        return None
    value = header.strip()
    if not (value.isascii() and value.isdigit()) or int(value) > MAX_ID:
        return None
    return int(value)


def _context_user(wanted: int | None, user: UserRecord | None) -> UserRecord:
    """``X-Context-User-ID`` of an admin's token: that user must exist, be active and not free."""
    if wanted is None:
        raise Unauthorized("bad X-Context-User-ID")
    if user is None or user.is_free or not user.is_active:
        raise Unauthorized("X-Context-User-ID is not a usable user")
    return user
