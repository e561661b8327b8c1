"""JWT access and long-lived tokens, shaped like Kommo's so clients can decode them.

Clients read ``exp``, ``account_id`` and ``api_domain`` without checking the signature; the
server checks everything. A verified signature is remembered per token string, since RSA
verification would otherwise dominate a request; the time claims are checked on every request.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import jwt

from kommodore.auth.keys import SigningKey

ALGORITHM = "RS256"
DEFAULT_SCOPES = ("crm", "files", "files_delete", "notifications", "push_notifications")
REQUIRED_CLAIMS = (
    "exp",
    "iat",
    "nbf",
    "jti",
    "sub",
    "aud",
    "account_id",
    "api_domain",
    "base_domain",
    "scopes",
)


class InvalidToken(Exception):
    """Any reason a bearer token is not accepted; always answered with the same 401."""


@dataclass(frozen=True, slots=True)
class Claims:
    jti: str
    user_id: int
    account_id: int
    integration_id: str
    expires_at: int
    not_before: int
    scopes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    claims: Claims


def issue_token(
    key: SigningKey,
    *,
    account_id: int,
    user_id: int,
    integration_id: str,
    api_domain: str,
    base_domain: str,
    lifetime_seconds: int,
    scopes: tuple[str, ...] = DEFAULT_SCOPES,
    now: int | None = None,
    jti: str | None = None,
) -> IssuedToken:
    """A signed token; ``jti`` is fixed only by seed files, so a test suite can name it."""
    issued_at = int(time.time()) if now is None else now
    jti = str(uuid.uuid4()) if jti is None else jti
    payload: dict[str, Any] = {
        "aud": integration_id,
        "jti": jti,
        "iat": issued_at,
        "nbf": issued_at,
        "exp": issued_at + lifetime_seconds,
        "sub": str(user_id),
        "grant_type": "",
        "account_id": account_id,
        "base_domain": base_domain,
        "version": 2,
        "scopes": list(scopes),
        "hash_uuid": str(uuid.uuid4()),
        "api_domain": api_domain,
    }
    token = jwt.encode(payload, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})
    claims = Claims(
        jti=jti,
        user_id=user_id,
        account_id=account_id,
        integration_id=integration_id,
        expires_at=issued_at + lifetime_seconds,
        not_before=issued_at,
        scopes=tuple(scopes),
    )
    return IssuedToken(token, claims)


class TokenVerifier:
    """Checks signature and claims; caches the (expensive) signature check per token string."""

    def __init__(self, key: SigningKey, cache_size: int = 8192) -> None:
        self._public_key = key.public_key
        self._cache: OrderedDict[str, Claims] = OrderedDict()
        self._cache_size = cache_size

    def verify(self, token: str, now: float | None = None) -> Claims:
        claims = self._cache.get(token)
        if claims is None:
            claims = self._verify_signature(token)
            self._cache[token] = claims
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        current = time.time() if now is None else now
        if current >= claims.expires_at:
            raise InvalidToken("expired")
        if current < claims.not_before:
            raise InvalidToken("not yet valid")
        return claims

    def _verify_signature(self, token: str) -> Claims:
        try:
            payload = jwt.decode(
                token,
                self._public_key,
                algorithms=[ALGORITHM],
                options={
                    "require": list(REQUIRED_CLAIMS),
                    "verify_exp": False,  # checked per request, after the cache
                    "verify_nbf": False,
                    "verify_iat": False,
                    "verify_aud": False,  # any integration may hold a token
                },
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(_reason(exc)) from exc
        return _claims(payload)


def _reason(exc: jwt.PyJWTError) -> str:
    """Which check failed, in words fit for a log: never the token or a part of it."""
    if isinstance(exc, jwt.InvalidSignatureError):
        return "bad signature"
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return f"missing claim {exc.claim}"
    if isinstance(exc, jwt.InvalidAlgorithmError):
        return "algorithm not allowed"
    if isinstance(exc, jwt.DecodeError):
        return "malformed token"
    return f"invalid token ({type(exc).__name__})"


def _claims(payload: dict[str, Any]) -> Claims:
    try:
        user_id = int(payload["sub"])
        account_id = payload["account_id"]
        exp, nbf = payload["exp"], payload["nbf"]
        if not all(type(v) is int for v in (account_id, exp, nbf)):
            raise InvalidToken("malformed claims")
        scopes = payload["scopes"]
        if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
            raise InvalidToken("malformed scopes")
        if not isinstance(payload["jti"], str) or not isinstance(payload["aud"], str):
            raise InvalidToken("malformed claims")
    except (ValueError, TypeError) as exc:
        raise InvalidToken("malformed claims") from exc
    return Claims(
        jti=payload["jti"],
        user_id=user_id,
        account_id=account_id,
        integration_id=payload["aud"],
        expires_at=exp,
        not_before=nbf,
        scopes=tuple(scopes),
    )
