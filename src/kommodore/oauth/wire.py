"""The OAuth answers as Kommo puts them on the wire (``application/json``), in Kommo's key
order: the structs are encoded as they are, so no endpoint lists their keys again."""

from __future__ import annotations

from typing import Literal

import msgspec


class TokenPair(msgspec.Struct, kw_only=True, frozen=True):
    """``POST /oauth2/access_token``."""

    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 (a type name, not a secret)
    expires_in: int
    server_time: int
    access_token: str
    refresh_token: str


class AccountDomain(msgspec.Struct, kw_only=True, frozen=True):
    """``GET /oauth2/account/current/subdomain``."""

    id: int
    subdomain: str
    domain: str
    top_level_domain: str
