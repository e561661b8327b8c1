"""Which database objects Alembic compares with the metadata (shared by env.py and tests)."""

from __future__ import annotations


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """The lead search index (an FTS5 table and its shadow tables on SQLite, a trigram-indexed
    table on PostgreSQL) lives outside the metadata: see migration 0003."""
    return not (type_ == "table" and name is not None and name.startswith("lead_search"))
