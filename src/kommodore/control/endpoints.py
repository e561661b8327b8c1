"""``/_kommodore/``: the control plane's HTTP face, JSON in and out, behind its own token.

Outside ``/api/v4`` so it can never collide with a Kommo path; refused wholesale (404, saying
how to switch it on) when ``KOMMODORE_CONTROL_API`` is off.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from kommodore.control import wire
from kommodore.control.faults import BadRule, Faults, Rule
from kommodore.control.gate import StateGate
from kommodore.control.journal import Journal
from kommodore.control.openapi import openapi_json
from kommodore.control.seed.export import AccountMissing
from kommodore.control.seed.load import TokenIssuer
from kommodore.control.seed.parse import MAX_SEED_BYTES, SeedError, parse
from kommodore.control.seed.render import render_yaml
from kommodore.control.service import MAX_DEMO_LEADS, MAX_SEED, BadName, Control
from kommodore.control.store import SnapshotIncompatible, SnapshotInfo, SnapshotMissing
from kommodore.control.token import matches
from kommodore.http.body import PUBLIC_BODY_BYTES, decode_json, read_body
from kommodore.http.directory import routes_of
from kommodore.http.problems import Problem, problem_response
from kommodore.http.validation import MAX_ID
from kommodore.integrations.service import TokenRefused, TokenRequest, issue_long_lived

PREFIX = "/_kommodore"
OFF = (
    "The control API is off: set KOMMODORE_CONTROL_API=true to switch it on "
    "(it is on by default with the embedded SQLite database)"
)


class Plane:
    """What the control endpoints share: the action runner, the token they check, and the
    journal and fault rules the recording middleware uses."""

    def __init__(
        self, control: Control, token: str, gate: StateGate, journal: Journal, faults: Faults
    ) -> None:
        self.control = control
        self.token = token
        self.gate = gate
        self.journal = journal
        self.faults = faults


T = TypeVar("T")


def _json(data: Any, status: int = 200) -> Response:
    return Response(msgspec.json.encode(data), status_code=status, media_type="application/json")


def _plane(request: Request) -> Plane:
    plane: Plane = request.app.state.control
    if not matches(plane.token, request.headers.get("authorization")):
        raise Problem(
            401,
            "The control API takes its own token (Authorization: Bearer <control token>), "
            "from KOMMODORE_CONTROL_TOKEN or the data dir's control-token file; "
            "a Kommo token is not accepted here",
        )
    return plane


async def _body(request: Request, shape: type[T]) -> T:
    raw = await read_body(request, PUBLIC_BODY_BYTES)
    data = decode_json(raw) if raw.strip() else {}
    try:
        return msgspec.convert(data, shape)
    except msgspec.ValidationError as exc:
        raise Problem(400, f"Invalid request body: {exc}") from None


def _snapshot(info: SnapshotInfo) -> wire.Snapshot:
    return wire.Snapshot(info.name, info.created_at, info.revision, info.size_bytes)


def _name(request: Request) -> str:
    name: str = request.path_params["name"]
    return name


async def reset(request: Request) -> Response:
    """``POST /_kommodore/reset``: to empty (default), or ``{"to": "demo", "seed", "leads"}``."""
    plane = _plane(request)
    body = await _body(request, wire.Reset)
    if not 1 <= body.leads <= MAX_DEMO_LEADS:
        raise Problem(400, f"leads: from 1 to {MAX_DEMO_LEADS}")
    if not 0 <= body.seed <= MAX_SEED:
        raise Problem(400, f"seed: from 0 to {MAX_SEED}")
    state = await plane.control.reset(demo=body.to == "demo", seed=body.seed, leads=body.leads)
    plane.faults.clear()
    if state is None:
        return _json(wire.ResetDone(to="empty"))
    account = wire.DemoAccount(id=state.account_id, subdomain=state.subdomain, leads=state.leads)
    return _json(wire.ResetDone(to="demo", account=account, users=state.users))


async def list_snapshots(request: Request) -> Response:
    plane = _plane(request)
    found = await plane.control.snapshots()
    return _json(wire.Snapshots(snapshots=[_snapshot(s) for s in found]))


async def save_snapshot(request: Request) -> Response:
    plane = _plane(request)
    body = await _body(request, wire.SaveSnapshot)
    info = await _named(plane.control.save(body.name))
    return _json(_snapshot(info), 201)


async def restore_snapshot(request: Request) -> Response:
    plane = _plane(request)
    name = _name(request)
    await _named(plane.control.restore(name))
    return _json(wire.Restored(restored=name))


async def delete_snapshot(request: Request) -> Response:
    plane = _plane(request)
    name = _name(request)
    if not await _named(plane.control.delete(name)):
        raise Problem(404, f"No snapshot named {name!r}")
    return Response(status_code=204)


async def _named(action: Awaitable[T]) -> T:
    """Run an action on a named snapshot; its foreseeable failures are the client's to fix."""
    try:
        return await action
    except BadName as exc:
        raise Problem(400, str(exc)) from None
    except SnapshotMissing as exc:
        raise Problem(404, f"No snapshot named {exc.args[0]!r}") from None
    except SnapshotIncompatible as exc:
        raise Problem(
            409, f"Snapshot {exc.args[0]!r} was taken at another schema revision; take it again"
        ) from None


def _int_param(request: Request, name: str) -> int | None:
    """A whole-number query parameter; past 64 bits it could name nothing the databases hold."""
    value = request.query_params.get(name)
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except ValueError:
        raise Problem(400, f"{name}: a whole number") from None
    if not 0 <= number <= MAX_ID:
        raise Problem(400, f"{name}: from 0 to {MAX_ID}")
    return number


async def list_requests(request: Request) -> Response:
    """``GET /_kommodore/requests``: the journal, oldest first; filters ``method``, ``path``
    (a prefix), ``status``, ``since`` (ms since the epoch), ``after`` (an entry id, to follow),
    ``account_id``, ``limit`` (default 100, at most 1,000)."""
    plane = _plane(request)
    params = request.query_params
    limit = _int_param(request, "limit")
    limit = 100 if limit is None else limit
    if not 1 <= limit <= 1000:
        raise Problem(400, "limit: from 1 to 1000")
    found = plane.journal.find(
        method=(params.get("method") or "").upper() or None,
        path_prefix=params.get("path") or None,
        status=_int_param(request, "status"),
        since_ms=_int_param(request, "since"),
        after_id=_int_param(request, "after"),
        account_id=_int_param(request, "account_id"),
        limit=limit,
    )
    return _json(wire.Requests(requests=found))


async def clear_requests(request: Request) -> Response:
    _plane(request).journal.clear()
    return Response(status_code=204)


async def list_faults(request: Request) -> Response:
    plane = _plane(request)
    return _json(wire.FaultList(faults=[wire.fault(r) for r in plane.faults.rules]))


async def add_fault(request: Request) -> Response:
    plane = _plane(request)
    rule = await _body(request, Rule)
    try:
        active = plane.faults.add(rule)
    except BadRule as exc:
        raise Problem(400, str(exc)) from None
    return _json(wire.fault(active), 201)


async def delete_fault(request: Request) -> Response:
    plane = _plane(request)
    rule_id: int = request.path_params["rule_id"]
    if not plane.faults.delete(rule_id):
        raise Problem(404, f"No fault rule {rule_id}")
    return Response(status_code=204)


async def clear_faults(request: Request) -> Response:
    _plane(request).faults.clear()
    return Response(status_code=204)


DELIVERY_STATUSES = ("pending", "delivered", "failed")


async def list_deliveries(request: Request) -> Response:
    """``GET /_kommodore/webhook-deliveries``: newest first; filters ``account_id``, ``status``
    (pending, delivered, failed), ``limit`` (default 100, at most 1,000)."""
    plane = _plane(request)
    status = request.query_params.get("status") or None
    if status is not None and status not in DELIVERY_STATUSES:
        raise Problem(400, "status: one of " + ", ".join(DELIVERY_STATUSES))
    limit = _int_param(request, "limit")
    limit = 100 if limit is None else limit
    if not 1 <= limit <= 1000:
        raise Problem(400, "limit: from 1 to 1000")
    found = await plane.control.deliveries(
        account_id=_int_param(request, "account_id"), status=status, limit=limit
    )
    return _json(wire.WebhookDeliveries(deliveries=found))


async def retry_delivery(request: Request) -> Response:
    """``POST /_kommodore/webhook-deliveries/{id}/retry``: due now, whatever became of it."""
    plane = _plane(request)
    delivery_id: int = request.path_params["delivery_id"]
    found = await plane.control.retry_delivery(delivery_id) if delivery_id <= MAX_ID else None
    if found is None:
        raise Problem(404, f"No webhook delivery {delivery_id}")
    return _json(found)


async def issue_token(request: Request) -> Response:
    """``POST /_kommodore/tokens``: a Kommo long-lived token of the account's built-in
    integration, for a test suite that has just reset the state."""
    _plane(request)  # the control token first
    body = await _body(request, wire.NewToken)
    if not 1 <= body.days <= 3650:
        raise Problem(400, "days: from 1 to 3650")
    if body.user_id is not None and not 1 <= body.user_id <= MAX_ID:
        raise Problem(400, f"user_id: from 1 to {MAX_ID}")
    ctx = request.app.state.ctx
    try:
        async with ctx.db.transaction() as conn:
            request_ = TokenRequest(body.subdomain, body.user_id, body.user_id is None, body.days)
            token = await issue_long_lived(conn, ctx.signing_key, ctx.settings, request_)
    except TokenRefused as exc:
        raise Problem(404, str(exc)) from None
    return _json(wire.IssuedToken(token=token), 201)


def _issuer(request: Request) -> TokenIssuer:
    ctx = request.app.state.ctx
    return TokenIssuer(ctx.signing_key, ctx.settings.resolved_api_domain, ctx.settings.base_domain)


def _is_yaml(request: Request) -> bool | None:
    """YAML by its media type, JSON by its own; otherwise the body's first character says."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media in ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"):
        return True
    return False if media == "application/json" else None


async def seed(request: Request) -> Response:
    """``POST /_kommodore/seed[?reset=true]``: a seed document (JSON or YAML), written all or
    nothing; refused with every problem and its path in the file."""
    plane = _plane(request)
    reset = request.query_params.get("reset", "false").lower() in ("1", "true", "yes")
    raw = await read_body(request, MAX_SEED_BYTES)
    is_yaml = _is_yaml(request)
    try:
        doc = parse(raw, as_json=None if is_yaml is None else not is_yaml)
        seeded = await plane.control.seed(doc, _issuer(request), reset=reset)
    except SeedError as exc:
        problems = [wire.SeedProblem(p.path, p.detail) for p in exc.problems]
        count = len(problems)
        raise Problem(
            400,
            f"The seed document has {count} problem{'s' if count > 1 else ''}; nothing was "
            f"written. First: {problems[0].path}: {problems[0].detail}",
            problems=msgspec.to_builtins(problems),
        ) from None
    if reset:
        plane.faults.clear()
    accounts = [wire.SeededAccount(a.id, a.subdomain, a.users, a.tokens) for a in seeded]
    return _json(wire.Seeded(accounts=accounts), 201)


async def export_account(request: Request) -> Response:
    """``GET /_kommodore/export?subdomain=...`` (or ``account_id``): the account as a seed
    document, JSON, or YAML with ``format=yaml``."""
    plane = _plane(request)
    subdomain = request.query_params.get("subdomain") or None
    account_id = _int_param(request, "account_id")
    if subdomain is None and account_id is None:
        raise Problem(400, "Name the account: subdomain or account_id")
    fmt = request.query_params.get("format", "json")
    if fmt not in ("json", "yaml"):
        raise Problem(400, "format: json or yaml")
    try:
        doc = await plane.control.export(subdomain=subdomain, account_id=account_id)
    except AccountMissing:
        raise Problem(404, "No such account") from None
    if fmt == "yaml":
        return Response(render_yaml(doc), media_type="application/yaml")
    return _json(doc)


async def switched_off(request: Request) -> Response:
    return problem_response(404, OFF)


_ALL: list[str] = ["GET", "POST", "DELETE", "PATCH", "PUT"]

routes: list[BaseRoute] = routes_of(
    (f"{PREFIX}/openapi.json", {"GET": openapi_json}),  # no token: it describes, holds no state
    (f"{PREFIX}/reset", {"POST": reset}),
    (f"{PREFIX}/snapshots", {"GET": list_snapshots, "POST": save_snapshot}),
    (f"{PREFIX}/snapshots/{{name}}/restore", {"POST": restore_snapshot}),
    (f"{PREFIX}/snapshots/{{name}}", {"DELETE": delete_snapshot}),
    (f"{PREFIX}/requests", {"GET": list_requests, "DELETE": clear_requests}),
    (f"{PREFIX}/faults", {"GET": list_faults, "POST": add_fault, "DELETE": clear_faults}),
    (f"{PREFIX}/faults/{{rule_id:int}}", {"DELETE": delete_fault}),
    (f"{PREFIX}/tokens", {"POST": issue_token}),
    (f"{PREFIX}/seed", {"POST": seed}),
    (f"{PREFIX}/export", {"GET": export_account}),
    (f"{PREFIX}/webhook-deliveries", {"GET": list_deliveries}),
    (f"{PREFIX}/webhook-deliveries/{{delivery_id:int}}/retry", {"POST": retry_delivery}),
)
"""The control plane when it is on."""

off_routes: list[BaseRoute] = [
    Route(f"{PREFIX}/{{rest:path}}", switched_off, methods=_ALL),
]
"""When it is off: every path under the prefix refused, saying how to switch it on."""
