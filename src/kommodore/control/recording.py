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
from kommodore.control.journal import Journal, Principal, Record, journaled
from kommodore.http.reasons import PRINCIPAL, REFUSAL


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


def _principal(state: dict[str, Any] | None) -> Principal | None:
    found = state.get(PRINCIPAL) if state else None
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


class _Recorder:
    """One request's receive and send, passed through and recorded: the status, the content
    type and the first ``cap`` + 1 bytes of each body, kept as they are (a one-chunk body, the
    usual case, is not even copied). Redaction waits until the journal is read."""

    __slots__ = ("_receive", "_send", "body_in", "body_out", "cap", "content_type", "status")

    def __init__(self, receive: Receive, send: Send, cap: int) -> None:
        self._receive = receive
        self._send = send
        self.cap = cap if cap > 0 else -1  # a cap of 0 keeps no body at all, not one byte
        self.body_in = self.body_out = self.content_type = b""
        self.status = 0

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request" and len(self.body_in) <= self.cap:
            self.body_in = (self.body_in + message.get("body", b""))[: self.cap + 1]
        return message

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.body":
            if len(self.body_out) <= self.cap:
                chunk: bytes = message.get("body", b"")
                self.body_out = (self.body_out + chunk if self.body_out else chunk)[: self.cap + 1]
        elif kind == "http.response.start":
            self.status = message["status"]
            for name, value in message.get("headers", ()):
                if name == b"content-type":
                    self.content_type = value
        await self._send(message)


class RecordingMiddleware:
    def __init__(
        self, app: ASGIApp, journal: Journal | None, faults: Faults, body_bytes: int
    ) -> None:
        self.app = app
        self.journal = journal
        self.faults = faults
        self.cap = body_bytes
        if journal is not None:
            journal.body_bytes = body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"] if scope["type"] == "http" else ""
        if not journaled(path):
            await self.app(scope, receive, send)
            return
        journal = self.journal
        if journal is None:  # switched off: faults only
            await self._faults_only(path, scope, receive, send)
            return
        began = time.perf_counter()
        at_ms = int(time.time() * 1000)
        method: str = scope["method"]
        recorder = _Recorder(receive, send, self.cap)
        rule = self._pick(method, path, scope) if self.faults.rules else None
        try:
            if rule is None:
                await self.app(scope, recorder.receive, recorder.send)
            else:
                await self._inject(rule, scope, recorder.receive, recorder.send)
        finally:
            request_type = b""
            if recorder.body_in:  # the request's type matters only to redact its body
                for name, value in scope["headers"]:
                    if name == b"content-type":
                        request_type = value
            state: dict[str, Any] | None = scope.get("state")
            reason = state.get(REFUSAL) if state else None
            injected = None
            if rule is not None:
                injected = _describe(rule)
                reason = f"injected by fault {injected}"
            journal.add(
                Record(
                    journal.next_id(),
                    at_ms,
                    method,
                    path,
                    scope.get("query_string", b""),
                    recorder.status,
                    time.perf_counter() - began,
                    _principal(state),
                    recorder.body_in,
                    request_type,
                    recorder.body_out,
                    recorder.content_type,
                    reason,
                    injected,
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
