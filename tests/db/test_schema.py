"""The tenancy key rule of design.md, enforced on the schema itself: every tenant table can be
distributed by ``account_id`` on Citus as it stands."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from kommodore.db import sqlalchemy_url
from kommodore.db.migrations.env_names import include_name
from kommodore.db.schema import REFERENCE_TABLES, metadata
from tests.conftest import Backend

TENANT_TABLES = [t for t in metadata.sorted_tables if t.name not in REFERENCE_TABLES]


def test_there_are_tenant_tables():
    assert {"leads", "users", "pipelines", "statuses", "api_tokens"} <= {
        t.name for t in TENANT_TABLES
    }


def test_primary_keys_lead_with_account_id():
    for table in TENANT_TABLES:
        columns = [c.name for c in table.primary_key.columns]
        assert columns[0] == "account_id", f"{table.name}: primary key {columns}"
        assert len(columns) >= 2, f"{table.name}: account_id alone is not a key"


def test_foreign_keys_carry_account_id():
    for table in TENANT_TABLES:
        for fk in table.foreign_key_constraints:
            local = [c.name for c in fk.columns]
            remote = [e.column.name for e in fk.elements]
            target = fk.referred_table.name
            if target in REFERENCE_TABLES:
                continue  # distributed -> reference is allowed on Citus
            assert local[0] == "account_id" and remote[0] == "account_id", (
                f"{table.name} -> {target}: {local} -> {remote}"
            )


def test_unique_constraints_and_indexes_carry_account_id():
    for table in TENANT_TABLES:
        for constraint in table.constraints:
            if isinstance(constraint, sa.UniqueConstraint):
                names = [c.name for c in constraint.columns]
                assert "account_id" in names, f"{table.name}: unique {names} without account_id"
        for index in table.indexes:
            if index.unique:
                names = [c.name for c in index.columns]
                assert "account_id" in names, f"{table.name}: unique index {names}"


def test_reference_tables_point_at_no_tenant_table():
    for name in REFERENCE_TABLES:
        for fk in metadata.tables[name].foreign_key_constraints:
            assert fk.referred_table.name in REFERENCE_TABLES


def test_migrations_build_exactly_the_declared_schema(backend: Backend):
    """The migration history (already applied by the fixture) and ``schema.py`` agree, on both
    databases: autogenerate finds nothing to add, drop or alter."""
    engine = sa.create_engine(sqlalchemy_url(backend.url))
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": include_name}
        )
        diff = compare_metadata(context, metadata)
    engine.dispose()
    assert diff == []


def test_sequences_start_clear_of_system_statuses(backend: Backend):
    engine = sa.create_engine(sqlalchemy_url(backend.url))
    with engine.connect() as conn:
        if backend.name == "postgresql":
            names = conn.execute(
                sa.text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")
            ).scalars()
            assert {"leads_id_seq", "statuses_id_seq", "users_id_seq"} <= set(names)
        else:
            low = conn.execute(sa.text("SELECT min(next_value) FROM id_sequences")).scalar_one()
            assert low > 143
    engine.dispose()


def test_lead_search_is_keyed_by_account_on_postgresql(backend: Backend):
    """Kept out of the metadata (migration 0003), so checked here: Citus-ready like the rest."""
    if backend.name != "postgresql":
        engine = sa.create_engine(sqlalchemy_url(backend.url))
        with engine.connect() as conn:
            sql = conn.execute(
                sa.text("SELECT sql FROM sqlite_master WHERE name = 'lead_search'")
            ).scalar_one()
        engine.dispose()
        assert "fts5" in sql and "trigram" in sql
        return
    engine = sa.create_engine(sqlalchemy_url(backend.url))
    inspector = sa.inspect(engine)
    assert inspector.get_pk_constraint("lead_search")["constrained_columns"] == [
        "account_id",
        "lead_id",
    ]
    (fk,) = inspector.get_foreign_keys("lead_search")
    assert fk["constrained_columns"] == ["account_id", "lead_id"]
    engine.dispose()
