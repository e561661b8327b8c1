"""The OAuth flow of Kommo's API in a real browser against the real server process.

Headless Chromium (Debian's ``chromium`` package, driven by Playwright for Python; no browser is
downloaded) signs in, picks the account, allows or denies; a tiny local HTTP server plays the
integration's ``redirect_uri``; the code is exchanged at ``POST /oauth2/access_token`` and the
access token reads a lead.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.conftest import Backend
from tests.e2e.test_serve import _env
from tests.e2e.test_serve import served as served  # the running server, reused as a fixture
from tests.processes import KOMMODORE
from tests.processes import free_port as _free_port

pytestmark = pytest.mark.e2e
PASSWORD = "e2e browser password"
SCREENSHOT = Path(tempfile.gettempdir()) / "kommodore-consent.png"

_OPENER = """<!doctype html><html lang="en"><head><title>Integration</title></head><body>
<main><h1>Integration</h1><button id="connect">Connect</button></main>
<script>
window.received = null;
window.addEventListener("message", function (event) {
  window.received = {origin: event.origin, data: event.data};
});
document.getElementById("connect").addEventListener("click", function () {
  window.open(CONSENT_URL, "kommo_oauth", "width=600,height=700");
});
</script></body></html>"""


class _Receiver(BaseHTTPRequestHandler):
    """The integration: records where the browser landed, and serves the opener page."""

    hits: list[str]
    consent_url: str

    def do_GET(self) -> None:
        if self.path.startswith("/opener"):
            body = _OPENER.replace("CONSENT_URL", json.dumps(self.consent_url)).encode()
        else:
            if self.path.startswith("/callback"):
                self.hits.append(self.path)
            body = b'<!doctype html><html lang="en"><title>ok</title><main>received</main>'
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, type[_Receiver]]]:
    handler = type("Receiver", (_Receiver,), {"hits": [], "consent_url": ""})
    server = ThreadingHTTPServer(("127.0.0.1", _free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is required under CI=true (apt-get install chromium)")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    return path


def _kommodore(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [*KOMMODORE, *args], env=env, input=stdin, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_sign_in_consent_redirect_exchange_and_read_a_lead(
    served: tuple[str, str, int, str],
    backend: Backend,
    tmp_path: Path,
    receiver: tuple[str, type[_Receiver]],
    chromium: str,
):
    from playwright.sync_api import sync_playwright

    base, _, lead_id, subdomain = served
    receiver_base, handler = receiver
    env = _env(backend, tmp_path / "data")  # the same data dir and database as the server
    email = f"alice@{subdomain}.example.com"  # the demo account's admin
    _kommodore(env, "user", "set-password", "--subdomain", subdomain, "--email", email,
               "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip
    redirect_uri = f"{receiver_base}/callback?integration=1"
    created = json.loads(
        _kommodore(env, "integration", "create", "--name", "Browser Test <CRM>",
                   "--redirect-uri", redirect_uri, "--scopes", "crm,notifications")
    )  # fmt: skip
    client_id, secret = created["client_id"], created["client_secret"]
    consent = f"{base}/oauth?client_id={client_id}&state=xyz&mode=popup"

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True)
        try:
            page = browser.new_context().new_page()
            page.goto(consent)
            assert urlsplit(page.url).path == "/oauth/login"
            # a wrong password first: the form comes back with the generic message
            page.get_by_label("Email").fill(email)
            page.get_by_label("Password").fill("not the password")
            page.get_by_role("button", name="Sign in").click()
            assert page.get_by_role("alert").inner_text() == "Wrong email or password"
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(consent)

            heading = page.get_by_role("heading", level=1).inner_text()
            assert heading == "Allow Browser Test <CRM> to use your account?"
            assert page.locator("li").all_inner_texts() == [
                "Account data: leads, contacts, companies and the rest of the CRM",
                "The notifications centre",
            ]
            account = page.get_by_label("Account")
            options = account.locator("option").all_inner_texts()
            assert len(options) == 1 and options[0].endswith(f"({subdomain}.kommo.test)")
            account.select_option(label=options[0])
            page.screenshot(path=str(SCREENSHOT), full_page=True)

            page.get_by_role("button", name="Allow").click()
            page.wait_for_url(f"{receiver_base}/callback?**")
            landed = urlsplit(page.url)
            query = parse_qs(landed.query)
            assert list(query) == ["integration", "code", "state", "referer", "client_id"]
            assert query["state"] == ["xyz"] and query["client_id"] == [client_id]
            assert query["referer"] == [f"{subdomain}.kommo.test"]
            code = query["code"][0]
            assert handler.hits == [landed.path + "?" + landed.query]

            # the integration exchanges the code on the account's API and reads a lead
            exchanged = httpx.post(
                f"{base}/oauth2/access_token",
                json={"client_id": client_id, "client_secret": secret,
                      "grant_type": "authorization_code", "code": code,
                      "redirect_uri": redirect_uri},
            )  # fmt: skip
            assert exchanged.status_code == 200, exchanged.text
            tokens = exchanged.json()
            assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 86400
            lead = httpx.get(
                f"{base}/api/v4/leads/{lead_id}",
                headers={"Authorization": f"Bearer {tokens['access_token']}"},
            )
            assert lead.status_code == 200, lead.text
            assert lead.json()["id"] == lead_id
            # the code is single use
            again = httpx.post(
                f"{base}/oauth2/access_token",
                json={"client_id": client_id, "client_secret": secret,
                      "grant_type": "authorization_code", "code": code,
                      "redirect_uri": redirect_uri},
            )  # fmt: skip
            assert again.status_code in (400, 401)

            # deny: still signed in, straight to the consent page, answer access_denied
            page.goto(consent)
            page.get_by_role("button", name="Deny").click()
            page.wait_for_url(f"{receiver_base}/callback?**")
            assert parse_qs(urlsplit(page.url).query) == {
                "integration": ["1"], "error": ["access_denied"], "state": ["xyz"],
                "client_id": [client_id],
            }  # fmt: skip

            # post_message: the integration's page opens the consent page in a popup and
            # receives the answer from it, from our origin, then the popup closes itself
            handler.consent_url = f"{base}/oauth?client_id={client_id}&state=pm&mode=post_message"
            opener = page
            opener.goto(f"{receiver_base}/opener")
            with opener.expect_popup() as popup_info:
                opener.get_by_role("button", name="Connect").click()
            popup = popup_info.value
            popup.wait_for_load_state()
            popup.get_by_role("button", name="Allow").click()
            opener.wait_for_function("window.received !== null")
            received = opener.evaluate("window.received")
            assert received["origin"] == base
            message = received["data"]
            assert list(message) == ["code", "state", "referer", "client_id"]
            assert message["state"] == "pm" and message["client_id"] == client_id
            if not popup.is_closed():  # it may be gone already
                popup.wait_for_event("close")
            assert popup.is_closed()
            exchanged = httpx.post(
                f"{base}/oauth2/access_token",
                data={"client_id": client_id, "client_secret": secret,
                      "grant_type": "authorization_code", "code": message["code"],
                      "redirect_uri": redirect_uri},
            )  # fmt: skip
            assert exchanged.status_code == 200, exchanged.text
        finally:
            browser.close()
