"""Kommo's error bodies: ``application/problem+json`` with title, type, status and detail.

The content type carries no charset parameter: one client compares it for equality.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import msgspec
from starlette.responses import Response

PROBLEM_JSON = "application/problem+json"


class Problem(Exception):
    """Raise anywhere below the endpoints to answer with a problem body."""

    headers: dict[str, str] | None = None
    """Response headers, e.g. the 429's ``Retry-After`` (wire rules); see :meth:`with_headers`."""

    def __init__(self, status: int, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.extra = extra

    reason: str | None = None
    """Why, in more words than the wire's (the request journal's); never sent."""

    def because(self, reason: str) -> Problem:
        """The same problem, with the reason the journal records for it."""
        self.reason = reason
        return self

    def with_headers(self, headers: dict[str, str]) -> Problem:
        """The same problem, answered with these headers too."""
        self.headers = headers
        return self


LEADING_EXTRAS = ("validation-errors", "errors")
"""Kommo puts these before ``title``; other extras follow ``detail``."""


def problem_body(status: int, detail: str, **extra: Any) -> bytes:
    body: dict[str, Any] = {key: extra.pop(key) for key in LEADING_EXTRAS if key in extra}
    body["title"] = HTTPStatus(status).phrase
    body["type"] = f"https://httpstatus.es/{status}"
    body["status"] = status
    body["detail"] = detail
    body.update(extra)
    return msgspec.json.encode(body)


def problem_response(
    status: int, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> Response:
    return Response(
        problem_body(status, detail, **extra),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def from_problem(problem: Problem) -> Response:
    return problem_response(problem.status, problem.detail, problem.headers, **problem.extra)


UNAUTHORIZED_BODY = problem_body(401, "Invalid user name or password")
PAYMENT_REQUIRED_BODY = problem_body(402, "Payment required")


def unauthorized() -> Response:
    return Response(UNAUTHORIZED_BODY, status_code=401, media_type=PROBLEM_JSON)


def payment_required() -> Response:
    return Response(PAYMENT_REQUIRED_BODY, status_code=402, media_type=PROBLEM_JSON)


def not_found() -> Response:
    return problem_response(404, "Not Found")


def method_not_allowed() -> Response:
    return problem_response(405, "Method Not Allowed")
