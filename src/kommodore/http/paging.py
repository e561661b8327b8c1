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


def _param_name(pair: str) -> str:
    """A query pair's name (``page`` also when its ``=`` is missing)."""
    return pair.partition("=")[0]


def paged_query(query: str, page: Page) -> str:
    """The request's own query string with ``page`` and ``limit`` added where the request left
    them out, each with the value in force, as Kommo writes its collection links
    (``?filter[id][]=2707&filter[id][]=2709&page=1&limit=50``). What was sent stays as sent."""
    pairs = [p for p in query.split("&") if p]
    names = {_param_name(p) for p in pairs}
    if "page" not in names:
        pairs.append(f"page={page.number}")
    if "limit" not in names:
        pairs.append(f"limit={page.limit}")
    return "&".join(pairs)


def _with_page(query: str, page: int) -> str:
    """``query`` (which holds a ``page``) with that ``page`` set to ``page``, all else kept."""
    out = []
    replaced = False
    for pair in query.split("&"):
        if _param_name(pair) == "page":
            if not replaced:
                out.append(f"page={page}")
                replaced = True
            continue
        out.append(pair)
    return "&".join(out)


def page_links(
    url: str, query: str, page: Page, has_next: bool, page_count: int | None = None
) -> dict[str, Href]:
    """``self`` (the request URL as sent, with the ``page`` and ``limit`` in force added where
    it left them out), ``next``, ``first``, ``prev`` and, where the endpoint counts its pages,
    ``last``. ``url`` is origin plus path, without the query."""
    query = paged_query(query, page)
    links = {"self": Href(f"{url}?{query}")}
    if has_next:
        links["next"] = Href(f"{url}?{_with_page(query, page.number + 1)}")
    if page.number > 1:
        links["first"] = Href(f"{url}?{_with_page(query, 1)}")
        links["prev"] = Href(f"{url}?{_with_page(query, page.number - 1)}")
    if page_count is not None and page_count >= 1:
        links["last"] = Href(f"{url}?{_with_page(query, page_count)}")
    return links
