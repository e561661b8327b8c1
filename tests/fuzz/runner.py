"""Send one request in process and judge it: a response, no 5xx, and a refused request
leaves the fingerprinted data as it was."""

from __future__ import annotations

from dataclasses import dataclass

from tests.fuzz.asgi import InProcess
from tests.fuzz.world import Fingerprint, changed


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
