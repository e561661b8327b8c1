"""Signing in: the form, the session cookie, CSRF, expiry and forgery (GET/POST /oauth/login)."""

from __future__ import annotations

import time
from urllib.parse import quote

import pytest
from argon2 import PasswordHasher
from itsdangerous import TimestampSigner
from starlette.testclient import TestClient

from kommodore.web import session
from kommodore.web.passwords import hash_password
from tests.factories import Factory
from tests.web.conftest import PASSWORD, csrf_of, integration, person, rows, sign_in


def _cookie_attributes(set_cookie: str) -> dict[str, str]:
    parts = [p.strip() for p in set_cookie.split(";")]
    return {p.split("=", 1)[0].lower(): (p.split("=", 1)[1] if "=" in p else "") for p in parts[1:]}


def test_login_page_is_a_plain_accessible_form_with_an_anonymous_session(browser: TestClient):
    response = browser.get("/oauth/login")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    html = response.text
    assert html.startswith('<!doctype html>\n<html lang="en">')
    for part in ('<main>', '<form method="post" action="/oauth/login">',
                 '<label for="email">Email</label>', '<input id="email" name="email" type="email"',
                 '<label for="password">Password</label>',
                 '<input id="password" name="password" type="password"',
                 '<button type="submit" class="primary">Sign in</button>'):  # fmt: skip
        assert part in html
    assert "<script" not in html and "http://" not in html and "https://" not in html
    csp = response.headers["content-security-policy"]
    assert csp.startswith("default-src 'none'; style-src 'nonce-")
    assert "frame-ancestors 'none'" in csp and "form-action 'self'" in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{session.COOKIE}=")
    attributes = _cookie_attributes(cookie)
    assert attributes["max-age"] == "28800"
    assert attributes["path"] == "/"
    assert attributes["samesite"] == "lax"
    assert "httponly" in attributes and "secure" not in attributes
    # the cookie keeps its token: a second visit neither replaces it nor changes the form
    again = browser.get("/oauth/login")
    assert "set-cookie" not in again.headers
    assert csrf_of(again) == csrf_of(response)


def test_cookie_is_secure_over_https(browser: TestClient):
    response = browser.get("https://testserver/oauth/login")
    assert "secure" in _cookie_attributes(response.headers["set-cookie"])


def test_sign_in_opens_a_new_session_and_goes_to_next(browser: TestClient, factory: Factory):
    who = person(factory)
    client_id = integration(factory)
    next_url = f"/oauth?client_id={client_id}&state=abc&mode=popup"
    before = browser.get("/oauth/login")
    response = sign_in(browser, who.email.upper(), next_url=next_url)
    assert response.status_code == 303
    assert response.headers["location"] == next_url
    assert response.headers["set-cookie"].startswith(f"{session.COOKIE}=")
    page = browser.get(next_url)
    assert page.status_code == 200
    assert csrf_of(page) != csrf_of(before)  # a new token after signing in
    assert f"Signed in as <strong>{who.email.upper()}</strong>" in page.text


def test_sign_in_without_next_shows_the_signed_in_page(browser: TestClient, factory: Factory):
    who = person(factory)
    response = sign_in(browser, who.email)
    assert (response.status_code, response.headers["location"]) == (303, "/oauth/login")
    page = browser.get("/oauth/login")
    assert page.status_code == 200
    assert "<h1>You are signed in</h1>" in page.text
    assert f"Signed in as <strong>{who.email}</strong>" in page.text


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "//evil.example/oauth",
        "/oauthx",
        "/api/v4/leads",
        "/oauth?x=1#frag",
    ],
)
def test_next_never_leaves_the_consent_page(browser: TestClient, factory: Factory, next_url: str):
    who = person(factory)
    response = sign_in(browser, who.email, next_url=next_url)
    assert (response.status_code, response.headers["location"]) == (303, "/oauth/login")


def test_wrong_password_unknown_email_inactive_or_no_password_look_the_same(
    browser: TestClient, factory: Factory
):
    good = person(factory)
    inactive = person(factory, active=False)
    no_password = person(factory, password=None)
    cases = [(good.email, "wrong password!"), ("nobody-here@example.com", PASSWORD),
             (inactive.email, PASSWORD), (no_password.email, PASSWORD), ("", ""),
             (good.email, "x" * 2000)]  # fmt: skip
    for email, password in cases:
        response = sign_in(browser, email, password)
        assert response.status_code == 200, email
        assert '<p class="error" role="alert">Wrong email or password</p>' in response.text
        assert "set-cookie" not in response.headers
        assert f'value="{email}"' in response.text  # the email is kept, never the password
        assert browser.get("/oauth/login").text.count("You are signed in") == 0


def test_email_is_escaped_when_the_form_comes_back(browser: TestClient):
    page = browser.get("/oauth/login")
    response = browser.post(
        "/oauth/login",
        data={"csrf_token": csrf_of(page), "email": '"><script>alert(1)</script>',
              "password": "whatever1"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "<script>" not in response.text
    assert 'value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in response.text


@pytest.mark.parametrize("path", ["/oauth/login", "/oauth/logout", "/oauth/decision"])
def test_posts_without_the_csrf_token_are_refused(browser: TestClient, factory: Factory, path: str):
    who = person(factory)
    client_id = integration(factory)
    form = {"email": who.email, "password": PASSWORD, "client_id": client_id,
            "decision": "allow", "account_id": str(who.account.id)}  # fmt: skip
    # no cookie at all
    assert browser.post(path, data=form).status_code == 403
    sign_in(browser, who.email)
    token = csrf_of(browser.get("/oauth/login"))
    for bad in ({}, {"csrf_token": ""}, {"csrf_token": token[:-2] + "xx"},
                {"csrf_token": "forged"}):  # fmt: skip
        response = browser.post(path, data={**form, **bad}, follow_redirects=False)
        assert response.status_code == 403
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert "<h1>Request refused</h1>" in response.text
        assert "set-cookie" not in response.headers
    # the token sent as JSON or in a query string does not count either
    assert browser.post(path, json={**form, "csrf_token": token}).status_code == 403
    assert browser.post(f"{path}?csrf_token={token}", data=form).status_code == 403
    # still signed in, nothing was installed
    assert "You are signed in" in browser.get("/oauth/login").text


def test_a_token_of_another_session_does_not_count(browser: TestClient, factory: Factory):
    first = browser.get("/oauth/login")
    browser.cookies.clear()
    browser.get("/oauth/login")
    who = person(factory)
    response = browser.post(
        "/oauth/login",
        data={"csrf_token": csrf_of(first), "email": who.email, "password": PASSWORD},
    )
    assert response.status_code == 403


def test_forged_or_tampered_session_cookie_is_no_session(browser: TestClient, factory: Factory):
    who = person(factory)
    client_id = integration(factory)
    sign_in(browser, who.email)
    real = browser.cookies[session.COOKIE]
    consent = f"/oauth?client_id={client_id}"
    assert browser.get(consent, follow_redirects=False).status_code == 200
    payload = real.rpartition(".")[0]
    forged_values = [real[:-3] + ("AAA" if not real.endswith("AAA") else "BBB"),
                     "garbage", payload + ".", real + "x"]  # fmt: skip
    for forged in forged_values:
        browser.cookies.clear()
        browser.cookies.set(session.COOKIE, forged)
        response = browser.get(consent, follow_redirects=False)
        assert response.status_code == 302, forged
        assert response.headers["location"] == "/oauth/login?next=" + quote(
            f"/oauth?client_id={client_id}&mode=popup", safe=""
        )
        assert response.headers["set-cookie"].startswith(f'{session.COOKIE}=""')  # dropped
    # signed with another key: same answer
    from itsdangerous import URLSafeTimedSerializer

    other = URLSafeTimedSerializer(b"another secret", salt="kommodore.web.session").dumps(
        {"c": "x", "e": who.email, "l": [[who.account.id, who.user_id, "0" * 16]]}
    )
    browser.cookies.clear()
    browser.cookies.set(session.COOKIE, other)
    assert browser.get(consent, follow_redirects=False).status_code == 302


def test_session_ends_after_eight_hours(
    browser: TestClient, factory: Factory, monkeypatch: pytest.MonkeyPatch
):
    who = person(factory)
    client_id = integration(factory)
    sign_in(browser, who.email)
    consent = f"/oauth?client_id={client_id}"
    token = csrf_of(browser.get(consent))
    now = int(time.time())
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: now + 8 * 3600 - 60)
    assert browser.get(consent, follow_redirects=False).status_code == 200
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: now + 8 * 3600 + 5)
    response = browser.get(consent, follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"].startswith("/oauth/login?next=")
    # and an expired session cannot post forms either
    response = browser.post(
        "/oauth/decision",
        data={"csrf_token": token, "client_id": client_id, "decision": "deny"},
        follow_redirects=False,
    )
    assert response.status_code == 403


def test_a_new_password_ends_open_sessions(browser: TestClient, factory: Factory):
    who = person(factory)
    client_id = integration(factory)
    sign_in(browser, who.email)
    consent = f"/oauth?client_id={client_id}"
    assert browser.get(consent, follow_redirects=False).status_code == 200
    factory.execute(
        "UPDATE users SET password_hash = :h WHERE account_id = :a AND id = :u",
        h=hash_password("a brand new one"), a=who.account.id, u=who.user_id,
    )  # fmt: skip
    response = browser.get(consent, follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"].startswith("/oauth/login?next=")


def test_deactivated_user_is_signed_out(browser: TestClient, factory: Factory):
    who = person(factory)
    client_id = integration(factory)
    sign_in(browser, who.email)
    factory.execute("UPDATE users SET is_active = :f WHERE account_id = :a AND id = :u",
                    f=False, a=who.account.id, u=who.user_id)  # fmt: skip
    response = browser.get(f"/oauth?client_id={client_id}", follow_redirects=False)
    assert response.status_code == 302


def test_logout_drops_the_session(browser: TestClient, factory: Factory):
    who = person(factory)
    client_id = integration(factory)
    consent = f"/oauth?client_id={client_id}&mode=popup"
    sign_in(browser, who.email)
    page = browser.get(consent)
    response = browser.post(
        "/oauth/logout", data={"csrf_token": csrf_of(page), "next": consent},
        follow_redirects=False,
    )  # fmt: skip
    assert response.status_code == 303
    assert response.headers["location"] == "/oauth/login?next=" + quote(consent, safe="")
    assert response.headers["set-cookie"].startswith(f'{session.COOKIE}=""')
    assert "max-age=0" in response.headers["set-cookie"].lower()
    assert browser.get(consent, follow_redirects=False).status_code == 302


def test_a_hash_with_weaker_parameters_is_replaced_at_sign_in(
    browser: TestClient, factory: Factory
):
    who = person(factory)
    weak = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
    factory.execute(
        "UPDATE users SET password_hash = :h WHERE account_id = :a AND id = :u",
        h=weak, a=who.account.id, u=who.user_id,
    )  # fmt: skip
    assert sign_in(browser, who.email).status_code == 303
    stored = rows(factory, "SELECT password_hash FROM users WHERE account_id = :a AND id = :u",
                  a=who.account.id, u=who.user_id)[0][0]  # fmt: skip
    assert stored != weak and not PasswordHasher().check_needs_rehash(stored)
    assert PasswordHasher().verify(stored, PASSWORD)
    # the session made with the new hash holds
    client_id = integration(factory)
    assert browser.get(f"/oauth?client_id={client_id}", follow_redirects=False).status_code == 200
