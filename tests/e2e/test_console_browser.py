"""The console in a real browser against the real server process (SQLite, the console's own
default): sign in, find a lead, drag it to won and see the API and the webhook agree, see a
refused move's reason, watch a curl request arrive in the journal, and make the next API call
fail with a fault rule added in the console.

Headless Debian Chromium driven by Playwright, as the consent page's test. Each page is
screenshotted into ``artifacts/console/`` (or ``$KOMMODORE_SCREENSHOTS``), which CI keeps and
git ignores.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.e2e.test_oauth_browser import chromium as chromium  # the fixture, shared
from tests.processes import KOMMODORE, free_port, serving

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "tests" / "console" / "seed.yaml"
SHOTS = Path(os.environ.get("KOMMODORE_SCREENSHOTS", ROOT / "artifacts" / "console"))
CONTROL = "e2e-console-control-token"
JTI = "00000000-0000-4000-8000-00000000e2e1"


class _Hooks(BaseHTTPRequestHandler):
    """The integration's webhook receiver: records each body it is sent."""

    bodies: list[bytes]

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.bodies.append(self.rfile.read(length))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def hooks() -> Iterator[tuple[str, type[_Hooks]]]:
    handler = type("Hooks", (_Hooks,), {"bodies": []})
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", handler
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def server(tmp_path: Path, hooks: tuple[str, type[_Hooks]]) -> Iterator[tuple[str, str]]:
    """(origin, an admin's Kommo token) of a server seeded with the console's test account."""
    env = dict(os.environ)
    env.pop("KOMMODORE_DATABASE_URL", None)
    env.update(
        KOMMODORE_DATA_DIR=str(tmp_path / "data"),
        KOMMODORE_CONTROL_TOKEN=CONTROL,
        KOMMODORE_OUTBOUND_ALLOW_LOOPBACK="true",
        KOMMODORE_WEBHOOK_WORKER_IN_PROCESS="true",  # the suite's default is off
        KOMMODORE_RATE_LIMIT_ENABLED="false",
        KOMMODORE_LOG_LEVEL="info",
    )
    subprocess.run([*KOMMODORE, "migrate"], env=env, check=True, capture_output=True, timeout=60)
    port = free_port()
    log = tmp_path / "server.log"
    with serving(
        [*KOMMODORE, "serve", "--host", "127.0.0.1", "--port", str(port)], port, env, log=log
    ):
        origin = f"http://127.0.0.1:{port}"
        doc: dict[str, Any] = yaml.safe_load(SEED.read_text())
        account = doc["accounts"][0]
        account["webhooks"][0]["destination"] = hooks[0]
        account["tokens"] = [{"jti": JTI, "user": "ada@board.test"}]
        seeded = httpx.post(
            f"{origin}/_kommodore/seed?reset=true", json=doc,
            headers={"Authorization": f"Bearer {CONTROL}"}, timeout=60,
        )  # fmt: skip
        assert seeded.status_code == 201, seeded.text
        yield origin, seeded.json()["accounts"][0]["tokens"][JTI]


def _until(check: Any, why_not: Any, seconds: float = 15) -> Any:
    """Wait for ``check``; on time out, fail with what ``why_not`` says of the state."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"not seen within {seconds}s: {why_not()}")


def test_the_console_in_a_browser(
    server: tuple[str, str], hooks: tuple[str, type[_Hooks]], chromium: str
) -> None:
    from playwright.sync_api import expect, sync_playwright

    origin, token = server
    api = httpx.Client(base_url=origin, headers={"Authorization": f"Bearer {token}"})
    SHOTS.mkdir(parents=True, exist_ok=True)
    console = f"{origin}/_kommodore/console"

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True)
        try:
            page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
            page.goto(f"{console}/login")
            page.screenshot(path=SHOTS / "login.png", full_page=True)
            page.get_by_label("Control token").fill(CONTROL)
            page.get_by_role("button", name="Sign in with the token").click()
            page.wait_for_url(f"{console}/board")
            expect(page.get_by_role("heading", level=1)).to_contain_text("Sales")
            page.screenshot(path=SHOTS / "board.png", full_page=True)

            # find the lead by search, then drag it to won
            page.get_by_label("Search").fill("Website")
            page.get_by_role("button", name="Show").click()
            card = page.locator("article.card", has_text="Website redesign")
            expect(card).to_have_count(1)
            won = page.locator(
                "section.column", has=page.get_by_role("heading", name="Closed - won")
            )
            card.drag_to(won)
            expect(page.get_by_role("status")).to_have_text("Lead 5501 moved")
            expect(won.locator("article.card", has_text="Website redesign")).to_have_count(1)
            expect(won.locator(".count")).to_have_text("1")  # the search matches it alone
            assert api.get("/api/v4/leads/5501").json()["status_id"] == 142
            _until(
                lambda: any(b"5501" in b for b in hooks[1].bodies),
                lambda: httpx.get(f"{origin}/_kommodore/webhook-deliveries",
                                  headers={"Authorization": f"Bearer {CONTROL}"}).text,
            )  # fmt: skip
            page.screenshot(path=SHOTS / "board-moved.png", full_page=True)

            # a refused move says why, and the card stays
            page.goto(f"{console}/board")
            lost = page.locator(
                "section.column", has=page.get_by_role("heading", name="Closed - lost")
            )
            page.locator("article.card", has_text="Annual licence").drag_to(lost)
            expect(page.get_by_role("status")).to_contain_text(
                "Lead 5502 was not moved. Request validation failed: "
                "custom_fields_values.8501: This field is missing."
            )
            expect(lost.locator("article.card")).to_have_count(0)
            assert api.get("/api/v4/leads/5502").json()["status_id"] == 75012
            page.screenshot(path=SHOTS / "board-refused.png", full_page=True)

            # the webhook delivery, delivered
            page.goto(f"{console}/webhooks")
            expect(page.locator("tr.delivery .delivery-status").first).to_have_text("delivered")
            page.screenshot(path=SHOTS / "webhooks.png", full_page=True)

            # the lead page
            page.goto(f"{console}/leads/5501")
            expect(page.get_by_role("heading", level=1)).to_have_text("Website redesign")
            page.screenshot(path=SHOTS / "lead.png", full_page=True)

            # the journal: a request made with curl appears without a reload
            page.goto(f"{console}/requests")
            subprocess.run(
                ["curl", "-s", "-o", "/dev/null", "-H", f"Authorization: Bearer {token}",
                 f"{origin}/api/v4/leads/5502?with=contacts"],
                check=True, timeout=30,
            )  # fmt: skip
            expect(
                page.locator("tr.entry summary", has_text="GET /api/v4/leads/5502?with=contacts")
            ).to_have_count(1, timeout=10_000)
            page.screenshot(path=SHOTS / "requests.png", full_page=True)

            # a fault rule added in the console fails the next API call as set
            page.goto(f"{console}/state")
            page.get_by_label("Method").select_option("GET")
            page.get_by_label("Path (a glob)").fill("/api/v4/leads/*")
            page.get_by_label("Action").select_option("status")
            page.get_by_label("Status").select_option("503")
            page.get_by_label("Only the next N requests (empty: all)").fill("1")
            page.get_by_role("button", name="Add the rule").click()
            expect(page.get_by_role("status")).to_contain_text("Fault rule 1 added")
            page.screenshot(path=SHOTS / "state.png", full_page=True)
            assert api.get("/api/v4/leads/5501").status_code == 503
            assert api.get("/api/v4/leads/5501").status_code == 200
        finally:
            browser.close()
            api.close()
