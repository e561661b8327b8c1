"""The consent page (GET /oauth) and the decision (POST /oauth/decision), as on Kommo."""

from __future__ import annotations

import hashlib
import html
import json
import re
import time
from urllib.parse import parse_qsl, quote, urlsplit

import httpx
import pytest
from starlette.testclient import TestClient

from tests.conftest import BASE_DOMAIN
from tests.factories import Account, Factory
from tests.web.conftest import REDIRECT, csrf_of, integration, person, rows, sign_in


def _decide(
    client: TestClient, page_url: str, decision: str, account: Account | int | None, **extra: str
) -> httpx.Response:
    """Fill the consent form the page at ``page_url`` shows, as a browser submits it."""
    page = client.get(page_url)
    assert page.status_code == 200, page.text
    fields = re.findall(
        r'<input type="hidden" name="([^"]+)" value="([^"]*)">',
        page.text.split('action="/oauth/decision"')[1].split("</form>")[0],
    )
    form = {name: html.unescape(value) for name, value in fields}
    form["decision"] = decision
    if account is not None:
        form["account_id"] = str(account if isinstance(account, int) else account.id)
    form.update(extra)
    return client.post("/oauth/decision", data=form, follow_redirects=False)


def _codes(factory: Factory, account: Account) -> list[tuple[object, ...]]:
    return rows(
        factory,
        "SELECT code_hash, integration_id, user_id, redirect_uri, scopes, expires_at - created_at,"
        " used_at FROM oauth_codes WHERE account_id = :a",
        a=account.id,
    )


def _installs(factory: Factory, account: Account) -> list[tuple[object, ...]]:
    return rows(
        factory,
        "SELECT integration_id, installed_by, removed_at FROM account_integrations "
        "WHERE account_id = :a",
        a=account.id,
    )


def _accounts_of(html: str) -> list[tuple[str, str]]:
    select = html.split('<select id="account" name="account_id" required>')[1].split("</select>")[0]
    return re.findall(r'<option value="(\d+)">([^<]*)</option>', select)


def test_not_signed_in_goes_to_the_sign_in_page_and_back(browser: TestClient, factory: Factory):
    who = person(factory)
    client_id = integration(factory)
    response = browser.get(f"/oauth?client_id={client_id}&state=xyz&mode=post_message",
                           follow_redirects=False)  # fmt: skip
    consent = f"/oauth?client_id={client_id}&state=xyz&mode=post_message"
    assert response.status_code == 302
    assert response.headers["location"] == "/oauth/login?next=" + quote(consent, safe="")
    signed = sign_in(browser, who.email, next_url=consent)
    assert (signed.status_code, signed.headers["location"]) == (303, consent)


def test_consent_page_shows_the_integration_and_the_persons_accounts(
    browser: TestClient, factory: Factory
):
    email = "Pat.Person@example.com"
    first = person(factory, email=email)
    second = person(factory, email=email.lower())  # letter case does not matter
    person(factory, email=email, password="another password")  # a different password: not theirs
    person(factory, email=email, active=False)  # inactive: not theirs
    person(factory, email=email, password=None)  # no password: not theirs
    factory.execute("UPDATE accounts SET name = :n WHERE id = :a",
                    n="Ben & Jerry's <Sales>", a=second.account.id)  # fmt: skip
    client_id = integration(factory, name='Acme "Sync" <b>', scopes=("crm", "files", "x_custom"))
    assert sign_in(browser, email).status_code == 303
    response = browser.get(f"/oauth?client_id={client_id}&state=s%201&mode=popup")
    assert response.status_code == 200
    html = response.text
    assert html.startswith('<!doctype html>\n<html lang="en">') and "<main>" in html
    assert "<title>Allow Acme &quot;Sync&quot; &lt;b&gt;? · kommodore</title>" in html
    assert "<h1>Allow Acme &quot;Sync&quot; &lt;b&gt; to use your account?</h1>" in html
    assert "<b>" not in html
    scopes = html.split("<ul>")[1].split("</ul>")[0]
    assert re.findall(r"<li>([^<]*)</li>", scopes) == [
        "Account data: leads, contacts, companies and the rest of the CRM", "Files", "x_custom",
    ]  # fmt: skip
    expected = sorted(
        [(str(p.account.id), p.account.subdomain) for p in (first, second)], key=lambda x: x[1]
    )
    names = {first.account.id: f"Account {first.account.subdomain}",
             second.account.id: "Ben &amp; Jerry&#x27;s &lt;Sales&gt;"}  # fmt: skip
    assert _accounts_of(html) == [
        (aid, f"{names[int(aid)]} ({sub}.{BASE_DOMAIN})") for aid, sub in expected
    ]
    assert '<label for="account">Account</label>' in html
    button = '<button type="submit" name="decision" value="{}" class="{}">{}</button>'
    assert button.format("allow", "primary", "Allow") in html
    assert button.format("deny", "secondary", "Deny") in html
    assert '<input type="hidden" name="state" value="s 1">' in html
    assert '<input type="hidden" name="mode" value="popup">' in html
    assert f'<input type="hidden" name="client_id" value="{client_id}">' in html
    assert "Your answer is sent to <strong>integration.example</strong>" in html
    assert "<script" not in html
    csp = response.headers["content-security-policy"]
    assert "form-action 'self' https://integration.example;" in csp


@pytest.mark.parametrize(
    "query, title",
    [
        ("", "Missing client_id"),
        ("client_id=", "Missing client_id"),
        ("client_id=not-a-uuid", "Unknown integration"),
        ("client_id=6c0d2d1e-4a53-4c7e-9c42-3b3fd1bb0a11", "Unknown integration"),
        ("client_id={disabled}", "Unknown integration"),
        ("client_id={client}&mode=redirect", "Invalid request"),
        ("client_id={client}&state=" + "s" * 2049, "Invalid request"),
    ],
)
def test_bad_links_are_a_400_page_never_a_redirect(
    browser: TestClient, factory: Factory, query: str, title: str
):
    client_id = integration(factory)
    disabled = integration(factory, disabled=True)
    url = "/oauth?" + query.format(client=client_id, disabled=disabled)
    for signed_in in (False, True):
        if signed_in:
            sign_in(browser, person(factory).email)
        response = browser.get(url, follow_redirects=False)
        assert response.status_code == 400
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert f"<h1>{title}</h1>" in response.text
        assert "location" not in response.headers
        assert "integration.example" not in response.text


def test_deny_redirects_with_access_denied(browser: TestClient, factory: Factory):
    who = person(factory)
    client_id = integration(factory)
    sign_in(browser, who.email)
    response = _decide(browser, f"/oauth?client_id={client_id}&state=xyz", "deny", who.account)
    assert response.status_code == 302
    assert response.headers["location"] == (
        f"{REDIRECT}?error=access_denied&state=xyz&client_id={client_id}"
    )
    assert _codes(factory, who.account) == []
    assert _installs(factory, who.account) == []


def test_deny_without_state_and_without_an_account(browser: TestClient, factory: Factory):
    who = person(factory)
    client_id = integration(factory)
    sign_in(browser, who.email)
    response = _decide(browser, f"/oauth?client_id={client_id}&state=", "deny", None)
    assert response.headers["location"] == f"{REDIRECT}?error=access_denied&client_id={client_id}"


def test_allow_installs_issues_a_code_and_redirects(browser: TestClient, factory: Factory):
    who = person(factory)
    client_id = integration(factory, redirect_uri="https://integration.example/cb?team=7&x=a%20b")
    sign_in(browser, who.email)
    before = int(time.time())
    response = _decide(browser, f"/oauth?client_id={client_id}&state=x%26y%3Dz", "allow",
                       who.account)  # fmt: skip
    assert response.status_code == 302
    assert response.headers["cache-control"] == "no-store"
    location = urlsplit(response.headers["location"])
    assert (location.scheme, location.netloc, location.path) == (
        "https",
        "integration.example",
        "/cb",
    )
    query = parse_qsl(location.query)
    assert [k for k, _ in query] == ["team", "x", "code", "state", "referer", "client_id"]
    values = dict(query)
    assert values["team"] == "7" and values["x"] == "a b"
    assert values["state"] == "x&y=z"
    assert values["referer"] == f"{who.account.subdomain}.{BASE_DOMAIN}"
    assert values["client_id"] == client_id
    code = values["code"]
    codes = _codes(factory, who.account)
    assert codes == [
        (hashlib.sha256(code.encode()).hexdigest(), client_id, who.user_id,
         "https://integration.example/cb?team=7&x=a%20b", json.dumps(["crm", "notifications"]),
         1200, None)
    ]  # fmt: skip
    installs = _installs(factory, who.account)
    assert installs == [(client_id, who.user_id, None)]
    installed_at = rows(factory, "SELECT installed_at FROM account_integrations "
                        "WHERE account_id = :a", a=who.account.id)[0][0]  # fmt: skip
    assert installed_at >= before


def test_allow_in_the_chosen_account_with_the_persons_user_there(
    browser: TestClient, factory: Factory
):
    email = "two.accounts@example.com"
    first = person(factory, email=email)
    second = person(factory, email=email)
    client_id = integration(factory)
    sign_in(browser, email)
    response = _decide(browser, f"/oauth?client_id={client_id}", "allow", second.account)
    assert response.status_code == 302
    values = dict(parse_qsl(urlsplit(response.headers["location"]).query))
    assert values["referer"] == f"{second.account.subdomain}.{BASE_DOMAIN}"
    assert "state" not in values
    assert [c[2] for c in _codes(factory, second.account)] == [second.user_id]
    assert _codes(factory, first.account) == [] and _installs(factory, first.account) == []


def test_allow_refuses_an_account_that_is_not_the_persons(browser: TestClient, factory: Factory):
    who = person(factory)
    stranger = person(factory)
    client_id = integration(factory)
    sign_in(browser, who.email)
    for account_id in (str(stranger.account.id), "0", "abc", "", "1" * 30):
        response = _decide(browser, f"/oauth?client_id={client_id}", "allow", None,
                           account_id=account_id)  # fmt: skip
        assert response.status_code in (400, 403), account_id
        assert "location" not in response.headers
    response = _decide(browser, f"/oauth?client_id={client_id}", "allow", stranger.account)
    assert response.status_code == 403
    assert "<h1>Account not available</h1>" in response.text
    assert _codes(factory, stranger.account) == [] and _installs(factory, stranger.account) == []
    assert _codes(factory, who.account) == []


def test_unknown_decision_or_client_on_post_is_a_400_page(browser: TestClient, factory: Factory):
    who = person(factory)
    client_id = integration(factory)
    sign_in(browser, who.email)
    page = f"/oauth?client_id={client_id}"
    response = _decide(browser, page, "maybe", who.account)
    assert response.status_code == 400 and "Choose Allow or Deny." in response.text
    for decision in ("allow", "deny"):
        response = _decide(browser, page, decision, who.account,
                           client_id="6c0d2d1e-4a53-4c7e-9c42-3b3fd1bb0a11")  # fmt: skip
        assert response.status_code == 400 and "<h1>Unknown integration</h1>" in response.text
    assert _codes(factory, who.account) == []


def test_integration_disabled_after_the_page_was_shown(browser: TestClient, factory: Factory):
    who = person(factory)
    client_id = integration(factory)
    sign_in(browser, who.email)
    page = browser.get(f"/oauth?client_id={client_id}")
    factory.execute("UPDATE integrations SET disabled_at = 1 WHERE id = :i", i=client_id)
    response = browser.post(
        "/oauth/decision",
        data={"csrf_token": csrf_of(page), "client_id": client_id, "decision": "allow",
              "account_id": str(who.account.id), "mode": "popup"},
        follow_redirects=False,
    )  # fmt: skip
    assert response.status_code == 400 and "location" not in response.headers
    assert _codes(factory, who.account) == []


def test_private_integration_only_in_its_owner_account(browser: TestClient, factory: Factory):
    email = "owner.and.other@example.com"
    owner = person(factory, email=email)
    other = person(factory, email=email)
    client_id = integration(factory, owner=owner.account)
    sign_in(browser, email)
    page = browser.get(f"/oauth?client_id={client_id}")
    assert _accounts_of(page.text) == [
        (str(owner.account.id), f"Account {owner.account.subdomain} "
                                f"({owner.account.subdomain}.{BASE_DOMAIN})")
    ]  # fmt: skip
    response = _decide(browser, f"/oauth?client_id={client_id}", "allow", other.account)
    assert response.status_code == 403
    assert _codes(factory, other.account) == [] and _installs(factory, other.account) == []
    response = _decide(browser, f"/oauth?client_id={client_id}", "allow", owner.account)
    assert response.status_code == 302
    assert len(_codes(factory, owner.account)) == 1


def test_private_integration_of_another_account_is_a_403_page(
    browser: TestClient, factory: Factory
):
    who = person(factory)
    client_id = integration(factory, owner=factory.account())
    sign_in(browser, who.email)
    response = browser.get(f"/oauth?client_id={client_id}")
    assert response.status_code == 403
    assert "<h1>Not available for your accounts</h1>" in response.text
    assert "<form" not in response.text.split("</h1>")[1]


def test_post_message_mode_posts_to_the_opener(browser: TestClient, factory: Factory):
    who = person(factory)
    client_id = integration(factory, redirect_uri="https://app.example:8443/oauth/done?a=1")
    sign_in(browser, who.email)
    page = f"/oauth?client_id={client_id}&state=%3C/script%3E&mode=post_message"
    response = _decide(browser, page, "allow", who.account)
    assert response.status_code == 200
    html = response.text
    assert "<h1>Access allowed</h1>" in html
    data = json.loads(html.split('<script type="application/json" id="kommodore-result">')[1]
                      .split("</script>")[0])  # fmt: skip
    message = data["message"]
    assert list(message) == ["code", "state", "referer", "client_id"]
    assert message["state"] == "</script>"
    assert '</script>"' not in html  # the state cannot close the script element
    assert message["referer"] == f"{who.account.subdomain}.{BASE_DOMAIN}"
    assert data["origin"] == "https://app.example:8443"
    assert [c[0] for c in _codes(factory, who.account)] == [
        hashlib.sha256(message["code"].encode()).hexdigest()
    ]
    nonce = re.search(r"script-src 'nonce-([^']+)'", response.headers["content-security-policy"])
    assert nonce and f'<script nonce="{nonce.group(1)}">' in html
    assert "window.opener.postMessage(data.message, data.origin);" in html
    assert "window.close();" in html
    denied = _decide(browser, page, "deny", None)
    data = json.loads(denied.text.split('id="kommodore-result">')[1].split("</script>")[0])
    assert data == {
        "message": {"error": "access_denied", "state": "</script>", "client_id": client_id},
        "origin": "https://app.example:8443",
    }
    assert "<h1>Access denied</h1>" in denied.text


def test_decision_with_an_anonymous_session_goes_to_sign_in(browser: TestClient, factory: Factory):
    client_id = integration(factory)
    page = browser.get("/oauth/login")
    response = browser.post(
        "/oauth/decision",
        data={"csrf_token": csrf_of(page), "client_id": client_id, "decision": "allow"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith("/oauth/login?next=")


def test_wrong_methods(browser: TestClient):
    assert browser.post("/oauth").status_code == 405
    assert browser.get("/oauth/decision").status_code == 405
    assert browser.get("/oauth/logout").status_code == 405


def test_a_stored_hostile_redirect_uri_adds_no_csp_directive(browser: TestClient, factory: Factory):
    # a row written before redirect URIs were validated
    client_id = integration(factory, redirect_uri="http://evil.example;sandbox;script-src/cb")
    assert sign_in(browser, person(factory).email).status_code == 303
    response = browser.get(f"/oauth?client_id={client_id}&mode=popup")
    csp = response.headers["content-security-policy"]
    directives = [d.split()[0] for d in csp.split(";")]
    assert directives == [
        "default-src", "style-src", "script-src", "form-action", "frame-ancestors", "base-uri",
    ]  # fmt: skip
    assert "evil" not in csp and "sandbox" not in csp
