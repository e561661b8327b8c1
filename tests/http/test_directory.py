"""The batch steps the directory domains share (kommodore.http.directory), on their own: the
wire shapes they produce are checked again, end to end, by each domain's tests."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import pytest

from kommodore.http.directory import (
    USED,
    answer,
    claim,
    each_item,
    edit_id,
    edited_rows,
    found,
    page_answer,
    present,
    readers,
    self_href,
    still_unique,
    with_booleans,
)
from kommodore.http.paging import Page
from kommodore.http.problems import Problem
from kommodore.http.validation import BatchErrors, ItemErrors, Reader


@dataclass
class Item:
    errors: ItemErrors
    id: int | None = None
    columns: dict[str, Any] = field(default_factory=dict)


class Flagged(NamedTuple):
    id: int
    on: bool
    name: str


def _errors(batch: BatchErrors) -> list[dict[str, Any]]:
    return batch.body()


def test_each_item_keeps_request_ids_and_refuses_what_is_not_an_object() -> None:
    batch = BatchErrors()
    seen = [(e.request_id, r is None) for e, r in each_item([{"request_id": "a"}, 5, {}], batch)]
    assert seen == [("a", False), ("1", True), ("2", False)]
    (entry,) = _errors(batch)
    assert entry["request_id"] == "1"
    assert entry["errors"] == [
        {"code": "InvalidType", "path": "", "detail": "This value should be of type object."}
    ]


def test_readers_are_the_objects_only() -> None:
    batch = BatchErrors()
    assert [r.data for r in readers([{"x": 1}, "no", {"y": 2}], batch)] == [{"x": 1}, {"y": 2}]
    assert bool(batch)


def test_edit_id_prefers_the_path_and_wants_one_in_a_batch_item() -> None:
    batch = BatchErrors()
    r = Reader({"id": 9}, batch.item("0"))
    assert edit_id(r, 4) == 4
    assert edit_id(r, None) == 9
    missing = Reader({}, batch.item("1"))
    assert edit_id(missing, None) is None
    assert missing.errors.errors[0]["code"] == "FieldMissing"
    assert missing.errors.errors[0]["path"] == "id"


def test_present_reports_missing_and_null() -> None:
    batch = BatchErrors()
    r = Reader({"a": 1, "b": None}, batch.item("0"))
    assert present(r, "a", "int", required=True)
    assert not present(r, "b", "int", required=False)
    assert not present(r, "c", "int", required=False)
    assert not present(r, "d", "int", required=True)
    assert [(e["code"], e["path"]) for e in r.errors.errors] == [
        ("InvalidType", "b"),
        ("FieldMissing", "d"),
    ]


def test_edited_rows_pair_known_ids_once() -> None:
    batch = BatchErrors()
    items = [Item(batch.item(str(i)), item_id) for i, item_id in enumerate([1, 2, 1, None])]
    asked: list[Sequence[int]] = []

    async def lookup(ids: Sequence[int]) -> Mapping[int, str]:
        asked.append(ids)
        return {1: "one"}

    pairs = asyncio.run(edited_rows(items, lookup))
    assert asked == [[1, 2, 1]]
    assert [(item.errors.request_id, row) for item, row in pairs] == [("0", "one")]
    assert [(e["request_id"], e["errors"][0]["code"]) for e in _errors(batch)] == [
        ("1", "NotSupportedChoice"),
        ("2", "InvalidValue"),
    ]
    assert _errors(batch)[1]["errors"][0]["detail"] == USED


def test_claim_refuses_a_value_taken_before() -> None:
    batch = BatchErrors()
    taken = {"a"}
    items = [Item(batch.item(str(i)), columns={"code": c}) for i, c in enumerate(["a", "b", "b"])]
    for item in items:
        claim(item, "code", taken)
    assert [e["request_id"] for e in _errors(batch)] == ["0", "2"]
    assert taken == {"a", "b"}


def test_still_unique_lets_rows_swap_values_and_give_them_up() -> None:
    batch = BatchErrors()
    stored = {1: "x", 2: "y", 3: "z"}
    swap = [
        (Item(batch.item("0"), columns={"code": "y"}), 1),
        (Item(batch.item("1"), columns={"code": "x"}), 2),
    ]
    still_unique(swap, "code", stored)
    assert not batch
    clash = [
        (Item(batch.item("2"), columns={"code": None}), 3),
        (Item(batch.item("3"), columns={"code": "x"}), 2),
    ]
    still_unique(clash, "code", stored)
    assert [e["request_id"] for e in _errors(batch)] == ["3"]


def test_with_booleans_makes_real_booleans() -> None:
    row = with_booleans(Flagged, "on")(7, 1, "n")
    assert row == Flagged(7, True, "n") and row.on is True


def test_answers_carry_self_and_the_count() -> None:
    assert self_href("http://h/x", "") == "http://h/x"
    assert self_href("http://h/x", "a=1") == "http://h/x?a=1"
    body = json.loads(answer("things", [1, 2], "http://h/x"))
    assert body == {
        "_total_items": 2,
        "_links": {"self": {"href": "http://h/x"}},
        "_embedded": {"things": [1, 2]},
    }


def test_page_answer_reads_one_row_more_than_it_shows() -> None:
    page = Page(1, 2)
    assert page_answer("things", [], page, str, "http://h/x", "") is None
    body = json.loads(page_answer("things", [1, 2, 3], page, str, "http://h/x", "") or b"")
    assert body["_page"] == 1
    assert body["_embedded"] == {"things": ["1", "2"]}
    assert "next" in body["_links"]


def test_found_raises_the_not_found_problem() -> None:
    assert found(5, lambda: Problem(404, "No")) == 5
    with pytest.raises(Problem):
        found(None, lambda: Problem(404, "No"))
