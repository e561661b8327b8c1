"""A list page's WHERE clause, put together per request with every value bound.

The leads list and the events API both filter one statement per page by what the client
asked for. The clause is built from fixed fragments and column names chosen in code; every
value a client sends, the page's LIMIT and OFFSET too, becomes a ``$n`` (PostgreSQL) or ``?n``
(SQLite) parameter, and the statement is handed out through :func:`composed`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from kommodore.db.database import Dialect, Query, composed

FALSE = "1 = 0"
"""A clause no row meets: a filter that cannot match narrows the page to nothing."""


def since(seconds: int | None) -> tuple[int, None] | None:
    """The range "at or after ``seconds``" (``If-Modified-Since`` on ``updated_at``); None
    when not asked."""
    return None if seconds is None else (seconds, None)


Filter = tuple[str, Any, Callable[[str, Any], str]]
"""A column, what the client asked of it (None: nothing) and the clause that asks it."""


class Where:
    """The clauses of one statement's WHERE and their parameters, for one dialect. The first
    clause and parameter are the account: ``{account_column} = $1``."""

    def __init__(self, dialect: Dialect, account_column: str, account_id: int) -> None:
        self.dialect = dialect
        self.args: list[Any] = [account_id]
        self.clauses: list[str] = [f"{account_column} = {self.mark(1)}"]

    def filter(self, filters: Iterable[Filter]) -> None:
        """Add the clause of each filter the client used."""
        self.clauses += [
            clause(column, wanted) for column, wanted, clause in filters if wanted is not None
        ]

    def mark(self, n: int) -> str:
        return f"${n}" if self.dialect == "postgresql" else f"?{n}"

    def arg(self, value: Any) -> str:
        """Bind ``value`` as the next parameter; its mark goes in the text."""
        self.args.append(value)
        return self.mark(len(self.args))

    def _listed(self, column: str, values: list[Any], pg_type: str) -> str:
        """``column`` among ``values``, passed as one list parameter."""
        if self.dialect == "postgresql":
            return f"{column} = ANY({self.arg(values)}::{pg_type}[])"
        listed = self.arg(json.dumps(values))
        return f"{column} IN (SELECT value FROM json_each({listed}))"  # noqa: S608 (a column from code; the list is a parameter)

    def ints_in(self, column: str, values: Sequence[int]) -> str:
        if not values:
            return FALSE
        if len(values) == 1:
            (value,) = values
            return f"{column} = {self.arg(int(value))}"
        return self._listed(column, [int(v) for v in values], "bigint")

    def texts_in(self, column: str, values: Sequence[str]) -> str:
        return self._listed(column, list(values), "text") if values else FALSE

    def numbers_in(self, column: str, values: Sequence[float]) -> str:
        if not values:
            return FALSE
        return f"{column} IN ({', '.join(self.arg(float(v)) for v in values)})"

    def range(self, column: str, bounds: tuple[int | None, int | None]) -> str:
        """``column`` within both bounds given; with neither, any row where it is set."""
        low, high = bounds
        found = self.bounds(column, low, high)
        return " AND ".join(found) if found else f"{column} IS NOT NULL"

    def bounds(self, column: str, low: float | None, high: float | None) -> list[str]:
        """``column >= low`` and ``column <= high`` for the bounds given."""
        found = []
        if low is not None:
            found.append(f"{column} >= {self.arg(low)}")
        if high is not None:
            found.append(f"{column} <= {self.arg(high)}")
        return found

    def page(self, select: str, order: str, offset: int, limit: int) -> Query:
        """``select`` under every clause, in ``order``, ``limit`` rows from ``offset``."""
        where = " AND ".join(self.clauses)
        page = f"LIMIT {self.arg(limit)} OFFSET {self.arg(offset)}"
        return composed(self.dialect, f"{select} WHERE {where} ORDER BY {order} {page}")
