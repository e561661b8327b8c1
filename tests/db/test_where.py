"""The shared WHERE builder: every value a bound parameter, in each dialect's marks."""

from __future__ import annotations

from kommodore.db.where import FALSE, Where


def test_values_are_bound_in_order_and_pages_are_parameters() -> None:
    w = Where("postgresql", "l.account_id", 7)
    w.filter(
        [
            ("l.id", [3], w.ints_in),
            ("l.pipeline_id", [1, 2], w.ints_in),
            ("l.name", None, w.texts_in),
            ("l.price", (10, None), w.range),
            ("l.closed_at", (None, None), w.range),
        ]
    )
    q = w.page("SELECT l.id FROM leads l", "l.id ASC", 50, 25)
    assert q.postgresql == (
        "SELECT l.id FROM leads l WHERE l.account_id = $1 AND l.id = $2 AND "
        "l.pipeline_id = ANY($3::bigint[]) AND l.price >= $4 AND l.closed_at IS NOT NULL "
        "ORDER BY l.id ASC LIMIT $5 OFFSET $6"
    )
    assert w.args == [7, 3, [1, 2], 10, 25, 50]


def test_sqlite_lists_travel_as_json_and_empty_lists_match_nothing() -> None:
    w = Where("sqlite", "e.account_id", 7)
    w.clauses += [w.texts_in("e.type", ["a", "b"]), w.ints_in("e.id", []), w.numbers_in("x", [])]
    assert w.clauses == [
        "e.account_id = ?1",
        "e.type IN (SELECT value FROM json_each(?2))",
        FALSE,
        FALSE,
    ]
    assert w.args == [7, '["a", "b"]']
    assert w.page("SELECT 1", "1", 0, 1).sqlite.endswith("LIMIT ?3 OFFSET ?4")
