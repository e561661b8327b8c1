"""Prometheus metrics at ``/metrics``: requests by method and status, and their latency.

With several workers (``PROMETHEUS_MULTIPROC_DIR`` set, as ``kommodore serve --workers N``
does) each worker counts in files of that directory and every scrape sums them all, so a
counter never goes backwards whichever worker answers.
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.requests import Request
from starlette.responses import Response

REQUESTS = Counter("kommodore_http_requests", "HTTP requests answered", ["method", "status"])
LATENCY = Histogram(
    "kommodore_http_request_seconds",
    "Time to answer an HTTP request",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
)


_children: dict[tuple[str, int], Any] = {}


def observe(method: str, status: int, seconds: float) -> None:
    """Count a request; the labelled child is looked up once per (method, status)."""
    child = _children.get((method, status))
    if child is None:
        child = _children[method, status] = REQUESTS.labels(method, str(status))
    child.inc()
    LATENCY.observe(seconds)


def _scrape() -> bytes:
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return generate_latest()
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return generate_latest(registry)


async def metrics(request: Request) -> Response:
    return Response(_scrape(), media_type=CONTENT_TYPE_LATEST)
