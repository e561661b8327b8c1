"""Kommo's paging: ``page`` (1-based) and ``limit`` in, ``_page`` and HAL links out (Kommo's API,
). ``next`` is present exactly when another page exists; ``first`` and ``prev`` from page 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kommodore.http.hal import Href

DEFAULT_LIMIT = 50


@dataclass(frozen=True, slots=True)
class Page:
    number: int
    limit: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.limit


def _positive(value: Any, default: int) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
        if number >= 1:
            return number
    return default


def page_of(params: dict[str, Any], max_limit: int, default_limit: int = DEFAULT_LIMIT) -> Page:
    """``page`` and ``limit`` from parsed query params; a missing, non-numeric or non-positive
    value takes its default, and a limit over the endpoint's maximum is clamped to it."""
    page = min(_positive(params.get("page"), 1), 10**9)
    limit = min(_positive(params.get("limit"), default_limit), max_limit)
    return Page(page, limit)


def _with_page(query: str, page: int) -> str:
    """The request's own query string with ``page`` set to ``page``, all else kept as sent."""
    pairs = [p for p in query.split("&") if p]
    replaced = False
    out = []
    for pair in pairs:
        if pair.partition("=")[0] == "page":
            if not replaced:
                out.append(f"page={page}")
                replaced = True
            continue
        out.append(pair)
    if not replaced:
        out.append(f"page={page}")
    return "&".join(out)


def page_links(
    url: str, query: str, page: Page, has_next: bool, page_count: int | None = None
) -> dict[str, Href]:
    """``self`` (the request URL as sent), ``next``, ``first``, ``prev`` and, where the
    endpoint counts its pages, ``last``. ``url`` is origin plus path, without the query."""
    links = {"self": Href(f"{url}?{query}" if query else url)}
    if has_next:
        links["next"] = Href(f"{url}?{_with_page(query, page.number + 1)}")
    if page.number > 1:
        links["first"] = Href(f"{url}?{_with_page(query, 1)}")
        links["prev"] = Href(f"{url}?{_with_page(query, page.number - 1)}")
    if page_count is not None and page_count >= 1:
        links["last"] = Href(f"{url}?{_with_page(query, page_count)}")
    return links
