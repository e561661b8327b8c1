"""Rendering the console's pages: Jinja2 templates from the package, every value escaped
(autoescape), one stylesheet and one script from ``/_kommodore/console/static``; the Content
Security Policy allows nothing else, so no page can load from the internet or run inline code."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from kommodore.console.session import CSRF_FIELD, ConsoleSession

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)

NAV = (
    ("board", "Pipeline"),
    ("requests", "Requests"),
    ("webhooks", "Webhooks"),
    ("state", "Faults and state"),
)


def _when(seconds: int | float | None) -> str:
    if seconds is None:
        return ""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _money(value: int | float) -> str:
    return f"{value:,.0f}".replace(",", "\u202f")


_env = Environment(
    loader=PackageLoader("kommodore.console", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["when"] = _when
_env.filters["when_ms"] = lambda ms: _when(ms / 1000 if ms else None)
_env.filters["money"] = _money
_env.globals["nav"] = NAV
_env.globals["csrf_field"] = CSRF_FIELD


def render(
    request: Request, template: str, current: ConsoleSession, *, status: int = 200, **context: Any
) -> HTMLResponse:
    html = _env.get_template(template).render(
        session=current, here=request.url.path, base="/_kommodore/console", **context
    )
    return HTMLResponse(
        html,
        status_code=status,
        headers={
            "Content-Security-Policy": CSP,
            "X-Frame-Options": "DENY",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
