"""The HTML of the sign-in and consent pages: plain, accessible, no external assets.

Every value is escaped with ``html.escape``; each page gets its own CSP nonce for its inline
style (and the one inline script of the ``post_message`` result), and may not be framed.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from starlette.responses import HTMLResponse

from kommodore.web.session import CSRF_FIELD

SCOPE_LABELS = {
    "crm": "Account data: leads, contacts, companies and the rest of the CRM",
    "files": "Files",
    "files_delete": "Deleting files",
    "notifications": "The notifications centre",
    "push_notifications": "Push notifications",
}

_CSS = """
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
background:#f3f4f6;color:#1f2328}
main{box-sizing:border-box;max-width:30rem;margin:3rem auto;padding:2rem;background:#fff;
border:1px solid #d0d7de;border-radius:8px}
h1{font-size:1.4rem;line-height:1.3;margin:0 0 1rem}
label{display:block;font-weight:600;margin:1rem 0 .25rem}
input,select{box-sizing:border-box;width:100%;padding:.55rem;font:inherit;
border:1px solid #6e7781;border-radius:4px;background:#fff;color:inherit}
button{font:inherit;padding:.55rem 1.25rem;border-radius:4px;border:1px solid #0550ae;
cursor:pointer}
.primary{background:#0550ae;color:#fff}
.secondary{background:#fff;color:#0550ae}
.actions{display:flex;gap:.75rem;flex-wrap:wrap;margin-top:1.5rem}
.error{color:#a40e26;border-left:4px solid #a40e26;padding:.25rem .75rem;margin:0 0 1rem}
.note{color:#57606a;font-size:.9rem}
.signout{margin-top:2rem;padding-top:1rem;border-top:1px solid #d0d7de;font-size:.9rem}
.signout button{padding:.25rem .75rem}
:focus-visible{outline:3px solid #bf8700;outline-offset:2px}
"""


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


_ORIGIN = re.compile(
    r"https?://[a-z0-9.-]+(:[0-9]{1,5})?|https?://\[[0-9a-f:.]+\](:[0-9]{1,5})?", re.I
)
"""A CSP source may only be a plain origin: scheme, host of letters, digits, dots and hyphens
(or a bracketed IPv6 literal), port. Anything else, such as a redirect URI stored before they
were validated, is left out, so no stored value can end the directive or add one."""


def _response(
    title: str,
    body: str,
    *,
    status_code: int = 200,
    nonce: str | None = None,
    script: str = "",
    form_targets: Sequence[str] = (),
) -> HTMLResponse:
    nonce = nonce or secrets.token_urlsafe(16)
    html = (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)} · kommodore</title>\n"
        f'<style nonce="{nonce}">{_CSS}</style>\n</head>\n<body>\n<main>\n'
        f"{body}\n</main>\n{script}</body>\n</html>\n"
    )
    # Chromium applies form-action to the redirect a form submission answers with too, so the
    # consent page lists the integration's origin beside its own.
    form_action = " ".join(["'self'", *(t for t in form_targets if _ORIGIN.fullmatch(t))])
    csp = (
        f"default-src 'none'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; "
        f"form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"
    )
    return HTMLResponse(
        html,
        status_code=status_code,
        headers={
            "Content-Security-Policy": csp,
            "X-Frame-Options": "DENY",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",
        },
    )


def _hidden(name: str, value: str) -> str:
    return f'<input type="hidden" name="{_attr(name)}" value="{_attr(value)}">'


def error_page(status_code: int, title: str, message: str) -> HTMLResponse:
    body = f"<h1>{escape(title)}</h1>\n<p>{escape(message)}</p>"
    return _response(title, body, status_code=status_code)


def csrf_failed() -> HTMLResponse:
    return _response(
        "Request refused",
        "<h1>Request refused</h1>\n<p>This form has expired or did not come from this site. "
        'Go back, reload the page and try again, or <a href="/oauth/login">sign in</a>.</p>',
        status_code=403,
    )


def login_page(
    csrf: str, next_url: str, *, email: str = "", error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    alert = f'<p class="error" role="alert">{escape(error)}</p>\n' if error else ""
    body = (
        "<h1>Sign in to kommodore</h1>\n"
        f"{alert}"
        '<form method="post" action="/oauth/login">\n'
        f"{_hidden(CSRF_FIELD, csrf)}\n{_hidden('next', next_url)}\n"
        '<label for="email">Email</label>\n'
        '<input id="email" name="email" type="email" autocomplete="username" required '
        f'value="{_attr(email)}">\n'
        '<label for="password">Password</label>\n'
        '<input id="password" name="password" type="password" '
        'autocomplete="current-password" required>\n'
        '<div class="actions"><button type="submit" class="primary">Sign in</button></div>\n'
        "</form>"
    )
    return _response("Sign in", body, status_code=status_code)


def _signout(csrf: str, email: str, next_url: str) -> str:
    return (
        '<form class="signout" method="post" action="/oauth/logout">\n'
        f"{_hidden(CSRF_FIELD, csrf)}\n{_hidden('next', next_url)}\n"
        f"<p>Signed in as <strong>{escape(email)}</strong>. "
        '<button type="submit" class="secondary">Sign out</button></p>\n</form>'
    )


def signed_in_page(csrf: str, email: str) -> HTMLResponse:
    body = (
        "<h1>You are signed in</h1>\n"
        "<p>Integrations that ask for access to your accounts will bring you back here.</p>\n"
        + _signout(csrf, email, "")
    )
    return _response("Signed in", body)


@dataclass(frozen=True, slots=True)
class AccountChoice:
    account_id: int
    label: str


def consent_page(
    *,
    csrf: str,
    email: str,
    integration_name: str,
    scopes: Sequence[str],
    redirect_host: str,
    redirect_origin: str,
    accounts: Sequence[AccountChoice],
    client_id: str,
    state: str | None,
    mode: str,
    consent_url: str,
) -> HTMLResponse:
    name = escape(integration_name)
    items = "\n".join(f"<li>{escape(SCOPE_LABELS.get(s, s))}</li>" for s in scopes)
    options = "\n".join(
        f'<option value="{a.account_id}">{escape(a.label)}</option>' for a in accounts
    )
    hidden = [_hidden(CSRF_FIELD, csrf), _hidden("client_id", client_id), _hidden("mode", mode)]
    if state is not None:
        hidden.append(_hidden("state", state))
    body = (
        f"<h1>Allow {name} to use your account?</h1>\n"
        f"<p>The integration <strong>{name}</strong> asks for access to:</p>\n"
        f"<ul>\n{items or '<li>Nothing beyond signing you in</li>'}\n</ul>\n"
        '<form method="post" action="/oauth/decision">\n'
        + "\n".join(hidden)
        + '\n<label for="account">Account</label>\n'
        f'<select id="account" name="account_id" required>\n{options}\n</select>\n'
        '<p class="note">It will act in the chosen account with your rights there. '
        f"Your answer is sent to <strong>{escape(redirect_host)}</strong>.</p>\n"
        '<div class="actions">\n'
        '<button type="submit" name="decision" value="allow" class="primary">Allow</button>\n'
        '<button type="submit" name="decision" value="deny" class="secondary">Deny</button>\n'
        "</div>\n</form>\n" + _signout(csrf, email, consent_url)
    )
    targets = [redirect_origin] if redirect_origin else []
    return _response(f"Allow {integration_name}?", body, form_targets=targets)


def _script_json(value: object) -> str:
    """JSON that cannot end the ``<script>`` element it sits in."""
    text = json.dumps(value, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def post_message_page(
    *, allowed: bool, integration_name: str, message: dict[str, str], target_origin: str, url: str
) -> HTMLResponse:
    """The ``mode=post_message`` answer: hand the result to the window that opened this one,
    only if that window is on the integration's origin, then close."""
    nonce = secrets.token_urlsafe(16)
    title = "Access allowed" if allowed else "Access denied"
    body = (
        f"<h1>{title}</h1>\n"
        f"<p>The answer has been passed to {escape(integration_name)}. "
        "You can close this window.</p>\n"
        f'<p class="note">If nothing happens, <a href="{_attr(url)}">continue to '
        f"{escape(integration_name)}</a>.</p>"
    )
    data = _script_json({"message": message, "origin": target_origin})
    script = (
        f'<script type="application/json" id="kommodore-result">{data}</script>\n'
        f'<script nonce="{nonce}">\n'
        "(function () {\n"
        '  var data = JSON.parse(document.getElementById("kommodore-result").textContent);\n'
        "  if (window.opener) {\n"
        "    window.opener.postMessage(data.message, data.origin);\n"
        "    window.close();\n"
        "  }\n"
        "})();\n"
        "</script>\n"
    )
    return _response(title, body, nonce=nonce, script=script)
