"""Prometheus metrics at ``/metrics``: requests by method and status, and their latency."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response

REQUESTS = Counter("kommodore_http_requests", "HTTP requests answered", ["method", "status"])
LATENCY = Histogram(
    "kommodore_http_request_seconds",
    "Time to answer an HTTP request",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
)


def observe(method: str, status: int, seconds: float) -> None:
    REQUESTS.labels(method, str(status)).inc()
    LATENCY.observe(seconds)


async def metrics(request: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
