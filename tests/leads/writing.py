"""What the lead write tests share: a client bound to one user's token, and the shapes of
Kommo's answers built from the ids a write returned."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from starlette.testclient import TestClient

from tests.factories import Account, Factory

ORIGIN = "http://testserver"
LEADS_URL = f"{ORIGIN}/api/v4/leads"
NOT_A_CHOICE = "The value you selected is not a valid choice."


@dataclass
class As:
    """Requests made as one user of one account."""

    client: TestClient
    account: Account
    user_id: int
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def post(self, path: str, body: Any = None, *, content: bytes | None = None, **kw: Any) -> Any:
        headers = {**self.headers, **kw.pop("headers", {})}
        if content is not None:
            return self.client.post(path, content=content, headers=headers, **kw)
        return self.client.post(path, json=body, headers=headers, **kw)

    def patch(self, path: str, body: Any = None, *, content: bytes | None = None) -> Any:
        if content is not None:
            return self.client.patch(path, content=content, headers=self.headers)
        return self.client.patch(path, json=body, headers=self.headers)

    def lead(self, lead_id: int, with_: str = "") -> dict[str, Any] | None:
        """The lead as GET answers it; None for Kommo's 204."""
        url = f"/api/v4/leads/{lead_id}" + (f"?with={with_}" if with_ else "")
        response = self.client.get(url, headers=self.headers)
        if response.status_code == 204:
            return None
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def lead_ids(self) -> list[int]:
        """Every live lead of the account the user sees, in id order."""
        ids: list[int] = []
        page = 1
        while True:
            response = self.client.get(f"/api/v4/leads?limit=250&page={page}", headers=self.headers)
            if response.status_code == 204:
                return ids
            assert response.status_code == 200, response.text
            ids += [lead["id"] for lead in response.json()["_embedded"]["leads"]]
            page += 1

    def add(self, *leads: dict[str, Any]) -> list[int]:
        """POST the leads, expecting 200; their new ids in order."""
        response = self.post("/api/v4/leads", list(leads))
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["_embedded"]["leads"]]


def as_user(client: TestClient, factory: Factory, account: Account, user_id: int) -> As:
    return As(client, account, user_id, factory.token(account, user_id))


def as_admin(client: TestClient, factory: Factory, account: Account | None = None) -> As:
    account = account or factory.account()
    return as_user(client, factory, account, account.admin)


def validation_body(*entries: tuple[str, list[tuple[str, str, str]]]) -> dict[str, Any]:
    """Kommo's body for ``(request_id, [(code, path, detail), ...])`` entries."""
    return {
        "validation-errors": [
            {
                "request_id": request_id,
                "errors": [{"code": c, "path": p, "detail": d} for c, p, d in errors],
            }
            for request_id, errors in entries
        ],
        "title": "Bad Request",
        "type": "https://httpstatus.es/400",
        "status": 400,
        "detail": "Request validation failed",
    }


def not_a_choice(request_id: str, *paths: str) -> dict[str, Any]:
    return validation_body((request_id, [("NotSupportedChoice", p, NOT_A_CHOICE) for p in paths]))


def problem(status: int, title: str, detail: str) -> dict[str, Any]:
    return {"title": title, "type": f"https://httpstatus.es/{status}", "status": status,
            "detail": detail}  # fmt: skip


def assert_problem(response: Any, status: int, body: dict[str, Any]) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == body
    assert list(response.json()) == list(body)


class Clock:
    """The server's clock around a write: timestamps it sets fall inside [before, after]."""

    def __enter__(self) -> Clock:
        self.before = int(time.time())
        return self

    def __exit__(self, *exc: object) -> None:
        self.after = int(time.time())

    def covers(self, stamp: int) -> bool:
        return self.before <= stamp <= self.after
