"""``/_kommodore/console``: the console's pages, forms and the two JSON calls its script makes
(a card's move, the journal's new rows). Every POST carries the session's CSRF token."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any
from urllib.parse import urlencode

import msgspec
import structlog
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from kommodore import context
from kommodore.auth.service import Principal, Unauthorized, authenticate
from kommodore.console import board, session, store
from kommodore.console.pages import render
from kommodore.console.session import ConsoleSession
from kommodore.context import AppContext
from kommodore.control import wire
from kommodore.control.endpoints import Plane
from kommodore.control.faults import BadRule, Rule
from kommodore.control.service import BadName, DemoState
from kommodore.control.store import SnapshotIncompatible, SnapshotMissing
from kommodore.control.token import matches
from kommodore.http.body import PUBLIC_BODY_BYTES, decode_json, read_body, read_form
from kommodore.http.directory import routes_of
from kommodore.http.origin import client_address, request_origin
from kommodore.http.problems import Problem
from kommodore.http.validation import MAX_ID
from kommodore.integrations.service import TokenRefused, TokenRequest, issue_long_lived
from kommodore.web import service as web
from kommodore.web import throttle

BASE = "/_kommodore/console"
TOKEN_DAYS = 1
WRONG = "Wrong control token, or wrong e-mail or password of an admin"

log = structlog.get_logger("kommodore.console")


def _ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


def _plane(request: Request) -> Plane:
    plane: Plane = request.app.state.control
    return plane


def _redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})


async def _form(request: Request) -> FormData:
    """The request's form, read once (the CSRF check and the page both look at it)."""
    cached: FormData | None = getattr(request.state, "console_form", None)
    if cached is None:
        cached = await read_form(request, PUBLIC_BODY_BYTES)
        request.state.console_form = cached
    return cached


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _int(value: object) -> int | None:
    """A positive id from a form or query string; anything else is no id."""
    if not isinstance(value, str) or not value.isdigit() or len(value) > 19:
        return None
    number = int(value)
    return number if 1 <= number <= MAX_ID else None


# -- signing in ------------------------------------------------------------------------------


async def login_page(request: Request) -> Response:
    current = session.read(request) or session.anonymous()
    if current.signed_in:
        return _redirect(f"{BASE}/board")
    response = render(request, "login.html", current, title="Sign in")
    session.store(request, response, current)
    return response


async def login(request: Request) -> Response:
    """The control token, or an admin's e-mail and password (throttled as the OAuth sign-in)."""
    form = await _form(request)
    current = session.read(request)
    if current is None or not session.csrf_matches(current, form.get(session.CSRF_FIELD)):
        return _csrf_failed(request)
    ctx, plane = _ctx(request), _plane(request)
    token = _text(form, "control_token")
    if token:
        if matches(plane.token, f"Bearer {token}"):
            signed = ConsoleSession(session.anonymous().csrf, "control")
            return await _choose_first_account(request, signed)
        return _refused(request, current, WRONG, "")
    email = _text(form, "email")
    attempt = throttle.Attempt(
        email, throttle.address_key(client_address(request, ctx.settings.trust_forwarded_headers))
    )
    now = int(time.time())
    wait = await throttle.blocked_for(ctx.db, attempt, now)
    if wait:
        response = _refused(request, current, throttle.refusal(wait), email, 429)
        response.headers["Retry-After"] = str(wait)
        return response
    password = form.get("password")
    logins = await web.sign_in(ctx.db, email, password if isinstance(password, str) else "")
    async with ctx.db.connection() as conn:
        admin_of = [
            login.account_id
            for login in logins
            if (user := await store.user(conn, login.account_id, login.user_id)) and user.is_admin
        ]
    if not admin_of:
        await throttle.failed(ctx.db, attempt, now)
        return _refused(request, current, WRONG, email)
    await throttle.succeeded(ctx.db, attempt)
    signed = ConsoleSession(session.anonymous().csrf, "password", email)
    return await _enter(request, signed, admin_of[0])


def _refused(
    request: Request, current: ConsoleSession, error: str, email: str, status: int = 401
) -> Response:
    return render(
        request, "login.html", current, title="Sign in", error=error, email=email, status=status
    )


def _csrf_failed(request: Request) -> Response:
    """403, leaving the session as it was: a forged form can neither act nor sign anyone out."""
    current = session.read(request) or session.anonymous()
    return render(
        request, "message.html", current, title="Expired form", status=403,
        message="The form was out of date or not sent from the console. Go back and try again.",
    )  # fmt: skip


async def _choose_first_account(request: Request, signed: ConsoleSession) -> Response:
    async with _ctx(request).db.connection() as conn:
        accounts = await store.accounts(conn)
    if not accounts:
        response = _redirect(f"{BASE}/state")
        session.store(request, response, signed)
        return response
    return await _enter(request, signed, accounts[0].id)


async def _enter(request: Request, signed: ConsoleSession, account_id: int) -> Response:
    """Look at ``account_id``: a Kommo token of its admin (the signed-in one, or with the
    control token the first active admin) for the console's reads and moves."""
    ctx = _ctx(request)
    async with ctx.db.transaction() as conn:
        found = await store.account(conn, account_id)
        user_id = None
        if found is not None and signed.via == "password" and signed.email:
            user_id = await store.admin_by_email(conn, account_id, signed.email)
        elif found is not None:
            user_id = await store.first_admin(conn, account_id)
        if found is None or user_id is None:
            return _redirect(f"{BASE}/accounts")
        try:
            token = await issue_long_lived(
                conn, ctx.signing_key, ctx.settings,
                TokenRequest(found.subdomain, user_id=user_id, days=TOKEN_DAYS),
            )  # fmt: skip
        except TokenRefused:
            return _redirect(f"{BASE}/accounts")
    entered = ConsoleSession(signed.csrf, signed.via, signed.email, account_id, token)
    response = _redirect(f"{BASE}/board")
    session.store(request, response, entered)
    return response


async def logout(request: Request) -> Response:
    form = await _form(request)
    if not session.csrf_matches(session.read(request), form.get(session.CSRF_FIELD)):
        return _csrf_failed(request)
    response = _redirect(f"{BASE}/login")
    session.clear(request, response)
    return response


async def accounts_page(request: Request) -> Response:
    current = session.read(request)
    if current is None or not current.signed_in:
        return _redirect(f"{BASE}/login")
    async with _ctx(request).db.connection() as conn:
        found = await store.accounts(conn)
        if current.via == "password" and current.email:
            found = [a for a in found if await store.admin_by_email(conn, a.id, current.email)]
    return render(request, "accounts.html", current, title="Accounts", accounts=found)


async def _posted(request: Request) -> tuple[FormData, ConsoleSession] | Response:
    """A signed-in person's form with the session's CSRF token, or the answer refusing it."""
    form = await _form(request)
    current = session.read(request)
    if current is None or not session.csrf_matches(current, form.get(session.CSRF_FIELD)):
        return _csrf_failed(request)
    if not current.signed_in:
        return _redirect(f"{BASE}/login")
    return form, current


async def choose_account(request: Request) -> Response:
    posted = await _posted(request)
    if isinstance(posted, Response):
        return posted
    form, current = posted
    account_id = _int(form.get("account_id"))
    if account_id is None:
        return _redirect(f"{BASE}/accounts")
    return await _enter(request, current, account_id)


# -- the signed-in pages ---------------------------------------------------------------------


class _SignedOut(Exception):
    pass


async def _principal(request: Request, current: ConsoleSession) -> Principal:
    """The session's token through the API's own authentication; a token the state no longer
    holds (after a reset or a restore) sends the person back to choose an account."""
    if current.token is None:
        raise _SignedOut()
    ctx = _ctx(request)
    try:
        async with ctx.db.connection() as conn:
            return await authenticate(
                conn, ctx.verifier, authorization=f"Bearer {current.token}",
                host_subdomain=None, context_user_id=None,
            )  # fmt: skip
    except Unauthorized:
        raise _SignedOut() from None


Page = Callable[[Request, ConsoleSession, Principal], Awaitable[Response]]


def signed_in(page: Page) -> Callable[[Request], Awaitable[Response]]:
    """A page for a signed-in person with an account chosen; POSTs also check the CSRF token
    (a form field, or the ``X-CSRF-Token`` header of the script's calls)."""

    async def endpoint(request: Request) -> Response:
        current = session.read(request)
        if current is None or not current.signed_in:
            return _redirect(f"{BASE}/login")
        if request.method == "POST":
            submitted: object = request.headers.get(session.CSRF_HEADER)
            if submitted is None:
                submitted = (await _form(request)).get(session.CSRF_FIELD)
            if not session.csrf_matches(current, submitted):
                return _csrf_failed(request)
        context.enter(_ctx(request).settings)  # deep code (the webhook outbox) reads them
        try:
            principal = await _principal(request, current)
        except _SignedOut:
            if current.via == "control" and request.method == "GET":
                return await _choose_first_account(request, current)
            return _redirect(f"{BASE}/accounts")
        return await page(request, current, principal)

    endpoint.__name__ = page.__name__
    endpoint.__doc__ = page.__doc__
    return endpoint


def _filters(request: Request) -> board.Filters:
    params = request.query_params
    query = (params.get("query") or "").strip()[:200]
    return board.Filters(_int(params.get("user")), _int(params.get("tag")), query or None)


async def board_page(request: Request, current: ConsoleSession, principal: Principal) -> Response:
    """The pipeline board: a column per stage, its count and price sum, cards by last change."""
    filters = _filters(request)
    async with _ctx(request).db.connection() as conn:
        drawn = await board.board(
            conn, principal, _int(request.query_params.get("pipeline")), filters
        )
    return render(
        request, "board.html", current, title="Pipeline", principal=principal, board=drawn,
        filters=filters, notice=request.query_params.get("notice"),
        error=request.query_params.get("error"),
    )  # fmt: skip


async def cards_fragment(
    request: Request, current: ConsoleSession, principal: Principal
) -> Response:
    """More cards of one column (the board's "more" button), as HTML."""
    params = request.query_params
    pipeline_id, status_id = _int(params.get("pipeline")), _int(params.get("status"))
    offset = _int(params.get("offset")) or 0
    if pipeline_id is None or status_id is None or offset > 10_000_000:
        return Response("", status_code=400)
    async with _ctx(request).db.connection() as conn:
        found, more = await board.cards(
            conn, principal, pipeline_id, status_id, _filters(request), offset
        )
    return render(
        request, "cards.html", current, cards=found, more=more, next_offset=offset + len(found)
    )


async def move_lead(request: Request, current: ConsoleSession, principal: Principal) -> Response:
    """A card moved: JSON from the board's script, or the keyboard form (then back to the
    board, saying what happened)."""
    lead_id: int = request.path_params["lead_id"]
    is_json = request.headers.get("content-type", "").startswith("application/json")
    if is_json:
        raw = await read_body(request, PUBLIC_BODY_BYTES)
        try:
            data = decode_json(raw)
        except Problem:  # not JSON, or nested past the limit: no stage named
            data = {}
        data = data if isinstance(data, dict) else {}
        target = (_int(str(data.get("pipeline_id"))), _int(str(data.get("status_id"))))
    else:
        form = await _form(request)
        stage = _text(form, "stage").split(":")
        target = (_int(stage[0]), _int(stage[-1])) if len(stage) == 2 else (None, None)
    pipeline_id, status_id = target
    if pipeline_id is None or status_id is None or lead_id > MAX_ID:
        return _moved(is_json, lead_id, 400, "Choose a stage", [])
    try:
        async with _ctx(request).db.transaction() as conn:
            await board.move(conn, principal, lead_id, pipeline_id, status_id)
    except board.MoveRefused as refused:
        log.info("console move refused", lead_id=lead_id, detail=refused.detail,
                 errors=refused.errors)  # fmt: skip
        return _moved(is_json, lead_id, refused.status, refused.detail, refused.errors)
    return _moved(is_json, lead_id, 200, f"Lead {lead_id} moved", [])


def _moved(is_json: bool, lead_id: int, status: int, detail: str, errors: list[str]) -> Response:
    if is_json:
        body = {"ok": status == 200, "detail": detail, "errors": errors}
        return Response(
            msgspec.json.encode(body), status_code=status, media_type="application/json"
        )
    key = "notice" if status == 200 else "error"
    message = detail + (": " + "; ".join(errors) if errors else "")
    return _redirect(f"{BASE}/leads/{lead_id}?{urlencode({key: message})}")


async def lead_page(request: Request, current: ConsoleSession, principal: Principal) -> Response:
    """Every field of a lead, its links and events, and the API's exact answer for it."""
    lead_id: int = request.path_params["lead_id"]
    origin = request_origin(request, _ctx(request).settings.trust_forwarded_headers)
    async with _ctx(request).db.connection() as conn:
        found = (
            await board.lead_page(conn, principal, lead_id, origin) if lead_id <= MAX_ID else None
        )
    if found is None:
        return render(
            request, "message.html", current, title="No such lead", status=404,
            message=f"Lead {lead_id} does not exist here, is deleted, or is not yours to see.",
        )  # fmt: skip
    with_ = ",".join(sorted(board.LEAD_WITH))
    url = f"{origin}/api/v4/leads/{lead_id}?with={with_}"
    async with _ctx(request).db.connection() as conn:
        stages = await store.stages(conn, principal.account.id)
    return render(
        request, "lead.html", current, title=found.lead["name"] or f"Lead {lead_id}",
        page=found, url=url, token=current.token, stages=stages,
        notice=request.query_params.get("notice"), error=request.query_params.get("error"),
        pretty=msgspec.json.format(found.body, indent=2).decode(),
    )  # fmt: skip


# -- the journal -----------------------------------------------------------------------------


def _journal_filters(request: Request, current: ConsoleSession) -> dict[str, Any]:
    params = request.query_params
    status = _int(params.get("status"))
    return {
        "path_prefix": (params.get("path") or "").strip()[:500] or None,
        "status": status if status is not None and status < 1000 else None,
        "account_id": current.account_id if current.via == "password" else None,
    }


async def requests_page(
    request: Request, current: ConsoleSession, principal: Principal
) -> Response:
    """The request journal, newest last, growing as requests come (the script polls)."""
    found = _plane(request).journal.find(**_journal_filters(request, current), limit=200)
    return render(
        request, "requests.html", current, title="Requests", entries=found,
        path=request.query_params.get("path") or "",
        status_filter=request.query_params.get("status") or "",
        last_id=found[-1].id if found else 0,
    )  # fmt: skip


async def requests_json(
    request: Request, current: ConsoleSession, principal: Principal
) -> Response:
    after = _int(request.query_params.get("after")) or 0
    found = _plane(request).journal.find(
        **_journal_filters(request, current), after_id=after, limit=200
    )
    return Response(
        msgspec.json.encode(wire.Requests(requests=found)),
        media_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


# -- webhooks ----------------------------------------------------------------------------------


async def webhooks_page(
    request: Request, current: ConsoleSession, principal: Principal
) -> Response:
    account_id = principal.account.id
    async with _ctx(request).db.connection() as conn:
        subscriptions = await store.webhooks(conn, account_id)
    deliveries = await _plane(request).control.deliveries(account_id=account_id, limit=100)
    return render(
        request, "webhooks.html", current, title="Webhooks", subscriptions=subscriptions,
        deliveries=deliveries, notice=request.query_params.get("notice"),
    )  # fmt: skip


async def retry_delivery(
    request: Request, current: ConsoleSession, principal: Principal
) -> Response:
    delivery_id: int = request.path_params["delivery_id"]
    found = None
    if delivery_id <= MAX_ID:
        mine = await _plane(request).control.deliveries(
            account_id=principal.account.id, delivery_id=delivery_id, limit=1
        )
        found = await _plane(request).control.retry_delivery(delivery_id) if mine else None
    notice = f"Delivery {delivery_id} is due now" if found else f"No delivery {delivery_id}"
    return _redirect(f"{BASE}/webhooks?{urlencode({'notice': notice})}")


# -- faults and state --------------------------------------------------------------------------


async def state_page(request: Request) -> Response:
    """Fault rules, snapshots and reset: reachable before any account exists (after a reset to
    empty), so it checks the session itself."""
    current = session.read(request)
    if current is None or not current.signed_in:
        return _redirect(f"{BASE}/login")
    plane = _plane(request)
    return render(
        request, "state.html", current, title="Faults and state",
        faults=plane.faults.rules, snapshots=await plane.control.snapshots(),
        notice=request.query_params.get("notice"), error=request.query_params.get("error"),
    )  # fmt: skip


def _state_action(
    action: Callable[[Request, Plane, FormData], Awaitable[str]],
) -> Callable[[Request], Awaitable[Response]]:
    """A form of the state page: CSRF checked, the action run, back to the page saying what
    happened (or what was wrong)."""

    async def endpoint(request: Request) -> Response:
        posted = await _posted(request)
        if isinstance(posted, Response):
            return posted
        form = posted[0]
        try:
            notice = await action(request, _plane(request), form)
        except (BadRule, BadName, ValueError) as exc:
            return _redirect(f"{BASE}/state?{urlencode({'error': str(exc)})}")
        except SnapshotMissing as exc:
            return _redirect(f"{BASE}/state?{urlencode({'error': f'No snapshot {exc}'})}")
        except SnapshotIncompatible:
            message = "That snapshot was taken at another schema revision"
            return _redirect(f"{BASE}/state?{urlencode({'error': message})}")
        return _redirect(f"{BASE}/state?{urlencode({'notice': notice})}")

    endpoint.__name__ = action.__name__
    return endpoint


async def add_fault(request: Request, plane: Plane, form: FormData) -> str:
    """The form's fields as a rule of ``POST /_kommodore/faults``."""
    rule: dict[str, Any] = {"match": {"path": _text(form, "path") or "/api/v4/*"}}
    if method := _text(form, "method").upper():
        rule["match"]["method"] = method
    action = _text(form, "action")
    if action == "drop":
        rule["drop"] = True
    elif action == "delay":
        rule["delay_ms"] = _number(form, "delay_ms", "delay")
    else:
        rule["status"] = _number(form, "status", "status")
    if _text(form, "times"):
        rule["times"] = _number(form, "times", "times")
    try:
        active = plane.faults.add(msgspec.convert(rule, Rule))
    except msgspec.ValidationError as exc:
        raise ValueError(str(exc)) from None
    return f"Fault rule {active.id} added"


def _number(form: FormData, name: str, label: str) -> int:
    value = _text(form, name)
    if not value.isdigit() or len(value) > 9:
        raise ValueError(f"{label}: a whole number")
    return int(value)


async def delete_fault(request: Request, plane: Plane, form: FormData) -> str:
    rule_id = _int(_text(form, "rule_id"))
    if rule_id is None or not plane.faults.delete(rule_id):
        raise ValueError("No such fault rule")
    return f"Fault rule {rule_id} removed"


async def save_snapshot(request: Request, plane: Plane, form: FormData) -> str:
    name = _text(form, "name")
    await plane.control.save(name)
    return f"Saved snapshot {name}"


async def restore_snapshot(request: Request, plane: Plane, form: FormData) -> str:
    name = _text(form, "name")
    await plane.control.restore(name)
    return f"Restored snapshot {name}"


async def reset(request: Request, plane: Plane, form: FormData) -> str:
    demo = _text(form, "to") == "demo"
    state: DemoState | None = await plane.control.reset(demo=demo, seed=1, leads=2000)
    plane.faults.clear()
    return "Reset to the demo account" if state else "Reset to empty"


# -- assets --------------------------------------------------------------------------------------

_ASSETS = {"console.css": "text/css", "console.js": "text/javascript"}


async def asset(request: Request) -> Response:
    """The console's stylesheet and script, served from the package: nothing loads from
    elsewhere."""
    name: str = request.path_params["name"]
    media = _ASSETS.get(name)
    if media is None:
        return Response("", status_code=404)
    body = resources.files("kommodore.console").joinpath("static", name).read_bytes()
    return Response(body, media_type=media, headers={"Cache-Control": "no-cache"})


async def home(request: Request) -> Response:
    return _redirect(f"{BASE}/board")


routes = routes_of(
    (BASE, {"GET": home}),
    (f"{BASE}/login", {"GET": login_page, "POST": login}),
    (f"{BASE}/logout", {"POST": logout}),
    (f"{BASE}/accounts", {"GET": accounts_page, "POST": choose_account}),
    (f"{BASE}/board", {"GET": signed_in(board_page)}),
    (f"{BASE}/board/cards", {"GET": signed_in(cards_fragment)}),
    (f"{BASE}/leads/{{lead_id:int}}", {"GET": signed_in(lead_page)}),
    (f"{BASE}/leads/{{lead_id:int}}/move", {"POST": signed_in(move_lead)}),
    (f"{BASE}/requests", {"GET": signed_in(requests_page)}),
    (f"{BASE}/requests.json", {"GET": signed_in(requests_json)}),
    (f"{BASE}/webhooks", {"GET": signed_in(webhooks_page)}),
    (f"{BASE}/webhook-deliveries/{{delivery_id:int}}/retry", {"POST": signed_in(retry_delivery)}),
    (f"{BASE}/state", {"GET": state_page}),
    (f"{BASE}/faults", {"POST": _state_action(add_fault)}),
    (f"{BASE}/faults/delete", {"POST": _state_action(delete_fault)}),
    (f"{BASE}/snapshots", {"POST": _state_action(save_snapshot)}),
    (f"{BASE}/snapshots/restore", {"POST": _state_action(restore_snapshot)}),
    (f"{BASE}/reset", {"POST": _state_action(reset)}),
    (f"{BASE}/static/{{name}}", {"GET": asset}),
)
