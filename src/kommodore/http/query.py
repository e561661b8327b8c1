"""Query-string helpers shared by endpoints."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from kommodore.http.phpquery import as_list


def with_values_of(query_string: str) -> frozenset[str]:
    """``with`` straight from the raw query string: every request reads it, and this skips
    building a full parameter map."""
    if "with" not in query_string:
        return frozenset()
    values: set[str] = set()
    for pair in query_string.split("&"):
        key, _, raw = pair.partition("=")
        if key == "with":
            values.update(v.strip() for v in unquote_plus(raw).split(",") if v.strip())
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
