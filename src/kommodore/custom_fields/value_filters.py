"""What a ``filter[custom_fields_values][...][from|to]`` range asks of a value row ``v``, for
every entity's list (leads, contacts, companies): one reading of the bounds by field type."""

from __future__ import annotations

from kommodore.custom_fields import types
from kommodore.db.where import Where
from kommodore.http.query import to_int, to_number


def range_bounds(
    q: Where, field_type: str, bounds: tuple[str | None, str | None]
) -> list[str] | None:
    """The bound clauses on ``v``'s column for the type (dates as ints, numbers as numbers),
    or None when the range can match nothing: another type, a bound that is not a number,
    or no bound at all."""
    low, high = bounds
    lo: float | None
    hi: float | None
    if field_type in types.DATE:
        lo, hi = (to_int(low) if low else None), (to_int(high) if high else None)
        column = "v.value_int"
    elif field_type in types.NUMERIC:
        lo, hi = (to_number(low) if low else None), (to_number(high) if high else None)
        column = "v.value_number"
    else:
        return None
    if (low and lo is None) or (high and hi is None):
        return None
    return q.bounds(column, lo, hi) or None
