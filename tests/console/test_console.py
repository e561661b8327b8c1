"""The console over HTTP, on both databases: sign-in, the board's columns against the API's
own lists, paging, filters, moves through the lead service (and a refused one), the lead page's
exact API answer, the journal, webhooks, faults and state, and accessibility basics of every
page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.testclient import TestClient

from kommodore.app import create_app
from kommodore.console.board import CARDS_PER_PAGE
from tests.conftest import Backend
from tests.control.conftest import AUTH, CONTROL_TOKEN

SEED = Path(__file__).with_name("seed.yaml")
BASE = "/_kommodore/console"
QUALIFICATION, PROPOSAL, WON, LOST = 75011, 75012, 142, 143
EXTRA = CARDS_PER_PAGE + 10
"""Leads in Qualification: more than one page of cards."""


def _document() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(SEED.read_text())
    doc["accounts"][0]["leads"] += [
        {"id": 5600 + i, "name": f"Bulk lead {i:02d}", "price": 100, "status": QUALIFICATION,
         "updated_at": 1_700_000_000 + i}
        for i in range(EXTRA)
    ]  # fmt: skip
    return doc


@pytest.fixture(scope="module")
def app(own_backend: Backend) -> Iterator[TestClient]:
    settings = own_backend.settings(control_api=True, control_token=CONTROL_TOKEN)
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def console(app: TestClient) -> TestClient:
    """Seeded afresh, faults cleared, signed in with the control token."""
    seeded = app.post("/_kommodore/seed?reset=true", json=_document(), headers=AUTH)
    assert seeded.status_code == 201, seeded.text
    app.cookies.clear()
    _sign_in(app, control_token=CONTROL_TOKEN)
    return app


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html) or re.search(
        r'data-csrf="([^"]+)"', html
    )
    assert found, html[:500]
    return found.group(1)


def _sign_in(client: TestClient, **fields: str) -> Any:
    page = client.get(f"{BASE}/login")
    assert page.status_code == 200
    return client.post(
        f"{BASE}/login", data={"csrf_token": _csrf(page.text), **fields}, follow_redirects=False
    )


def _api(client: TestClient) -> dict[str, str]:
    token = client.post("/_kommodore/tokens", json={"subdomain": "board"}, headers=AUTH)
    return {"Authorization": f"Bearer {token.json()['token']}"}


def _columns(html: str) -> dict[str, tuple[int, str]]:
    found = re.findall(
        r'<h2 id="stage-\d+">([^<]+)</h2>\s*<p class="totals"><span class="count">(\d+)</span>'
        r' <span class="noun">leads?</span> · <span class="sum">([^<]+)</span>',
        html,
    )
    return {name: (int(count), total) for name, count, total in found}


def _cards(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-lead-id="(\d+)"', html)]


def test_sign_in_with_the_control_token_or_an_admins_password(app: TestClient) -> None:
    app.post("/_kommodore/seed?reset=true", json=_document(), headers=AUTH)
    app.cookies.clear()
    assert app.get(f"{BASE}/board", follow_redirects=False).headers["location"] == (f"{BASE}/login")
    wrong = _sign_in(app, control_token="not-it")
    assert wrong.status_code == 401 and "Wrong control token" in wrong.text
    not_admin = _sign_in(app, email="ben@board.test", password="console-user-pass")
    assert not_admin.status_code == 401
    admin = _sign_in(app, email="ada@board.test", password="console-admin-pass")
    assert (admin.status_code, admin.headers["location"]) == (303, f"{BASE}/board")
    board = app.get(f"{BASE}/board")
    assert board.status_code == 200 and "ada@board.test" in board.text
    # a Kommo token is no way in, and a form without the session's CSRF token changes nothing
    app.cookies.clear()
    forged = app.post(f"{BASE}/login", data={"control_token": CONTROL_TOKEN})
    assert forged.status_code == 403
    assert app.get(f"{BASE}/board", follow_redirects=False).status_code == 303


def test_the_console_is_off_with_the_control_api(own_backend: Backend) -> None:
    settings = own_backend.settings(control_api=False)
    with TestClient(create_app(settings)) as off:
        answer = off.get(f"{BASE}/login")
    assert answer.status_code == 404
    assert "KOMMODORE_CONTROL_API=true" in answer.json()["detail"]


def test_the_board_counts_and_sums_each_stage_as_the_api_lists_it(console: TestClient) -> None:
    board = console.get(f"{BASE}/board")
    assert board.status_code == 200
    columns = _columns(board.text)
    assert list(columns) == [
        "Incoming leads", "Qualification", "Proposal", "Closed - won", "Closed - lost"
    ]  # fmt: skip
    assert columns["Qualification"] == (EXTRA, f"{EXTRA * 100:,}".replace(",", "\u202f"))
    assert columns["Proposal"] == (2, "16\u202f000")
    api = _api(console)
    stages = (("Qualification", QUALIFICATION), ("Proposal", PROPOSAL), ("Closed - won", WON))
    for name, status in stages:
        listed = console.get(
            "/api/v4/leads",
            params={"filter[statuses][0][pipeline_id]": 7501,
                    "filter[statuses][0][status_id]": status, "limit": 250},
            headers=api,
        )  # fmt: skip
        assert columns[name][0] == len(listed.json()["_embedded"]["leads"])
    # the cards of a column: the first page, most recently changed first; "more" the rest
    first = _cards(board.text.split('id="stage-75011"')[1].split("</section>")[0])
    assert first == [5600 + i for i in range(EXTRA - 1, EXTRA - 1 - CARDS_PER_PAGE, -1)]
    more = console.get(
        f"{BASE}/board/cards", params={"pipeline": 7501, "status": QUALIFICATION, "offset": 50}
    )
    assert _cards(more.text) == [5600 + i for i in range(EXTRA - 1 - CARDS_PER_PAGE, -1, -1)]
    assert "Show more" not in more.text


def test_filters_by_user_tag_and_search(console: TestClient) -> None:
    by_user = console.get(f"{BASE}/board", params={"user": 9502})
    assert _cards(by_user.text) == [5501]
    assert _columns(by_user.text)["Proposal"] == (1, "12\u202f000")
    assert _cards(console.get(f"{BASE}/board", params={"tag": 6501}).text) == [5501]
    assert _cards(console.get(f"{BASE}/board", params={"query": "licence"}).text) == [5502]
    assert _cards(console.get(f"{BASE}/board", params={"query": "5503"}).text) == [5503]
    partners = console.get(f"{BASE}/board", params={"pipeline": 7502})
    assert list(_columns(partners.text)) == [
        "Incoming leads", "First call", "Closed - won", "Closed - lost"
    ]  # fmt: skip


def test_a_move_goes_through_the_lead_service(console: TestClient) -> None:
    board = console.get(f"{BASE}/board")
    csrf = _csrf(board.text)
    moved = console.post(
        f"{BASE}/leads/5502/move", json={"pipeline_id": 7501, "status_id": WON},
        headers={"X-CSRF-Token": csrf},
    )  # fmt: skip
    assert (moved.status_code, moved.json()) == (
        200, {"ok": True, "detail": "Lead 5502 moved", "errors": []}
    )  # fmt: skip
    api = _api(console)
    lead = console.get("/api/v4/leads/5502", headers=api).json()
    assert (lead["status_id"], lead["closed_at"] is not None) == (WON, True)
    params = {"filter[entity]": "lead", "filter[entity_id]": 5502}
    events = console.get("/api/v4/events", params=params, headers=api)
    assert "lead_status_changed" in [e["type"] for e in events.json()["_embedded"]["events"]]
    deliveries = console.get("/_kommodore/webhook-deliveries", headers=AUTH).json()["deliveries"]
    assert any("5502" in (d["body"] or "") for d in deliveries)

    # the stage needs a field the lead lacks: refused with Kommo's reason, nothing changed
    refused = console.post(
        f"{BASE}/leads/5501/move", json={"pipeline_id": 7501, "status_id": LOST},
        headers={"X-CSRF-Token": csrf},
    )  # fmt: skip
    assert refused.status_code == 400
    body = refused.json()
    assert body["ok"] is False and body["errors"]
    assert console.get("/api/v4/leads/5501", headers=api).json()["status_id"] == PROPOSAL

    # a body that is not a stage (not JSON, nested too deep) is a 400 saying so, never a 500
    for body in (b"not json", b"[" * 5000 + b"]" * 5000):
        bad = console.post(
            f"{BASE}/leads/5501/move", content=body,
            headers={"X-CSRF-Token": csrf, "Content-Type": "application/json"},
        )  # fmt: skip
        assert (bad.status_code, bad.json()) == (
            400, {"ok": False, "detail": "Choose a stage", "errors": []}
        )  # fmt: skip

    # without the CSRF token nothing moves
    forged = console.post(f"{BASE}/leads/5501/move", json={"pipeline_id": 7501, "status_id": WON})
    assert forged.status_code == 403
    assert console.get("/api/v4/leads/5501", headers=api).json()["status_id"] == PROPOSAL


def test_the_keyboard_move_form_and_its_refusal(console: TestClient) -> None:
    page = console.get(f"{BASE}/leads/5501")
    form = {"csrf_token": _csrf(page.text), "stage": f"7501:{LOST}"}
    refused = console.post(f"{BASE}/leads/5501/move", data=form)
    assert refused.status_code == 200
    assert (
        '<p class="error" role="alert">Request validation failed: '
        "custom_fields_values.8501: This field is missing.</p>"
    ) in refused.text
    form["stage"] = f"7501:{QUALIFICATION}"
    done = console.post(f"{BASE}/leads/5501/move", data=form)
    assert "Lead 5501 moved" in done.text and "Qualification" in done.text


def test_the_lead_page_shows_the_apis_exact_answer(console: TestClient) -> None:
    page = console.get(f"{BASE}/leads/5501")
    assert page.status_code == 200
    api = _api(console)
    with_ = "catalog_elements,contacts,is_price_modified_by_robot,loss_reason,source"
    answer = console.get(f"/api/v4/leads/5501?with={with_}", headers=api)
    shown = re.search(r'<pre class="json"[^>]*><code>(.*?)</code></pre>', page.text, re.S)
    assert shown is not None
    import html as html_lib
    import json

    assert json.loads(html_lib.unescape(shown.group(1))) == answer.json()
    curl = re.search(r'id="curl" type="text" readonly value="([^"]+)"', page.text)
    assert curl is not None
    line = html_lib.unescape(curl.group(1))
    assert line.startswith("curl -H 'Authorization: Bearer ey")
    assert line.endswith(f"/api/v4/leads/5501?with={with_}'")
    assert "Website redesign" in page.text and "vip" in page.text and "Ben Sales" in page.text
    missing = console.get(f"{BASE}/leads/999999")
    assert missing.status_code == 404


def test_the_journal_page_and_its_live_rows(console: TestClient) -> None:
    console.delete("/_kommodore/requests", headers=AUTH)
    api = _api(console)
    console.get("/api/v4/leads/5501", headers=api)
    console.get("/api/v4/leads/5501", headers={"Authorization": "Bearer forged"})
    page = console.get(f"{BASE}/requests")
    assert "GET /api/v4/leads/5501" in page.text
    assert "401" in page.text
    last = int(re.search(r'data-after="(\d+)"', page.text).group(1))  # type: ignore[union-attr]
    console.patch("/api/v4/leads/5501", json={"price": 1}, headers=api)
    newer = console.get(f"{BASE}/requests.json", params={"after": last}).json()["requests"]
    assert [(e["method"], e["path"], e["status"]) for e in newer] == [
        ("PATCH", "/api/v4/leads/5501", 200)
    ]
    refused = console.get(f"{BASE}/requests.json", params={"status": 401}).json()["requests"]
    assert [e["status"] for e in refused] == [401] and refused[0]["reason"]


def test_webhooks_page_and_retry(console: TestClient) -> None:
    csrf = _csrf(console.get(f"{BASE}/board").text)
    console.post(
        f"{BASE}/leads/5502/move", json={"pipeline_id": 7501, "status_id": QUALIFICATION},
        headers={"X-CSRF-Token": csrf},
    )  # fmt: skip
    page = console.get(f"{BASE}/webhooks")
    assert "http://127.0.0.1:9/hook" in page.text
    delivery = re.search(r'<tr class="delivery" data-id="(\d+)">', page.text)
    assert delivery is not None
    retried = console.post(
        f"{BASE}/webhook-deliveries/{delivery.group(1)}/retry", data={"csrf_token": csrf}
    )
    assert f"Delivery {delivery.group(1)} is due now" in retried.text


def test_faults_snapshots_and_reset_from_the_state_page(console: TestClient) -> None:
    page = console.get(f"{BASE}/state")
    csrf = _csrf(page.text)
    added = console.post(
        f"{BASE}/faults",
        data={"csrf_token": csrf, "method": "GET", "path": "/api/v4/leads/*",
              "action": "status", "status": "503", "times": "1"},
    )  # fmt: skip
    assert "Fault rule" in added.text and "answer 503" in added.text
    api = _api(console)
    assert console.get("/api/v4/leads/5501", headers=api).status_code == 503
    assert console.get("/api/v4/leads/5501", headers=api).status_code == 200
    bad = console.post(f"{BASE}/faults", data={"csrf_token": csrf, "action": "status",
                                               "status": "abc"})  # fmt: skip
    assert 'role="alert"' in bad.text

    saved = console.post(f"{BASE}/snapshots", data={"csrf_token": csrf, "name": "console-1"})
    assert "Saved snapshot console-1" in saved.text
    console.patch("/api/v4/leads/5501", json={"name": "changed"}, headers=api)
    restored = console.post(
        f"{BASE}/snapshots/restore", data={"csrf_token": csrf, "name": "console-1"}
    )
    assert "Restored snapshot console-1" in restored.text
    assert console.get("/api/v4/leads/5501", headers=api).json()["name"] == "Website redesign"

    emptied = console.post(f"{BASE}/reset", data={"csrf_token": csrf, "to": "empty"})
    assert "Reset to empty" in emptied.text
    # the account is gone: with no account left the board sends the person to this page
    after = console.get(f"{BASE}/board", follow_redirects=False)
    assert (after.status_code, after.headers["location"]) == (303, f"{BASE}/state")


class _Page(HTMLParser):
    """What the accessibility checks look at."""

    def __init__(self) -> None:
        super().__init__()
        self.lang: str | None = None
        self.headings: list[int] = []
        self.labels: set[str] = set()
        self.fields: list[dict[str, str | None]] = []
        self.images: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        elif re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        elif tag == "label" and a.get("for"):
            self.labels.add(str(a["for"]))
        elif tag in ("input", "select", "textarea") and a.get("type") != "hidden":
            self.fields.append(a)
        elif tag == "img":
            self.images.append(a)


@pytest.mark.parametrize(
    "path", ["login", "board", "board?pipeline=7502", "leads/5501", "requests", "webhooks",
             "state", "accounts"],
)  # fmt: skip
def test_every_page_has_labels_alt_texts_and_ordered_headings(
    console: TestClient, path: str
) -> None:
    if path == "login":
        console.cookies.clear()
    answer = console.get(f"{BASE}/{path}")
    assert answer.status_code == 200
    assert "default-src 'none'" in answer.headers["content-security-policy"]
    page = _Page()
    page.feed(answer.text)
    assert page.lang == "en"
    assert page.headings and page.headings[0] == 1 and page.headings.count(1) == 1
    for before, after in zip(page.headings, page.headings[1:], strict=False):
        assert after <= before + 1, f"h{before} then h{after} on {path}"
    for f in page.fields:
        assert f.get("id") in page.labels or f.get("aria-label"), f"unlabelled field {f}"
    assert all(img.get("alt") is not None for img in page.images)
    assert "http://" not in re.sub(r'value="[^"]*"|<pre.*?</pre>|<td>[^<]*</td>', "",
                                   answer.text, flags=re.S)  # fmt: skip
