"""Where a request came from: its origin for absolute ``_links`` and its account subdomain."""

from __future__ import annotations

from starlette.requests import Request


def _first(value: str) -> str:
    return value.split(",", 1)[0].strip()


def request_host(request: Request, trust_forwarded: bool) -> str:
    """The Host the client addressed (``X-Forwarded-Host`` when the proxy is trusted)."""
    headers = request.headers
    if trust_forwarded and (forwarded := headers.get("x-forwarded-host")):
        return _first(forwarded)
    host = headers.get("host")
    if host:
        return host
    server = request.scope.get("server")
    if server:
        return f"{server[0]}:{server[1]}"
    return "localhost"


def request_origin(request: Request, trust_forwarded: bool) -> str:
    """``scheme://host[:port]`` exactly as the client sees it, so links lead back to us."""
    scheme = request.scope.get("scheme", "http")
    if trust_forwarded and (proto := request.headers.get("x-forwarded-proto")):
        scheme = _first(proto)
    return f"{scheme}://{request_host(request, trust_forwarded)}"


def subdomain_of(host: str, base_domain: str) -> str | None:
    """``demo`` for ``demo.example.com:8000`` under ``example.com``; None for other hosts."""
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    name = name.lower().rstrip(".")
    suffix = "." + base_domain.lower()
    if name.endswith(suffix) and len(name) > len(suffix):
        return name[: -len(suffix)]
    return None


def client_address(request: Request, trust_forwarded: bool) -> str | None:
    """The client's IP address (the first of ``X-Forwarded-For`` when the proxy is trusted)."""
    if trust_forwarded and (forwarded := request.headers.get("x-forwarded-for")):
        return _first(forwarded)
    client = request.scope.get("client")
    return str(client[0]) if client else None
