"""The pages' security headers: no stored value can add or change a CSP directive."""

from __future__ import annotations

import pytest

from kommodore.web import pages

DIRECTIVES = [
    "default-src", "style-src", "script-src", "form-action", "frame-ancestors", "base-uri",
]  # fmt: skip


def _consent(redirect_origin: str) -> dict[str, list[str]]:
    response = pages.consent_page(
        csrf="c", email="e@example.com", integration_name="I", scopes=["crm"],
        redirect_host="h", redirect_origin=redirect_origin, accounts=[], client_id="id",
        state=None, mode="popup", consent_url="/oauth",
    )  # fmt: skip
    csp = response.headers["content-security-policy"]
    parsed = [d.split() for d in csp.split(";")]
    assert [d[0] for d in parsed] == DIRECTIVES, csp
    return {d[0]: d[1:] for d in parsed}


@pytest.mark.parametrize(
    "origin",
    ["https://integration.example", "http://127.0.0.1:8080", "https://a-b.example.com:8443"],
)
def test_form_action_lists_the_redirect_origin(origin: str):
    assert _consent(origin)["form-action"] == ["'self'", origin]


@pytest.mark.parametrize(
    "origin",
    [
        "http://evil.example;sandbox;script-src",
        "http://evil.example; script-src *",
        "http://evil.example,sandbox",
        "http://evil.example\r\nX-Injected: 1",
        "https://evil.example 'unsafe-inline'",
        "'unsafe-eval'",
        "*",
        "data:",
        "https://evil.example/path",
        "javascript:alert(1)",
    ],
)
def test_a_hostile_origin_adds_nothing(origin: str):
    directives = _consent(origin)
    assert directives["form-action"] == ["'self'"]
    assert directives["script-src"][0].startswith("'nonce-") and len(directives["script-src"]) == 1
