"""Rules of signing in and of the consent page (Kommo's OAuth steps 1 and 2).

A person is an email address: signing in opens every account where an active user with that
email has the password given. The consent page lets them pick one of those accounts (only the
owner account for a private integration), then allow, which installs the integration there and
issues an authorization code, or deny.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlencode, urlsplit, urlunsplit

from starlette.concurrency import run_in_threadpool

from kommodore.db.database import Connection, Database
from kommodore.oauth import codes
from kommodore.web import passwords, store
from kommodore.web.session import Session, SessionLogin

MODES = ("popup", "post_message")
MAX_STATE_LENGTH = 2048
MAX_EMAIL_LENGTH = 255

Mode = Literal["popup", "post_message"]
Decision = Literal["allow", "deny"]


class PageError(Exception):
    """A request the page cannot serve: answered with an HTML error page, never a redirect."""

    def __init__(self, status_code: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.title = title
        self.message = message


class SignedOut(Exception):
    """The session no longer opens any account (password changed, user deactivated)."""


# -- signing in ------------------------------------------------------------------------------


async def sign_in(db: Database, email: str, password: str) -> list[SessionLogin]:
    """The user rows ``email``/``password`` open, one per account; empty when none.

    argon2 runs in a worker thread, outside any transaction; a hash made with older
    parameters is replaced by a fresh one.
    """
    email = email.strip()
    if not email or len(email) > MAX_EMAIL_LENGTH or len(password) > passwords.MAX_LENGTH:
        return []
    async with db.connection() as conn:
        logins = await store.logins_by_email(conn, email)
    if not logins:
        await run_in_threadpool(passwords.verify_password, passwords.dummy_hash(), password)
        return []
    opened: list[SessionLogin] = []
    seen: set[int] = set()
    stale: list[store.Login] = []
    for login in logins:
        if login.account_id in seen:
            continue  # one user per account: the oldest one with this email and password
        if await run_in_threadpool(passwords.verify_password, login.password_hash, password):
            seen.add(login.account_id)
            opened.append(SessionLogin(login.account_id, login.user_id, ""))
            if passwords.needs_rehash(login.password_hash):
                stale.append(login)
    hashes = {(s.account_id, s.user_id): s for s in logins}
    if stale:
        fresh = await run_in_threadpool(passwords.rehash, password)
        async with db.transaction() as conn:
            for login in stale:
                await store.replace_password_hash(
                    conn, login.account_id, login.user_id, login.password_hash, fresh
                )
        for login in stale:
            hashes[(login.account_id, login.user_id)] = store.Login(
                login.account_id, login.user_id, fresh, login.subdomain, login.account_name
            )
    return [
        SessionLogin(
            s.account_id,
            s.user_id,
            passwords.fingerprint(hashes[(s.account_id, s.user_id)].password_hash),
        )
        for s in opened
    ]


@dataclass(frozen=True, slots=True)
class PersonAccount:
    account_id: int
    user_id: int
    subdomain: str
    name: str


async def person_accounts(conn: Connection, session: Session) -> list[PersonAccount]:
    """The session's accounts that still hold: the user is active, has the same email and the
    same password as at sign-in. Raises :class:`SignedOut` when none does."""
    if not session.signed_in or session.email is None:
        raise SignedOut()
    wanted = {(s.account_id, s.user_id): s.fingerprint for s in session.logins}
    accounts = [
        PersonAccount(row.account_id, row.user_id, row.subdomain, row.account_name)
        for row in await store.logins_by_email(conn, session.email)
        if wanted.get((row.account_id, row.user_id)) == passwords.fingerprint(row.password_hash)
    ]
    if not accounts:
        raise SignedOut()
    return accounts


def safe_next(value: object) -> str:
    """A place to go after signing in: only this server's consent page, never another site."""
    if not isinstance(value, str) or len(value) > 4 * MAX_STATE_LENGTH:
        return ""
    if (value == "/oauth" or value.startswith("/oauth?")) and not any(
        c in value for c in "\\\r\n\t#"
    ):
        return value
    return ""


# -- the consent request -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConsentRequest:
    client_id: str
    state: str | None
    mode: Mode

    def url(self) -> str:
        """The consent page's own address, to come back to after signing in."""
        params = [("client_id", self.client_id)]
        if self.state is not None:
            params.append(("state", self.state))
        params.append(("mode", self.mode))
        return "/oauth?" + urlencode(params)


def parse_consent(params: Mapping[str, Any]) -> ConsentRequest:
    """``client_id`` (required), ``state`` (optional; empty counts as absent) and ``mode``
    (``popup`` when absent), from the query string or the decision form."""
    client_id = params.get("client_id")
    if not isinstance(client_id, str) or not client_id.strip():
        raise PageError(400, "Missing client_id", "The link you followed names no integration.")
    state = params.get("state")
    if state is not None and not isinstance(state, str):
        state = None
    if state is not None and len(state) > MAX_STATE_LENGTH:
        raise PageError(400, "Invalid request", "The state parameter is too long.")
    mode = params.get("mode") or "popup"
    if mode == "popup":
        return ConsentRequest(client_id.strip(), state or None, "popup")
    if mode == "post_message":
        return ConsentRequest(client_id.strip(), state or None, "post_message")
    raise PageError(400, "Invalid request", "The mode parameter must be popup or post_message.")


@dataclass(frozen=True, slots=True)
class Integration:
    id: str
    name: str
    redirect_uri: str
    redirect_origin: str
    redirect_host: str
    scopes: list[str]
    is_private: bool
    owner_account_id: int | None


def _unknown_integration() -> PageError:
    return PageError(
        400,
        "Unknown integration",
        "No active integration has this client_id. Ask its developer for a working link.",
    )


def _origin(uri: str) -> tuple[str, str] | None:
    """``(origin, host)`` of an absolute http(s) URL, None for anything else."""
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    default = 443 if parts.scheme == "https" else 80
    netloc = host if port in (None, default) else f"{host}:{port}"
    return f"{parts.scheme}://{netloc}", netloc


async def integration(conn: Connection, client_id: str) -> Integration:
    """The integration a consent request names; unknown, disabled or without a usable
    ``redirect_uri`` is a 400 page, never a redirect to an address nobody checked."""
    view = await codes.integration_for_consent(conn, client_id)
    if view is None or view.disabled:
        raise _unknown_integration()
    origin = _origin(view.redirect_uri)
    if origin is None:
        raise PageError(
            400,
            "Integration misconfigured",
            "This integration has no valid redirect address. Ask its developer to fix it.",
        )
    return Integration(
        id=view.id,
        name=view.name,
        redirect_uri=view.redirect_uri,
        redirect_origin=origin[0],
        redirect_host=origin[1],
        scopes=list(view.scopes),
        is_private=bool(view.is_private),
        owner_account_id=view.owner_account_id,
    )


def installable(integration: Integration, accounts: list[PersonAccount]) -> list[PersonAccount]:
    """The accounts the integration may be installed in: a private one only in its owner's."""
    if not integration.is_private:
        return accounts
    return [a for a in accounts if a.account_id == integration.owner_account_id]


@dataclass(frozen=True, slots=True)
class ConsentView:
    integration: Integration
    accounts: list[PersonAccount]


async def consent(
    conn: Connection,
    session: Session,
    request: ConsentRequest,
    found: Integration | None = None,
) -> ConsentView:
    """The integration and the person's accounts it may be installed in (403 page if none)."""
    found = found or await integration(conn, request.client_id)
    accounts = installable(found, await person_accounts(conn, session))
    if not accounts:
        raise PageError(
            403,
            "Not available for your accounts",
            f"{found.name} is a private integration of another account; "
            "it can only be installed in that account.",
        )
    return ConsentView(found, accounts)


# -- the decision ------------------------------------------------------------------------------


def with_query(uri: str, params: list[tuple[str, str]]) -> str:
    """``uri`` with ``params`` appended to its query string (kept if it has one)."""
    parts = urlsplit(uri)
    extra = urlencode(params)
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit(parts._replace(query=query))


@dataclass(frozen=True, slots=True)
class Outcome:
    allowed: bool
    integration: Integration
    url: str
    """Where the browser goes: the redirect_uri with the answer in its query."""
    message: dict[str, str]
    """The same answer for ``window.opener.postMessage`` in ``post_message`` mode."""


def _answer(integration: Integration, allowed: bool, params: list[tuple[str, str]]) -> Outcome:
    return Outcome(allowed, integration, with_query(integration.redirect_uri, params), dict(params))


async def deny(conn: Connection, session: Session, request: ConsentRequest) -> Outcome:
    """``?error=access_denied&state=…&client_id=…`` (Kommo's OAuth step 2); nothing is written."""
    found = await integration(conn, request.client_id)
    await person_accounts(conn, session)
    params = [("error", "access_denied")]
    if request.state is not None:
        params.append(("state", request.state))
    params.append(("client_id", found.id))
    return _answer(found, False, params)


def parse_account_id(value: object) -> int:
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    raise PageError(400, "Choose an account", "Pick the account to install the integration in.")


async def allow(
    conn: Connection,
    session: Session,
    request: ConsentRequest,
    account_id: int,
    *,
    base_domain: str,
    now: int,
) -> Outcome:
    """Install the integration in the chosen account and issue a code for the person's user
    there; ``conn`` is the write transaction, so the checks and the writes see one state."""
    view = await consent(conn, session, request)
    chosen = next((a for a in view.accounts if a.account_id == account_id), None)
    if chosen is None:
        raise PageError(
            403,
            "Account not available",
            "You cannot install this integration in the account you chose.",
        )
    found = view.integration
    try:
        await codes.install(
            conn,
            account_id=chosen.account_id,
            integration_id=found.id,
            user_id=chosen.user_id,
            now=now,
        )
    except codes.IntegrationUnavailable as exc:
        raise _unknown_integration() from exc
    code = await codes.issue_code(
        conn,
        account_id=chosen.account_id,
        user_id=chosen.user_id,
        integration_id=found.id,
        redirect_uri=found.redirect_uri,
        scopes=list(found.scopes),
        now=now,
    )
    params = [("code", code)]
    if request.state is not None:
        params.append(("state", request.state))
    params += [("referer", f"{chosen.subdomain}.{base_domain}"), ("client_id", found.id)]
    return _answer(found, True, params)
