"""Query strings read the way PHP reads them, since Kommo is a PHP service and clients rely on it.

``filter[id][]=1&filter[id][]=2``, ``filter[id][0]=1``, ``filter%5Bid%5D=1`` and
``filter[price][from]=1`` all mean what ``parse_str`` makes of them (checked against PHP itself:
tests/http/php_parse_str_cases.json). Two departures, both from Kommo's wire format.md:

* a scalar key given twice with different values becomes a list (PHP keeps the last):
  ``a=1&a=2`` is ``{"a": {"0": "1", "1": "2"}}``; later values of that key, and ``a[]=``,
  append to the list. "The same key" is the same name after decoding (``a.b`` and ``a_b``
  are one name, as in PHP); ``a[]=1&a[0]=2`` is two keys, so PHP's overwrite stands;
* a ``key=value`` pair given again (after decoding) counts once: page-2 URLs repeat every
  filter, so ``a[]=x&a[]=x`` is one ``x``.

A PHP array is returned as a ``dict`` with string keys in insertion order (``[]`` appends the
next integer key, as PHP does); a leaf is a ``str``. Names and values are percent-decoded to
bytes and read as UTF-8; a byte that is not UTF-8 becomes a lone surrogate (``surrogateescape``).
:func:`as_list` and :func:`as_range` read the common filter shapes out of that.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote_to_bytes

PhpValue = str | dict[str, Any]

MAX_DEPTH = 64
"""PHP's max_input_nesting_level: a key nested deeper drops its whole top-level variable."""
MAX_PAIRS = 1000
"""PHP's max_input_vars: pairs past it are ignored."""

_LONG_MAX = 2**63 - 1
_INT_KEY = re.compile(r"-?[1-9][0-9]*|0")


class _TooDeep(Exception):
    """A key nested deeper than MAX_DEPTH; PHP then drops the variable ``name`` altogether."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _php_name(name: str) -> str:
    """PHP turns ' ' and '.' in a top-level name into '_'."""
    return name.replace(" ", "_").replace(".", "_")


def _split_key(key: str) -> tuple[str, ...] | None:
    """``a[b][][c]`` -> ``("a", "b", "", "c")``, following PHP's rules for odd keys: a NUL ends
    the key, leading spaces are dropped, an empty name is ignored, an unmatched first ``[``
    stays in the name as ``_``, ``[ ]`` appends like ``[]``, and anything after a ``]`` that
    does not open another ``[`` is ignored. Raises _TooDeep past MAX_DEPTH brackets."""
    key = key.partition("\0")[0].lstrip(" ")
    bracket = key.find("[")
    if bracket < 0:
        return (_php_name(key),) if key else None
    if bracket == 0:
        return None
    parts = [_php_name(key[:bracket])]
    pos = bracket
    while True:
        if len(parts) > MAX_DEPTH:
            raise _TooDeep(parts[0])
        close = key.find("]", pos + 1)
        if close < 0:
            if len(parts) == 1:
                tail = key[pos + 1 :].replace("[", "_")
                return (_php_name(f"{parts[0]}_{tail}"),)
            return tuple(parts)
        index = key[pos + 1 : close]
        parts.append("" if index == " " else index)
        pos = close + 1
        if pos >= len(key) or key[pos] != "[":
            return tuple(parts)


def _int_key(key: str) -> int | None:
    """The PHP integer a string array key becomes, if it becomes one (``"5"``, not ``"05"``)."""
    if _INT_KEY.fullmatch(key):
        value = int(key)
        if -_LONG_MAX - 1 <= value <= _LONG_MAX:
            return value
    return None


def _decode(text: bytes) -> str:
    """PHP's urldecode: '+' is a space, ``%XX`` a byte, any other '%' itself; then UTF-8."""
    return unquote_to_bytes(text.replace(b"+", b" ")).decode("utf-8", "surrogateescape")


class _Arrays:
    """The PHP array state a dict cannot hold: each array's next free integer key (PHP's
    nNextFreeElement) and which arrays are lists made from a repeated scalar. Entries keep
    their dict alive so an id is never reused within one parse."""

    def __init__(self) -> None:
        self.next_free: dict[int, tuple[dict[str, Any], int]] = {}
        self.repeated: dict[int, dict[str, Any]] = {}

    def store(self, array: dict[str, Any], key: str | None, value: PhpValue) -> bool:
        """``array[key] = value``, or PHP's ``array[] = value`` when key is None (False when
        PHP refuses: the next integer key would pass PHP_INT_MAX)."""
        if key is None:
            entry = self.next_free.get(id(array))
            key = str(entry[1] if entry else 0)
            if key in array:
                return False
        array[key] = value
        index = _int_key(key)
        if index is not None:
            entry = self.next_free.get(id(array))
            if entry is None or index >= entry[1]:
                self.next_free[id(array)] = (array, min(index + 1, _LONG_MAX))
        return True

    def make_list(self, first: str, second: str) -> dict[str, Any]:
        made: dict[str, Any] = {}
        self.store(made, None, first)
        self.store(made, None, second)
        self.repeated[id(made)] = made
        return made

    def is_list(self, value: dict[str, Any]) -> bool:
        return self.repeated.get(id(value)) is value


def _to_bytes(raw: str | bytes) -> bytes:
    if isinstance(raw, bytes):
        return raw
    try:
        return raw.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate surrogateescape did not make
        return raw.encode("utf-8", "surrogatepass")


def parse_query(raw: str | bytes) -> dict[str, Any]:
    """Parse a raw query string (without the leading ``?``)."""
    result: dict[str, Any] = {}
    arrays = _Arrays()
    seen: set[tuple[tuple[str, ...], str]] = set()
    assigned: set[tuple[str, ...]] = set()  # keys that have set a scalar (not by appending)
    for count, chunk in enumerate(p for p in _to_bytes(raw).split(b"&") if p):
        if count >= MAX_PAIRS:
            break
        name, _, value = chunk.partition(b"=")
        val = _decode(value)
        try:
            parts = _split_key(_decode(name))
        except _TooDeep as too_deep:
            result.pop(too_deep.name, None)
            seen = {pair for pair in seen if pair[0][0] != too_deep.name}
            assigned = {key for key in assigned if key[0] != too_deep.name}
            continue
        if parts is None or (parts, val) in seen:
            continue
        seen.add((parts, val))
        node = result
        for part in parts[:-1]:
            child = node.get(part) if part else None
            if not isinstance(child, dict):
                child = {}
                if not arrays.store(node, part or None, child):
                    break
            node = child
        else:
            leaf = parts[-1]
            previous = node.get(leaf) if leaf else None
            if isinstance(previous, dict) and arrays.is_list(previous):
                arrays.store(previous, None, val)
            elif isinstance(previous, str) and parts in assigned:
                node[leaf] = arrays.make_list(previous, val)
            else:
                arrays.store(node, leaf or None, val)
            if leaf:
                assigned.add(parts)
    return result


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
