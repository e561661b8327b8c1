"""How the PostgreSQL schema distributes on Citus: every table's kind, in one place.

docs/operations.md ("Sharding by account on Citus") prints :func:`recipe`, and
``tests/db/test_citus_rules.py`` checks both the recipe (every table of a migrated database
named exactly once) and every statement of the stores against these lists
(docs/architecture.md, "Statements that shard"). ``python -m kommodore.db.citus`` prints the
recipe.
"""

from __future__ import annotations

from kommodore.db.schema import REFERENCE_TABLES, metadata

DISTRIBUTION_COLUMN = "account_id"

RAW_SQL_TABLES = {
    "lead_search": "leads",
    "contact_search": "contacts",
    "contact_terms": "contacts",
    "company_search": "companies",
    "company_terms": "companies",
}
"""Tables migrations make in raw SQL, outside ``schema.metadata`` (the search indexes: on SQLite
the ``*_search`` tables are FTS5 tables), each with the table it must follow (its foreign
key's target); all keyed by ``account_id``."""

LOCAL_TABLES = ("alembic_version",)
"""Left on the coordinator as plain tables: only migrations read and write them."""

ANCHOR = "user_groups"
"""The first distributed table; every other one is colocated with it."""


def reference_tables() -> list[str]:
    """Reference tables (no ``account_id``: an account itself, an integration that spans
    accounts, a person's sign-in throttle, SQLite's id counters), referenced ones first."""
    return [t.name for t in metadata.sorted_tables if t.name in REFERENCE_TABLES]


def distributed_tables() -> list[str]:
    """Every tenant table, distributed by ``account_id``, a table after those its foreign keys
    name (Citus needs the target of a foreign key distributed first)."""
    names: list[str] = []
    for table in metadata.sorted_tables:
        if table.name in REFERENCE_TABLES:
            continue
        names.append(table.name)
        names += [extra for extra, after in RAW_SQL_TABLES.items() if after == table.name]
    names.remove(ANCHOR)
    return [ANCHOR, *names]


def all_tables() -> set[str]:
    """Every table of a migrated PostgreSQL database, whatever its kind."""
    return {*reference_tables(), *distributed_tables(), *LOCAL_TABLES}


def recipe() -> str:
    """The statements that distribute a migrated database, in the order they must run, on the
    coordinator, in one session."""
    lines = [
        "-- on the coordinator, after `kommodore migrate`, in one session (not a transaction)",
        "-- 1. keep tables that reference a reference table plain until they are distributed:",
        "--    with this on (the default), create_reference_table('accounts') turns every table",
        "--    with a foreign key to it into a Citus local table, which then cannot be distributed",
        "SET citus.enable_local_reference_table_foreign_keys = off;",
        "-- 2. reference tables, referenced ones first",
        *(f"SELECT create_reference_table('{name}');" for name in reference_tables()),
        "-- 3. distributed tables, colocated, each after the tables its foreign keys name",
        f"SELECT create_distributed_table('{ANCHOR}', '{DISTRIBUTION_COLUMN}');",
        *(
            f"SELECT create_distributed_table('{name}', '{DISTRIBUTION_COLUMN}', "
            f"colocate_with => '{ANCHOR}');"
            for name in distributed_tables()[1:]
        ),
        "-- 4. stays a plain table on the coordinator: "
        + ", ".join(LOCAL_TABLES)
        + " (migrations only)",
        "RESET citus.enable_local_reference_table_foreign_keys;",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(recipe(), end="")
