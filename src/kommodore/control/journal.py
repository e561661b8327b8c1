"""The request journal: the last requests to Kommo's paths, per account, with the reason for
every refusal, so a developer can see why a 401, 403 or 429 happened without the wire saying
more than Kommo's does.

Kept in the process's memory, bounded per account: recording costs an append, never a write to
the database, and a restore cannot roll it back. A request is recorded as it came (its bodies as
raw bytes, cut to the cap) and redacted when the journal is read: the one way out of the journal
is :meth:`Journal.find`, which answers redacted :class:`Entry` values only, so no token or secret
ever leaves the process. Headers are not recorded at all.
"""

from __future__ import annotations

import itertools
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode

import msgspec

from kommodore.http.reasons import refusal_from_body

REDACTED = "[redacted]"
SECRET_KEYS = frozenset(
    {
        "access_token",
        "refresh_token",
        "client_secret",
        "password",
        "token",
        "secret",
        "authorization",
        "csrf",
        "csrf_token",
        "id_token",
        "jwt",
    }
)
"""Keys whose values are secrets wherever they appear: JSON objects, forms, query strings."""
OAUTH_SECRET_KEYS = SECRET_KEYS | {"code"}
"""On the OAuth paths an authorization ``code`` is a secret too (elsewhere ``code`` is a custom
field's or an enum's, which a developer wants to see)."""


@lru_cache(maxsize=4)
def _hints(keys: frozenset[str]) -> tuple[bytes, ...]:
    """What a body that may hold a secret contains (lower-cased): a key, or a JWT's start. A
    key that contains another (``access_token``, ``token``) is covered by the shorter one. Most
    answers (a lead, a page of leads) hold none and are stored as they are, unparsed."""
    words = sorted(keys, key=len)
    kept = [w for i, w in enumerate(words) if not any(o in w for o in words[:i])]
    return (*(w.encode() for w in kept), b"eyj")


_JWT = re.compile(r"eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*")
JOURNALED = ("/api/v4", "/oauth2", "/oauth")


def journaled(path: str) -> bool:
    return path.startswith(JOURNALED)


class Principal(msgspec.Struct, gc=False):
    account_id: int
    user_id: int
    integration_id: str


class Entry(msgspec.Struct, kw_only=True, gc=False):
    """One journaled request, as ``GET /_kommodore/requests`` answers it. Untracked by the
    cycle collector (it holds no cycles): ten thousand of them per account would otherwise
    make every full collection, and so every request now and then, slower."""

    id: int
    at_ms: int
    method: str
    path: str
    query: str
    status: int
    latency_ms: float
    principal: Principal | None
    request_body: str | None
    response_body: str | None
    reason: str | None
    injected: str | None = None
    """The fault rule that answered instead of the API (its id and action), if any."""


class Record(msgspec.Struct, array_like=True, gc=False):
    """A request as recorded: raw and cheap to make (the hot path), redacted into an
    :class:`Entry` only when read. Bodies are at most the cap plus one byte (the extra byte says
    it was cut). Holds secrets: never answered, logged or encoded as it is."""

    id: int
    at_ms: int
    method: str
    path: str
    query: bytes
    status: int
    seconds: float
    principal: Principal | None
    request_body: bytes
    request_type: bytes
    response_body: bytes
    response_type: bytes
    reason: str | None
    injected: str | None

    def entry(self, cap: int) -> Entry:
        """The record as the journal answers it: query and bodies redacted, and a refusal's
        words taken from its (redacted) answer when the code gave none."""
        keys = secret_keys(self.path)
        request_type = self.request_type.decode("latin-1")
        response_type = self.response_type.decode("latin-1")
        response_body = redact_body(self.response_body, response_type, cap, keys)
        reason = self.reason
        if reason is None and self.status >= 400 and response_body:
            reason = refusal_from_body(response_body)
        return Entry(
            id=self.id,
            at_ms=self.at_ms,
            method=self.method,
            path=self.path,
            query=redact_query(self.query.decode("latin-1"), keys),
            status=self.status,
            latency_ms=round(self.seconds * 1000, 3),
            principal=self.principal,
            request_body=redact_body(self.request_body, request_type, cap, keys),
            response_body=response_body,
            reason=reason,
            injected=self.injected,
        )


def secret_keys(path: str) -> frozenset[str]:
    return OAUTH_SECRET_KEYS if path.startswith(("/oauth", "/oauth2")) else SECRET_KEYS


def _redact_value(value: Any, keys: frozenset[str]) -> Any:
    if isinstance(value, dict):
        return {
            k: REDACTED if str(k).lower() in keys else _redact_value(v, keys)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_redact_value(v, keys) for v in value]
    if isinstance(value, str):
        return _JWT.sub(REDACTED, value)
    return value


def redact_body(
    raw: bytes, content_type: str, cap: int, keys: frozenset[str] = SECRET_KEYS
) -> str | None:
    """A body as text with every secret replaced, cut to ``cap`` bytes. A body that cannot be
    parsed is kept only when it holds nothing that looks like a secret."""
    if not raw:
        return None
    lowered = raw.lower()
    if any(hint in lowered for hint in _hints(keys)):
        if "form-urlencoded" in content_type or (b"=" in raw and b"{" not in raw[:1]):
            try:
                pairs = parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)
            except ValueError:
                return REDACTED
            cleaned = [(k, REDACTED if k.lower() in keys else _JWT.sub(REDACTED, v))
                       for k, v in pairs]  # fmt: skip
            raw = urlencode(cleaned).encode()
        else:
            try:
                raw = msgspec.json.encode(_redact_value(msgspec.json.decode(raw), keys))
            except (msgspec.DecodeError, RecursionError, UnicodeDecodeError):
                text = _JWT.sub(REDACTED, raw.decode("utf-8", "replace"))
                if any(k in text.lower() for k in keys):
                    return REDACTED
                raw = text.encode()
    text = raw[:cap].decode("utf-8", "replace")
    return text + "…" if len(raw) > cap else text


def redact_query(query: str, keys: frozenset[str] = SECRET_KEYS) -> str:
    if not query:
        return ""
    lowered = query.lower().encode()
    if not any(hint in lowered for hint in _hints(keys)):
        return query  # the usual query (``with=contacts``, a page): nothing to parse
    pairs = parse_qsl(query, keep_blank_values=True)
    if not any(k.lower() in keys or "eyJ" in v for k, v in pairs):
        return query
    return urlencode(
        [(k, REDACTED if k.lower() in keys else _JWT.sub(REDACTED, v)) for k, v in pairs]
    )


@dataclass
class Journal:
    """The last ``per_account`` entries of every account (and of requests no account could be
    told for: a bad token, the OAuth pages)."""

    per_account: int = 10_000
    body_bytes: int = 16_384
    """The cap the recorder cut bodies to; a redacted body is cut to it again."""
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _by_account: dict[int | None, deque[Record]] = field(default_factory=dict)

    def next_id(self) -> int:
        return next(self._ids)

    def add(self, record: Record) -> None:
        principal = record.principal
        key = principal.account_id if principal is not None else None
        kept = self._by_account.get(key)
        if kept is None:
            kept = self._by_account[key] = deque(maxlen=self.per_account)
        kept.append(record)

    def clear(self) -> None:
        self._by_account.clear()

    def find(
        self,
        *,
        method: str | None = None,
        path_prefix: str | None = None,
        status: int | None = None,
        since_ms: int | None = None,
        after_id: int | None = None,
        account_id: int | None = None,
        limit: int = 100,
    ) -> list[Entry]:
        """Matching entries, oldest first, at most ``limit`` of the newest ones (``after_id``
        pages forward, for following)."""
        buckets = (
            [self._by_account.get(account_id, deque())]
            if account_id is not None
            else list(self._by_account.values())
        )
        found = [
            e
            for bucket in buckets
            for e in bucket
            if (method is None or e.method == method)
            and (path_prefix is None or e.path.startswith(path_prefix))
            and (status is None or e.status == status)
            and (since_ms is None or e.at_ms >= since_ms)
            and (after_id is None or e.id > after_id)
        ]
        found.sort(key=lambda e: e.id)
        kept = found[:limit] if after_id is not None else found[-limit:]
        return [record.entry(self.body_bytes) for record in kept]
