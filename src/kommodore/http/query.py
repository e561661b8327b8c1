"""Query-string helpers shared by endpoints."""

from __future__ import annotations

from starlette.datastructures import QueryParams


def with_values(params: QueryParams) -> frozenset[str]:
    """``with=a,b`` (comma literal or %2C, possibly repeated) as a set; unknown values are
    kept here and simply never looked at (spec §0.5: ignored)."""
    values: set[str] = set()
    for raw in params.getlist("with"):
        values.update(v.strip() for v in raw.split(",") if v.strip())
    return frozenset(values)
