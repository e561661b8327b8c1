"""Query-string helpers shared by endpoints."""

from __future__ import annotations

import re
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import unquote_plus

from kommodore.http.phpquery import as_list, as_range


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


INT_LIMIT = 2**63 - 1
_INT = re.compile(r"\s*-?\d{1,19}\s*")
_NUMBER = re.compile(r"\s*-?\d{1,19}(\.\d+)?\s*")

Range = tuple[int | None, int | None]
"""Inclusive bounds; None is open. ``None`` as a whole range means "matches nothing"."""


def to_int(value: str) -> int | None:
    """An integer as Kommo takes it in a filter, or None when it is not one."""
    if not _INT.fullmatch(value):
        return None
    number = int(value)
    return number if -INT_LIMIT <= number <= INT_LIMIT else None


def to_number(value: str) -> float | None:
    return float(value) if _NUMBER.fullmatch(value) else None


def int_values(value: Any) -> list[int] | None:
    """A multiple integer filter; invalid members are left out (they match nothing)."""
    if value is None:
        return None
    return [n for v in as_list(value) if (n := to_int(v)) is not None]


def int_range(value: Any) -> Range | None:
    """A range filter (``[from]``/``[to]``, either optional) or a bare integer (exact)."""
    bounds = as_range(value)
    if bounds is None:
        return None
    low, high = bounds
    if low is None and high is None:
        return None
    parsed_low = to_int(low) if low is not None else None
    parsed_high = to_int(high) if high is not None else None
    if (low is not None and parsed_low is None) or (high is not None and parsed_high is None):
        return (1, 0)  # an unreadable bound: an empty range
    return (parsed_low, parsed_high)


_UNIX_SECONDS = re.compile(r"\d{1,12}")


def modified_since(value: str | None) -> int | None:
    """``If-Modified-Since`` as Unix seconds, or None when absent or unreadable (RFC 7232
    §3.3: a recipient ignores a field that is no valid date). Read: an HTTP-date in any of
    RFC 7231's three forms, the same with a numeric zone (PHP's ``DateTime::RFC1123``) or
    none at all (``D, d M Y H:i:s``, taken as GMT, what older amoCRM clients send), and plain
    Unix seconds, which Kommo's support told amoCRM client authors it accepts."""
    if value is None:
        return None
    text = value.strip()
    if _UNIX_SECONDS.fullmatch(text):
        return int(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    try:
        seconds = int(when.timestamp())
    except (OverflowError, OSError, ValueError):
        return None
    return seconds if 0 <= seconds <= INT_LIMIT else None
