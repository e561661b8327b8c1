"""Send one request in process and judge it: a response, no 5xx, and a refused request
leaves the fingerprinted data as it was."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode

from tests.fuzz.asgi import Answer, InProcess
from tests.fuzz.world import PASSWORD, Fingerprint, World, changed

CSRF = re.compile(rb'name="csrf_token" value="([^"]+)"')


@dataclass
class Outcome:
    status: int | None
    problem: str | None
    """Why the answer is wrong, or None."""
    kind: str = ""
    """The class of the problem: the status, ``no response`` or ``wrote``."""


async def send(
    client: InProcess,
    prints: Fingerprint,
    before: dict[str, str],
    method: str,
    path: str,
    headers: list[tuple[str, str]],
    body: bytes,
) -> tuple[Outcome, dict[str, str]]:
    """The outcome, and the fingerprint to compare the next request with. Header values and
    the path are latin-1 views of the bytes sent."""
    answer = await client.request(
        method,
        path.encode("latin-1"),
        [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers],
        body,
    )
    after = prints.take()
    status = answer.status
    error = f" {type(answer.error).__name__}: {answer.error}"[:160] if answer.error else ""
    if status is None:
        return Outcome(None, f"no response{error}", "no response"), after
    if status >= 500:
        said = error.strip() or repr(answer.body[:120])
        return Outcome(status, f"{status} {said}", str(status)), after
    if status >= 400 and (tables := changed(before, after)):
        return Outcome(status, f"{status} but wrote to {', '.join(tables)}", "wrote"), after
    return Outcome(status, None), after


def _session(answer: Answer, cookie: str) -> tuple[str, str]:
    for name, value in answer.headers:
        if name.lower() == b"set-cookie":
            cookie = value.split(b";", 1)[0].decode("latin-1")
    found = CSRF.search(answer.body)
    return cookie, found.group(1).decode() if found else ""


async def open_sessions(client: InProcess, world: World) -> None:
    """A signed-out and a signed-in session of the consent pages, so their forms get past
    the CSRF check into the rules (one sign-in: argon2 is slow on purpose)."""
    page = await client.request("GET", b"/oauth/login", [], b"")
    anonymous = _session(page, "")
    world.sessions["anonymous"] = anonymous
    form = {"csrf_token": anonymous[1], "email": world.email, "password": PASSWORD}
    signed = await client.request(
        "POST",
        b"/oauth/login",
        [
            (b"cookie", anonymous[0].encode()),
            (b"content-type", b"application/x-www-form-urlencoded"),
        ],
        urlencode(form).encode(),
    )
    cookie, _ = _session(signed, anonymous[0])
    page = await client.request("GET", b"/oauth/login", [(b"cookie", cookie.encode())], b"")
    world.sessions["signed_in"] = _session(page, cookie)
