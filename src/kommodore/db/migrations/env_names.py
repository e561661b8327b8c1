"""Which database objects Alembic compares with the metadata (shared by env.py and tests)."""

from __future__ import annotations


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """The search indexes (an FTS5 table and its shadow tables on SQLite, a trigram-indexed
    table on PostgreSQL) live outside the metadata: see migrations 0003 and 0012."""
    return not (type_ == "table" and name is not None and name.startswith(SEARCH_TABLES))


SEARCH_TABLES = (
    "lead_search",
    "contact_search",
    "company_search",
    "contact_terms",
    "company_terms",
)
