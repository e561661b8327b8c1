"""parse_query against PHP's own parse_str, from a golden table, plus property tests.

The table (php_parse_str_cases.json) was made by tools/php_parse_str_cases.php; these tests
never run PHP. A byte that PHP returns and that is not UTF-8 appears in the table as the lone
surrogate \\udcXX, which is what parse_query returns for it (``surrogateescape``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kommodore.http.phpquery import MAX_DEPTH, MAX_PAIRS, as_list, as_range, get_path, parse_query

TABLE = json.loads((Path(__file__).parent / "php_parse_str_cases.json").read_text("utf-8"))
CASES: list[dict[str, Any]] = TABLE["cases"]
DEPARTURES = {"repeated-scalar", "duplicate-pair"}


def _case_id(case: dict[str, Any]) -> str:
    query: str = case["query"]
    return query if len(query) <= 60 else f"{query[:40]}...({len(query)} chars)"


def _only_dicts_and_strs(value: Any) -> bool:
    if isinstance(value, str):
        return True
    return isinstance(value, dict) and all(
        isinstance(k, str) and _only_dicts_and_strs(v) for k, v in value.items()
    )


def test_table_is_php_with_our_limits() -> None:
    assert len(CASES) >= 80
    assert TABLE["max_input_vars"] == str(MAX_PAIRS)
    assert TABLE["max_input_nesting_level"] == str(MAX_DEPTH)
    for case in CASES:
        assert case.get("departure", "repeated-scalar") in DEPARTURES
        assert ("ours" in case) == ("departure" in case)


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_matches_php_parse_str(case: dict[str, Any]) -> None:
    expected = case.get("ours", case["php"])
    assert parse_query(case["query"]) == expected
    raw = case["query"].encode("utf-8", "surrogateescape")
    assert parse_query(raw) == expected
    assert list(parse_query(raw)) == list(expected)  # PHP's order at the top level


@pytest.mark.parametrize("case", [c for c in CASES if "departure" in c], ids=_case_id)
def test_departures_really_depart(case: dict[str, Any]) -> None:
    """A case marked as a departure must differ from PHP, or the mark is misleading."""
    assert case["ours"] != case["php"]


def test_order_is_php_order_all_the_way_down() -> None:
    for case in CASES:
        expected = case.get("ours", case["php"])
        assert json.dumps(parse_query(case["query"])) == json.dumps(expected)


# --- property tests ----------------------------------------------------------------------

# A key that survives the trip: no brackets, & or =, no leading space, no NUL (PHP names are
# C strings) and not empty (an empty name is dropped, an empty index means "append").
_key_text = st.text(
    st.characters(exclude_characters="[]&=\x00", exclude_categories=["Cs"]), min_size=1, max_size=8
).filter(lambda k: not k.startswith(" "))
# PHP turns " " and "." in a top-level name into "_", so top-level names avoid them.
_top_key = _key_text.filter(lambda k: " " not in k and "." not in k)
_leaf = st.text(max_size=12)

_structure: st.SearchStrategy[Any] = st.recursive(
    _leaf,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=4),
        st.dictionaries(_key_text, inner, min_size=1, max_size=4),
    ),
    max_leaves=20,
)


def _pairs(prefix: str, value: Any) -> list[tuple[str, str]]:
    if isinstance(value, str):
        return [(prefix, value)]
    items = enumerate(value) if isinstance(value, list) else value.items()
    out: list[tuple[str, str]] = []
    for key, item in items:
        out.extend(_pairs(f"{prefix}[{key}]", item))
    return out


def http_build_query(data: dict[str, Any]) -> str:
    """PHP's http_build_query: every name and value urlencode()d, brackets as %5B and %5D."""
    pairs = [pair for name, value in data.items() for pair in _pairs(name, value)]
    return "&".join(
        f"{quote_plus(name, safe='')}={quote_plus(value, safe='')}" for name, value in pairs
    )


def _as_php(value: Any) -> Any:
    if isinstance(value, str):
        return value
    items = enumerate(value) if isinstance(value, list) else value.items()
    return {str(k): _as_php(v) for k, v in items}


def test_http_build_query_matches_php() -> None:
    query = http_build_query({"filter": {"id": ["1", "2"], "name": "a b&c"}})
    assert query == "filter%5Bid%5D%5B0%5D=1&filter%5Bid%5D%5B1%5D=2&filter%5Bname%5D=a+b%26c"


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(_top_key, _structure, max_size=5))
def test_http_build_query_round_trips(data: dict[str, Any]) -> None:
    query = http_build_query(data)
    expected = _as_php(data)
    assert parse_query(query) == expected
    assert parse_query(query.encode("ascii")) == expected


# fmt: off
_query_alphabet = st.sampled_from([
    "[", "]", "&", "=", "%", "+", ".", "a", "b", "0", "1", "-", "%5B", "%5d", "%00", "%FF",
    "%C3", "%A9", "é", "[]", "[_]", "\x00", "\ud800", "\udcff", " ", "[ ]",
])
# fmt: on


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.text(),
        st.text(st.characters(codec=None, exclude_categories=[])),
        st.lists(_query_alphabet, max_size=40).map("".join),
        st.binary(),
        st.lists(_query_alphabet, max_size=40).map(lambda p: "".join(p).encode("utf-8", "replace")),
    )
)
def test_never_raises_and_returns_only_dicts_and_strs(raw: str | bytes) -> None:
    assert _only_dicts_and_strs(parse_query(raw))


def _spellings(values: list[str]) -> list[str]:
    enc = [quote(v, safe="") for v in values]
    return [
        "&".join(f"filter[id][]={v}" for v in enc),
        "&".join(f"filter[id][{i}]={v}" for i, v in enumerate(enc)),
        "&".join(f"filter%5Bid%5D%5B%5D={v}" for v in enc),
        "&".join(f"filter%5bid%5d%5b{i}%5d={v}" for i, v in enumerate(enc)),
        "&".join(f"filter[id]={v}" for v in enc),
    ]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=8), min_size=1, max_size=6, unique=True))
def test_list_filter_spellings_agree(values: list[str]) -> None:
    for query in _spellings(values):
        assert as_list(get_path(parse_query(query), "filter", "id")) == values, query


def test_helpers() -> None:
    params = parse_query(
        "filter[id]=7&filter[price][from]=1&filter[price][to]=9&filter[updated_at][to]=5"
    )
    assert get_path(params, "filter", "id") == "7"
    assert get_path(params, "filter", "missing") is None
    assert get_path(params, "filter", "id", "deeper") is None
    assert as_list(get_path(params, "filter", "id")) == ["7"]
    assert as_list(None) == []
    assert as_range(get_path(params, "filter", "price")) == ("1", "9")
    assert as_range(get_path(params, "filter", "updated_at")) == (None, "5")
    assert as_range(get_path(params, "filter", "id")) == ("7", "7")
    assert as_range(None) is None


def test_raw_utf8_bytes_are_read_as_utf8() -> None:
    assert parse_query("name=Привет".encode()) == {"name": "Привет"}
    assert parse_query(b"name=\xd0%9F") == {"name": "П"}  # raw byte + escaped byte, one char


def test_many_appends_stay_fast() -> None:
    params = parse_query("&".join(f"a[]={i}" for i in range(MAX_PAIRS)))
    assert as_list(params["a"]) == [str(i) for i in range(MAX_PAIRS)]
