"""Query strings read the way PHP reads them, since Kommo is a PHP service and clients rely on it.

``filter[id][]=1&filter[id][]=2``, ``filter[id][0]=1``, ``filter%5Bid%5D=1`` and
``filter[price][from]=1`` all mean what ``parse_str`` makes of them. Two departures, both from
wire-rules.md: a scalar key given twice with different values becomes a list (PHP keeps the
last), and a ``key=value`` pair repeated verbatim counts once (page-2 URLs repeat every filter).

A PHP array is returned as a ``dict`` with string keys in insertion order (``[]`` appends the
next integer key, as PHP does); a leaf is a ``str``. :func:`as_list` and :func:`as_range` read
the common filter shapes out of that.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

PhpValue = str | dict[str, Any]

MAX_DEPTH = 64
"""PHP's max_input_nesting_level: a key nested deeper is dropped."""
MAX_PAIRS = 1000
"""PHP's max_input_vars: pairs past it are ignored."""


def _php_name(name: str) -> str:
    """PHP turns ' ' and '.' in a top-level name into '_'."""
    return name.replace(" ", "_").replace(".", "_")


def _split_key(key: str) -> list[str] | None:
    """``a[b][][c]`` -> ``["a", "b", "", "c"]``, following PHP's rules for odd keys: leading
    spaces dropped, an empty name ignored, an unmatched first ``[`` kept in the name as ``_``,
    anything after a ``]`` that does not open another ``[`` ignored."""
    key = key.lstrip(" ")
    bracket = key.find("[")
    if bracket < 0:
        return [_php_name(key)] if key else None
    if bracket == 0:
        return None
    parts = [_php_name(key[:bracket])]
    pos = bracket
    while True:
        close = key.find("]", pos + 1)
        if close < 0:
            if len(parts) == 1:
                tail = key[bracket + 1 :]
                return [parts[0] + "_" + tail.replace(" ", "_").replace(".", "_").replace("[", "_")]
            return parts
        parts.append(key[pos + 1 : close])
        if len(parts) - 1 > MAX_DEPTH:
            return None
        pos = close + 1
        if pos >= len(key) or key[pos] != "[":
            return parts


def _next_index(array: dict[str, Any]) -> str:
    """PHP's next free integer key: one past the largest integer key, or 0."""
    top = -1
    for k in array:
        if k.isdigit() or (k.startswith("-") and k[1:].isdigit()):
            top = max(top, int(k))
    return str(top + 1)


def parse_query(raw: str | bytes) -> dict[str, Any]:
    """Parse a raw query string (without the leading ``?``)."""
    if isinstance(raw, bytes):
        raw = raw.decode("latin-1")
    result: dict[str, Any] = {}
    seen: set[tuple[str, str]] = set()
    repeated: set[int] = set()  # ids of the lists made from a scalar key given twice
    for count, chunk in enumerate(p for p in raw.split("&") if p):
        if count >= MAX_PAIRS:
            break
        name, _, value = chunk.partition("=")
        key, val = _decode(name), _decode(value)
        if (key, val) in seen:
            continue
        seen.add((key, val))
        parts = _split_key(key)
        if not parts:
            continue
        node = result
        for part in parts[:-1]:
            child = node.get(part) if part else None
            if not isinstance(child, dict):
                child = {}
                node[part or _next_index(node)] = child
            node = child
        leaf = parts[-1]
        if leaf == "":
            node[_next_index(node)] = val
            continue
        previous = node.get(leaf)
        if isinstance(previous, str):
            made: dict[str, Any] = {"0": previous, "1": val}
            repeated.add(id(made))
            node[leaf] = made
        elif isinstance(previous, dict) and id(previous) in repeated:
            previous[_next_index(previous)] = val
        else:
            node[leaf] = val
    return result


def _decode(text: str) -> str:
    """Percent-decoding as PHP's urldecode: '+' is a space, bytes are UTF-8 where they can be."""
    return unquote_plus(text, encoding="utf-8", errors="surrogateescape")


def get_path(params: dict[str, Any], *path: str) -> PhpValue | None:
    """``get_path(q, "filter", "id")`` is ``q["filter"]["id"]`` or None if any step is missing."""
    node: Any = params
    for step in path:
        if not isinstance(node, dict) or step not in node:
            return None
        node = node[step]
    return node  # type: ignore[no-any-return]


def as_list(value: PhpValue | None) -> list[str]:
    """A multiple filter's values: a scalar is one value; an array's leaves in order; a
    comma-separated scalar is not split (callers that accept csv split it themselves)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    out: list[str] = []
    for item in value.values():
        out.extend(as_list(item))
    return out


def as_range(value: PhpValue | None) -> tuple[str | None, str | None] | None:
    """A range filter's ``(from, to)``; a bare scalar means an exact value (``(v, v)``)."""
    if value is None:
        return None
    if isinstance(value, str):
        return (value, value)
    low, high = value.get("from"), value.get("to")
    return (
        low if isinstance(low, str) else None,
        high if isinstance(high, str) else None,
    )
