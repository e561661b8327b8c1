"""Query-string helpers shared by endpoints."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import QueryParams

from kommodore.http.phpquery import as_list


def with_values(params: QueryParams) -> frozenset[str]:
    """``with=a,b`` (comma literal or %2C, possibly repeated) as a set; unknown values are
    kept here and simply never looked at (spec §0.5: ignored)."""
    values: set[str] = set()
    for raw in params.getlist("with"):
        values.update(v.strip() for v in raw.split(",") if v.strip())
    return frozenset(values)


def like_pattern(text: str) -> str:
    """A case-insensitive substring as a LIKE pattern; ``%``, ``_`` and ``\\`` are literal."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_of(params: dict[str, Any]) -> str | None:
    """``query`` as a LIKE pattern; None when absent or empty (an empty query filters nothing).
    Sent twice with different values, the first counts."""
    raw = params.get("query")
    texts = as_list(raw) if isinstance(raw, str | dict) else []
    return like_pattern(texts[0]) if texts and texts[0] else None
