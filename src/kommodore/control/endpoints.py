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
from kommodore.control.gate import StateGate
from kommodore.control.service import MAX_DEMO_LEADS, BadName, Control
from kommodore.control.store import SnapshotIncompatible, SnapshotInfo, SnapshotMissing
from kommodore.control.token import matches
from kommodore.http.body import PUBLIC_BODY_BYTES, decode_json, read_body
from kommodore.http.problems import Problem, problem_response

PREFIX = "/_kommodore"
OFF = (
    "The control API is off: set KOMMODORE_CONTROL_API=true to switch it on "
    "(it is on by default with the embedded SQLite database)"
)


class Plane:
    """What the control endpoints share: the action runner and the token they check."""

    def __init__(self, control: Control, token: str, gate: StateGate) -> None:
        self.control = control
        self.token = token
        self.gate = gate


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
    state = await plane.control.reset(demo=body.to == "demo", seed=body.seed, leads=body.leads)
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


async def switched_off(request: Request) -> Response:
    return problem_response(404, OFF)


_ALL: list[str] = ["GET", "POST", "DELETE", "PATCH", "PUT"]

routes: list[BaseRoute] = [
    Route(f"{PREFIX}/reset", reset, methods=["POST"]),
    Route(f"{PREFIX}/snapshots", list_snapshots, methods=["GET"]),
    Route(f"{PREFIX}/snapshots", save_snapshot, methods=["POST"]),
    Route(f"{PREFIX}/snapshots/{{name}}/restore", restore_snapshot, methods=["POST"]),
    Route(f"{PREFIX}/snapshots/{{name}}", delete_snapshot, methods=["DELETE"]),
]
"""The control plane when it is on."""

off_routes: list[BaseRoute] = [
    Route(f"{PREFIX}/{{rest:path}}", switched_off, methods=_ALL),
]
"""When it is off: every path under the prefix refused, saying how to switch it on."""
