"""The middleware that journals requests to Kommo's paths and applies fault rules to them.

It sits inside the state gate and outside the router: it sees the request as the client sent it
and the answer as the client gets it, the injected ones included, and it reads what the app
left in the request's state (who was asking, and why a request was refused).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kommodore.control.faults import ActiveRule, Faults, answer
from kommodore.control.journal import (
    Entry,
    Journal,
    Principal,
    journaled,
    redact_body,
    redact_query,
    secret_keys,
)
from kommodore.http.reasons import PRINCIPAL, REFUSAL, refusal_from_body


class ConnectionDropped(Exception):
    """Raised after an answer has begun, so the server closes the connection mid-answer: the
    client sees the connection lost, as on a network failure."""


def _claims_of(scope: Scope) -> tuple[int | None, str | None]:
    """The account and integration of the request's bearer token (signature checked, through
    the verifier's cache), for rules that match on them."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() != "bearer":
                return None, None
            try:
                claims = scope["app"].state.ctx.verifier.verify(token.strip())
            except Exception:  # any token the API would refuse matches no account
                return None, None
            return claims.account_id, claims.integration_id
    return None, None


def _principal(scope: Scope) -> Principal | None:
    state: dict[str, Any] = scope.get("state") or {}
    found = state.get(PRINCIPAL)
    if found is None:
        return None
    return Principal(
        account_id=found.account.id,
        user_id=found.actor.user_id,
        integration_id=found.claims.integration_id,
    )


def _describe(active: ActiveRule) -> str:
    rule = active.rule
    parts = [f"rule {active.id}"]
    if rule.delay_ms is not None:
        parts.append(f"delay {rule.delay_ms} ms")
    if rule.status is not None:
        parts.append(f"status {rule.status}")
    if rule.drop:
        parts.append("dropped connection")
    return ", ".join(parts)


class RecordingMiddleware:
    def __init__(
        self, app: ASGIApp, journal: Journal | None, faults: Faults, body_bytes: int
    ) -> None:
        self.app = app
        self.journal = journal
        self.faults = faults
        self.cap = body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"] if scope["type"] == "http" else ""
        if not journaled(path):
            await self.app(scope, receive, send)
            return
        if self.journal is None:  # switched off: faults only
            await self._faults_only(path, scope, receive, send)
            return
        began = time.perf_counter()
        at_ms = int(time.time() * 1000)
        method: str = scope["method"]
        cap = self.cap
        sent_in: list[bytes] = []
        sent_out: list[bytes] = []
        size_in = size_out = status = 0
        content_type = b""

        async def recording_receive() -> Message:
            nonlocal size_in
            message = await receive()
            if message["type"] == "http.request" and size_in < cap:
                chunk: bytes = message.get("body", b"")
                sent_in.append(chunk[: cap - size_in + 1])
                size_in += len(chunk)
            return message

        async def recording_send(message: Message) -> None:
            nonlocal size_out, status, content_type
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", ()):
                    if name == b"content-type":
                        content_type = value
            elif message["type"] == "http.response.body" and size_out < cap:
                chunk: bytes = message.get("body", b"")
                sent_out.append(chunk[: cap - size_out + 1])
                size_out += len(chunk)
            await send(message)

        rule = self._pick(method, path, scope)
        journal = self.journal
        try:
            if rule is None:
                await self.app(scope, recording_receive, recording_send)
            else:
                await self._inject(rule, scope, recording_receive, recording_send)
        finally:
            keys = secret_keys(path)
            query = bytes(scope.get("query_string", b"")).decode("latin-1")
            request_type = ""
            for name, value in scope["headers"]:
                if name == b"content-type":
                    request_type = value.decode("latin-1")
            response_body = redact_body(b"".join(sent_out), content_type.decode(), cap, keys)
            state: dict[str, Any] = scope.get("state") or {}
            reason = state.get(REFUSAL)
            if rule is not None:
                reason = f"injected by fault {_describe(rule)}"
            elif reason is None and status >= 400 and response_body:
                reason = refusal_from_body(response_body)
            journal.add(
                Entry(
                    id=journal.next_id(),
                    at_ms=at_ms,
                    method=method,
                    path=path,
                    query=redact_query(query, keys),
                    status=status,
                    latency_ms=round((time.perf_counter() - began) * 1000, 3),
                    principal=_principal(scope),
                    request_body=redact_body(b"".join(sent_in), request_type, cap, keys),
                    response_body=response_body,
                    reason=reason,
                    injected=None if rule is None else _describe(rule),
                )
            )

    def _pick(self, method: str, path: str, scope: Scope) -> ActiveRule | None:
        """The fault rule that takes this request, if any (none is the common case: no rules)."""
        if not self.faults.rules:
            return None
        account_id = integration_id = None
        if self.faults.needs_claims(method, path):
            account_id, integration_id = _claims_of(scope)
        return self.faults.pick(method, path, account_id, integration_id)

    async def _faults_only(self, path: str, scope: Scope, receive: Receive, send: Send) -> None:
        rule = self._pick(scope["method"], path, scope)
        if rule is None:
            await self.app(scope, receive, send)
        else:
            await self._inject(rule, scope, receive, send)

    async def _inject(self, active: ActiveRule, scope: Scope, receive: Receive, send: Send) -> None:
        rule = active.rule
        if rule.delay_ms:
            await asyncio.sleep(rule.delay_ms / 1000)
        if rule.drop:
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-length", b"1024")],
                }
            )
            raise ConnectionDropped(f"fault rule {active.id}: connection dropped")
        if rule.status is None:  # a delay only
            await self.app(scope, receive, send)
            return
        status, headers, body = answer(rule)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
