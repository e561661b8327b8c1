"""HTTP endpoints of this package; ``routes`` is mounted by ``kommodore.app``.

``GET /oauth`` is what ``www.kommo.com/oauth`` is on Kommo; the sign-in pages live under
``/oauth/`` beside it. Every POST needs the session's CSRF token (403 page otherwise); the
session cookie is SameSite=Lax on top of that.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

import structlog
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute

from kommodore.context import AppContext
from kommodore.http.body import PUBLIC_BODY_BYTES, read_form
from kommodore.http.directory import routes_of
from kommodore.http.origin import client_address
from kommodore.web import pages, service, session, throttle
from kommodore.web.service import PageError, SignedOut

WRONG_CREDENTIALS = "Wrong email or password"

log = structlog.get_logger("kommodore.web")


def _ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


def _redirect(url: str, status_code: int) -> Response:
    """A redirect of the browser flow, never cached: it may carry a code or a session."""
    return RedirectResponse(
        url,
        status_code=status_code,
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


def _login_url(next_url: str) -> str:
    return "/oauth/login" + (f"?{urlencode({'next': next_url})}" if next_url else "")


def _to_login(request: Request, next_url: str, status_code: int = 302) -> Response:
    """Send the browser to the sign-in page, dropping a session that no longer holds."""
    response = _redirect(_login_url(next_url), status_code)
    if request.cookies.get(session.COOKIE):
        session.clear(request, response)
    return response


def _page_error(exc: PageError) -> Response:
    return pages.error_page(exc.status_code, exc.title, exc.message)


async def _form(request: Request) -> FormData:
    """The sign-in pages' forms: a few short fields, bounded like every body read before login."""
    return await read_form(request, PUBLIC_BODY_BYTES)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


async def consent_page(request: Request) -> Response:
    """``GET /oauth?client_id&state&mode``: sign in first, then the integration's name, its
    scopes, a choice of account, Allow and Deny."""
    try:
        consent = service.parse_consent(request.query_params)
    except PageError as exc:
        return _page_error(exc)
    current = session.read(request)
    ctx = _ctx(request)
    try:
        async with ctx.db.connection() as conn:
            # A bad link is said at once, before anyone is asked to sign in.
            found = await service.integration(conn, consent.client_id)
            if current is None or not current.signed_in or current.email is None:
                return _to_login(request, consent.url())
            view = await service.consent(conn, current, consent, found)
    except PageError as exc:
        return _page_error(exc)
    except SignedOut:
        return _to_login(request, consent.url())
    domain = ctx.settings.base_domain
    return pages.consent_page(
        csrf=current.csrf,
        email=current.email,
        integration_name=view.integration.name,
        scopes=view.integration.scopes,
        redirect_host=view.integration.redirect_host,
        redirect_origin=view.integration.redirect_origin,
        accounts=[
            pages.AccountChoice(a.account_id, f"{a.name} ({a.subdomain}.{domain})")
            for a in view.accounts
        ],
        client_id=consent.client_id,
        state=consent.state,
        mode=consent.mode,
        consent_url=consent.url(),
    )


async def login_page(request: Request) -> Response:
    """``GET /oauth/login``: the form; a signed-in person goes straight on to ``next``."""
    next_url = service.safe_next(request.query_params.get("next"))
    current = session.read(request)
    if current is not None and current.signed_in and current.email is not None:
        if next_url:
            return _redirect(next_url, 302)
        return pages.signed_in_page(current.csrf, current.email)
    fresh = current is None
    current = current or session.anonymous()
    response = pages.login_page(current.csrf, next_url)
    if fresh:
        session.store(request, response, current)
    return response


async def login(request: Request) -> Response:
    """``POST /oauth/login``: email and password; a new session on success (303 to ``next``),
    the form again with a generic message otherwise, and a 429 while the e-mail or the client
    is throttled (web.throttle)."""
    form = await _form(request)
    current = session.read(request)
    if current is None or not session.csrf_matches(current, form.get(session.CSRF_FIELD)):
        return pages.csrf_failed()
    next_url = service.safe_next(form.get("next"))
    email = _text(form, "email").strip()
    ctx = _ctx(request)
    attempt = throttle.Attempt(
        email,
        throttle.address_key(client_address(request, ctx.settings.trust_forwarded_headers)),
    )
    now = int(time.time())
    wait = await throttle.blocked_for(ctx.db, attempt, now)
    if wait:
        log.info("sign-in throttled", retry_after=wait)
        response = pages.login_page(
            current.csrf, next_url, email=email, error=throttle.refusal(wait), status_code=429
        )
        response.headers["Retry-After"] = str(wait)
        return response
    logins = await service.sign_in(ctx.db, email, _text(form, "password"))
    if not logins:
        await throttle.failed(ctx.db, attempt, now)
        return pages.login_page(current.csrf, next_url, email=email, error=WRONG_CREDENTIALS)
    await throttle.succeeded(ctx.db, attempt)
    signed_in = _redirect(next_url or "/oauth/login", 303)
    session.store(request, signed_in, session.signed_in(email, logins))
    return signed_in


async def logout(request: Request) -> Response:
    """``POST /oauth/logout``: drop the session cookie, back to the sign-in page."""
    form = await _form(request)
    current = session.read(request)
    if not session.csrf_matches(current, form.get(session.CSRF_FIELD)):
        return pages.csrf_failed()
    response = _redirect(_login_url(service.safe_next(form.get("next"))), 303)
    session.clear(request, response)
    return response


async def decision(request: Request) -> Response:
    """``POST /oauth/decision``: allow (install, issue a code) or deny; then 302 to the
    integration's redirect_uri, or in ``post_message`` mode a page that posts the answer to
    the window that opened it."""
    form = await _form(request)
    current = session.read(request)
    if current is None or not session.csrf_matches(current, form.get(session.CSRF_FIELD)):
        return pages.csrf_failed()
    ctx = _ctx(request)
    try:
        consent = service.parse_consent(form)
        if not current.signed_in:
            return _to_login(request, consent.url(), status_code=303)
        choice = form.get("decision")
        if choice == "deny":
            async with ctx.db.connection() as conn:
                outcome = await service.deny(conn, current, consent)
        elif choice == "allow":
            account_id = service.parse_account_id(form.get("account_id"))
            async with ctx.db.transaction() as conn:
                outcome = await service.allow(
                    conn,
                    current,
                    consent,
                    account_id,
                    base_domain=ctx.settings.base_domain,
                    now=int(time.time()),
                )
        else:
            raise PageError(400, "Invalid request", "Choose Allow or Deny.")
    except PageError as exc:
        return _page_error(exc)
    except SignedOut:
        return _to_login(request, consent.url(), status_code=303)
    if consent.mode == "post_message":
        return pages.post_message_page(
            allowed=outcome.allowed,
            integration_name=outcome.integration.name,
            message=outcome.message,
            target_origin=outcome.integration.redirect_origin,
            url=outcome.url,
        )
    return _redirect(outcome.url, 302)


routes: list[BaseRoute] = routes_of(
    ("/oauth", {"GET": consent_page}),
    ("/oauth/login", {"GET": login_page, "POST": login}),
    ("/oauth/logout", {"POST": logout}),
    ("/oauth/decision", {"POST": decision}),
)
