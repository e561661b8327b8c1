"""The console's tests each get a database of their own per module (its forms reset and
restore the state), on SQLite and PostgreSQL, filled from a seed file."""

from __future__ import annotations

from tests.control.conftest import own_backend as own_backend  # the fixture, shared

__all__ = ["own_backend"]
