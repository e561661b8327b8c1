"""The rules of docs/architecture.md, "Statements that shard", kept for every statement the
stores write with ``db.database.sql`` (recorded in ``database.STATEMENTS`` at definition),
and the recipe of docs/operations.md checked against a migrated database.

Citus is not installable here, so the statements are checked by rule: each is parsed with
sqlglot (PostgreSQL dialect) and every distributed table it names must be pinned to one
``account_id`` value, so Citus routes it to one shard.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
import sqlglot
from sqlglot import exp

import kommodore
from kommodore.db import citus, database
from kommodore.db.schema import metadata
from tests.conftest import Backend

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = citus.DISTRIBUTION_COLUMN
REFERENCE = set(citus.reference_tables())
DISTRIBUTED = set(citus.distributed_tables())

# Statements that name a distributed table without pinning ``account_id``: each is outside
# the API's request path, takes no row lock and has no subquery in RETURNING (checked below even
# for them). Keyed by (module, a fragment of the text naming exactly one statement of it).
ALLOWED: dict[tuple[str, str], str] = {
    # the webhook worker (a background task, never a request)
    ("kommodore.webhooks.store", "GROUP BY account_id ORDER BY min(next_attempt_ms)"): (
        "the worker's look for accounts with due deliveries: a plain read, no lock; the claim "
        "itself is one statement per account"
    ),
    ("kommodore.webhooks.store", "WHERE status = $1 AND next_attempt_ms < $2"): (
        "retention purge of finished deliveries, across accounts"
    ),
    ("kommodore.webhooks.store", "SELECT count(*) FROM webhook_deliveries"): (
        "the outbox's row budget: a count across accounts"
    ),
    ("kommodore.webhooks.store", "WHERE status <> 'pending' ORDER BY id LIMIT $1"): (
        "the outbox's row budget: the oldest finished deliveries across accounts go"
    ),
    ("kommodore.webhooks.store", "WHERE status = 'pending' ORDER BY id LIMIT $1"): (
        "the outbox's row budget: the oldest pending deliveries go when finished ones are not "
        "enough"
    ),
    ("kommodore.webhooks.store", "SELECT COALESCE(SUM(size), 0) FROM webhook_bodies"): (
        "the outbox's byte budget: a sum across accounts"
    ),
    ("kommodore.webhooks.store", "FROM webhook_bodies ORDER BY id LIMIT $1"): (
        "the outbox's byte budget: the oldest bodies across accounts"
    ),
    ("kommodore.webhooks.store", "DELETE FROM webhook_bodies WHERE (account_id, id) IN"): (
        "the orphan sweep after purges"
    ),
    ("kommodore.ratelimit.database", "DELETE FROM rate_limit_windows WHERE window_start"): (
        "old limiter windows, once a minute per process"
    ),
    # operators and the development tools
    ("kommodore.integrations.store", "WHERE integration_id = $1 AND removed_at IS NULL"): (
        "`kommodore integration disable` finds every account that installed it (once per "
        "disable); the revocations that follow are per account"
    ),
    ("kommodore.web.store", "WHERE lower(u.email) = lower($1)"): (
        "the consent page's sign-in finds a person's users in every account by e-mail: a read, "
        "once per sign-in, behind the sign-in throttle"
    ),
    ("kommodore.webhooks.store", "ORDER BY d.id DESC LIMIT $4"): (
        "the control plane's outbox view (development): any account, or all"
    ),
    ("kommodore.webhooks.store", "claimed_by = NULL WHERE id = $1"): (
        "the control plane's retry of one delivery by id (development)"
    ),
    ("kommodore.control.seed.load", ""): (
        "the control plane's seed load (development): checks ids across the database"
    ),
}

KNOWN_EXCEPTIONS: dict[tuple[str, str], str] = {
    ("kommodore.auth.store", "UPDATE api_tokens SET revoked_at = $2 WHERE jti = $1"): (
        "revocation by jti alone (`kommodore token revoke`, an operator's command, never on the "
        "request path): reaches every shard to find the one row"
    ),
}


def _import_everything() -> None:
    for info in pkgutil.walk_packages(kommodore.__path__, "kommodore."):
        if ".migrations" in info.name or info.name.endswith("__main__"):
            continue
        importlib.import_module(info.name)


_import_everything()
STATEMENTS = sorted(database.STATEMENTS.items(), key=lambda item: (item[1], item[0]))


@dataclass
class Scope:
    """A SELECT, UPDATE, DELETE or INSERT and the tables it names directly."""

    node: exp.Expression
    tables: dict[str, str] = field(default_factory=dict)
    """alias -> table name"""


@dataclass
class Findings:
    unknown: set[str] = field(default_factory=set)
    unpinned: set[str] = field(default_factory=set)
    locks: bool = False
    locks_unpinned: bool = False
    returning_subquery: bool = False
    locking_in: bool = False
    """A locking read inside ``IN (...)``: PostgreSQL may run it once per outer row, each run
    skipping what the last one locked, so a ``LIMIT`` in it no longer bounds the write."""

    @property
    def crosses_shards(self) -> bool:
        return bool(self.unpinned)


_STATEMENT_NODES = (exp.Select, exp.Update, exp.Delete, exp.Insert)


def _scope_of(node: exp.Expression) -> exp.Expression | None:
    parent = node.parent
    while parent is not None and not isinstance(parent, _STATEMENT_NODES):
        parent = parent.parent
    return parent


def _conjuncts(node: exp.Expression | None) -> list[exp.Expression]:
    if node is None:
        return []
    if isinstance(node, exp.Paren):
        return _conjuncts(node.this)
    if isinstance(node, exp.And):
        return _conjuncts(node.left) + _conjuncts(node.right)
    return [node]


def _is_value(node: exp.Expression) -> bool:
    """A bound parameter or a constant (through casts): one value, one shard."""
    while isinstance(node, exp.Cast | exp.Paren):
        node = node.this
    return isinstance(node, exp.Parameter | exp.Placeholder | exp.Literal)


def _outside_the_schema(table: exp.Table) -> bool:
    """A catalog, another schema's table (the control plane's ``kommodore_control``) or a
    sequence read as a relation: none of them is distributed."""
    return (
        bool(table.db and table.db != "public")
        or table.name.startswith("pg_")
        or table.name.endswith("_id_seq")
    )


def analyse(text: str) -> Findings:
    found = Findings()
    for tree in sqlglot.parse(text, read="postgres"):
        if tree is not None:
            _analyse(tree, found)
    return found


def _analyse(tree: exp.Expression, found: Findings) -> None:
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    scopes: dict[int, Scope] = {}
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier) or table.name in ctes:
            continue  # a table function (generate_series, json_each) or a CTE
        if _outside_the_schema(table):
            continue
        if table.name not in citus.all_tables():
            found.unknown.add(table.name)
        owner = _scope_of(table)
        if owner is None:
            continue  # DDL
        scope = scopes.setdefault(id(owner), Scope(owner))
        scope.tables[table.alias_or_name] = table.name

    def resolve(column: exp.Column) -> tuple[int, str, str] | None:
        """The (scope, alias, column) a column belongs to; None when unknown. An unqualified
        ``account_id`` belongs to the one distributed table of its scope, any other unqualified
        column to the one table of its scope."""
        node: exp.Expression | None = _scope_of(column)
        while node is not None:
            scope = scopes.get(id(node))
            if scope is not None:
                if column.table and column.table in scope.tables:
                    return id(node), column.table, column.name
                if not column.table:
                    candidates = [
                        a
                        for a, t in scope.tables.items()
                        if t in DISTRIBUTED or column.name != ACCOUNT
                    ]
                    if len(candidates) == 1:
                        return id(node), candidates[0], column.name
            node = _scope_of(node)
        return None

    # union-find over (scope, alias, column) and the "one value" node: columns equal to each
    # other, and to a value, are one class (as Citus infers ``t.account_id = $1`` from
    # ``t.account_id = a.id AND a.id = $1``)
    parent: dict[object, object] = {}

    def find(x: object) -> object:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    def union(a: object, b: object) -> None:
        parent[find(a)] = find(b)

    value = "value"
    conditions: list[exp.Expression] = []
    for node in tree.find_all(exp.Where):
        conditions += _conjuncts(node.this)
    for node in tree.find_all(exp.Join):
        conditions += _conjuncts(node.args.get("on"))
    for eq in conditions:
        if not isinstance(eq, exp.EQ):
            continue
        sides = [eq.left, eq.right]
        keys = [resolve(s) if isinstance(s, exp.Column) else None for s in sides]
        if keys[0] and keys[1]:
            union(keys[0], keys[1])
        for key, other in ((keys[0], sides[1]), (keys[1], sides[0])):
            if key and _is_value(other):
                union(key, value)
    for insert in tree.find_all(exp.Insert):
        schema = insert.this
        rows = insert.expression
        if not isinstance(schema, exp.Schema) or not isinstance(rows, exp.Values):
            continue
        names = [c.name for c in schema.expressions]
        if ACCOUNT in names and all(
            _is_value(row.expressions[names.index(ACCOUNT)]) for row in rows.expressions
        ):
            union((id(insert), schema.this.alias_or_name, ACCOUNT), value)

    for key, scope in scopes.items():
        for alias, name in scope.tables.items():
            if name in DISTRIBUTED and find((key, alias, ACCOUNT)) != find(value):
                found.unpinned.add(name)
    for select in tree.find_all(exp.Select):
        if select.args.get("locks"):
            found.locks = True
            scope = scopes.get(id(select))
            if scope and any(
                n in DISTRIBUTED and find((id(select), a, ACCOUNT)) != find(value)
                for a, n in scope.tables.items()
            ):
                found.locks_unpinned = True
    for returning in tree.find_all(exp.Returning):
        if returning.find(exp.Select, exp.Subquery):
            found.returning_subquery = True
    for member in tree.find_all(exp.In):
        query = member.args.get("query")
        inner = query.this if isinstance(query, exp.Subquery) else query
        if isinstance(inner, exp.Select) and inner.args.get("locks"):
            found.locking_in = True


def _exception(module: str, text: str) -> str | None:
    for (where, fragment), reason in {**ALLOWED, **KNOWN_EXCEPTIONS}.items():
        if where == module and fragment in text:
            return reason
    return None


def _matches(module: str, fragment: str) -> list[str]:
    return [t for t, m in STATEMENTS if m == module and fragment in t]


def test_statements_are_recorded():
    modules = {m for _, m in STATEMENTS}
    assert {"kommodore.leads.store", "kommodore.webhooks.store", "kommodore.auth.store"} <= modules
    assert len(STATEMENTS) > 300


@pytest.mark.parametrize(("text", "module"), STATEMENTS, ids=[f"{m}:{i}" for i, (_, m) in
                         enumerate(STATEMENTS)])  # fmt: skip
def test_statement_shards(text: str, module: str):
    if re.search(r"\browid\b", text):
        pytest.skip(
            "SQLite's FTS5 search tables (rowid = the entity's id): never run on PostgreSQL"
        )
    found = analyse(text)
    assert not found.unknown, f"tables not in db/citus.py's lists: {found.unknown}"
    assert not found.returning_subquery, "a subquery inside RETURNING: Citus refuses it"
    assert not found.locks_unpinned, "a row lock on rows of more than one shard"
    assert not found.locking_in or _exception(module, text) is not None, (
        "a locking read inside IN (...): use = ANY(ARRAY(...)) (docs/architecture.md)"
    )
    if found.crosses_shards:
        assert _exception(module, text) is not None, (
            f"{sorted(found.unpinned)} not pinned to one account_id (docs/architecture.md, "
            "'Statements that shard'); pin it, or name it in ALLOWED with its reason"
        )


def test_every_exception_is_used_and_crosses_shards():
    """The allow-list stays short and true: each entry names a statement that is there and
    really crosses shards."""
    for (module, fragment), _reason in {**ALLOWED, **KNOWN_EXCEPTIONS}.items():
        matches = _matches(module, fragment)
        if fragment:  # one statement
            assert len(matches) == 1, (module, fragment, len(matches))
        assert any(analyse(t).crosses_shards for t in matches), (module, fragment)


@pytest.mark.parametrize(
    ("text", "crosses", "locks_unpinned", "returning_subquery"),
    [
        ("SELECT id FROM leads WHERE account_id = $1 AND id = $2", False, False, False),
        ("SELECT id FROM leads WHERE account_id = ANY($1::bigint[])", True, False, False),
        ("SELECT id FROM leads WHERE $1::bigint IS NULL OR account_id = $1", True, False, False),
        (
            "SELECT l.id FROM leads l JOIN users u ON u.account_id = l.account_id "
            "AND u.id = l.responsible_user_id WHERE l.account_id = $1",
            False, False, False,
        ),
        (
            "SELECT l.id FROM leads l JOIN users u ON u.id = l.responsible_user_id "
            "WHERE l.account_id = $1",
            True, False, False,
        ),
        (
            "SELECT id FROM webhook_deliveries WHERE status = 'pending' "
            "ORDER BY next_attempt_ms LIMIT 5 FOR UPDATE SKIP LOCKED",
            True, True, False,
        ),
        (
            "UPDATE webhook_deliveries SET claimed_by = $2 WHERE account_id = $1 AND id IN ("
            "SELECT id FROM webhook_deliveries WHERE account_id = $1 FOR UPDATE SKIP LOCKED) "
            "RETURNING id",
            False, False, False,
        ),
        (
            "INSERT INTO rate_limit_windows (account_id, integration_id) VALUES ($1, $2) "
            "RETURNING hits, (SELECT b.blocked_until FROM rate_limit_blocks b "
            "WHERE b.account_id = $1)",
            False, False, True,
        ),
        ("INSERT INTO tags (account_id, id, name) VALUES ($1, $2, $3)", False, False, False),
        ("INSERT INTO tags (id, name) VALUES ($1, $2)", True, False, False),
        ("SELECT id FROM accounts WHERE subdomain = $1", False, False, False),
        (
            "SELECT t.jti FROM accounts a LEFT JOIN api_tokens t ON t.account_id = a.id "
            "WHERE a.id = $1",
            False, False, False,
        ),
        (
            "SELECT t.jti FROM accounts a LEFT JOIN api_tokens t ON t.account_id = a.id "
            "WHERE a.subdomain = $1",
            True, False, False,
        ),
        (
            "DELETE FROM oauth_codes WHERE (account_id, code_hash) IN (SELECT account_id, "
            "code_hash FROM oauth_codes WHERE account_id = $1 LIMIT 5 FOR UPDATE SKIP LOCKED)",
            True, False, False,
        ),
    ],
)  # fmt: skip
def test_the_checker_tells_the_shapes_apart(
    text: str, crosses: bool, locks_unpinned: bool, returning_subquery: bool
):
    """The checker itself: shapes Citus routes to one shard pass, the ones it refuses or
    spreads over every shard are caught."""
    found = analyse(text)
    assert (found.crosses_shards, found.locks_unpinned, found.returning_subquery) == (
        crosses, locks_unpinned, returning_subquery,
    )  # fmt: skip


# -- the schema and the recipe --------------------------------------------------------------


def test_table_lists_cover_the_schema_once():
    names = [*citus.reference_tables(), *citus.distributed_tables(), *citus.LOCAL_TABLES]
    assert len(names) == len(set(names))
    assert {t.name for t in metadata.sorted_tables} <= set(names)
    anchor = metadata.tables[citus.ANCHOR]
    assert all(fk.referred_table.name in REFERENCE for fk in anchor.foreign_key_constraints)


def test_distribution_order_follows_foreign_keys():
    order = {name: i for i, name in enumerate(citus.distributed_tables())}
    for table in metadata.sorted_tables:
        for fk in table.foreign_key_constraints:
            target = fk.referred_table.name
            if table.name in order and target in order:
                assert order[target] < order[table.name], (table.name, target)


def _recipe_in_docs() -> str:
    text = (ROOT / "docs" / "operations.md").read_text()
    section = text.split("## Sharding by account on Citus", 1)[1]
    match = re.search(r"```sql\n(.*?)```", section, re.S)
    assert match is not None
    return match.group(1)


def test_the_documented_recipe_is_the_generated_one():
    assert _recipe_in_docs() == citus.recipe()


def _postgres(backend: Backend) -> psycopg.Connection:
    if backend.name != "postgresql":
        pytest.skip("the live schema is PostgreSQL's")
    return psycopg.connect(backend.url)


def test_recipe_names_every_table_of_the_schema_once(backend: Backend):
    with _postgres(backend) as conn:
        tables = {
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            )
        }
    named = re.findall(r"^SELECT create_\w+_table\('(\w+)'", citus.recipe(), re.M)
    named += list(citus.LOCAL_TABLES)
    assert sorted(named) == sorted(tables)


def test_live_keys_carry_account_id(backend: Backend):
    """On the migrated PostgreSQL database, raw-SQL tables included: every unique index of a
    distributed table includes ``account_id``, and every foreign key between distributed
    tables pairs ``account_id`` with ``account_id``."""
    with _postgres(backend) as conn:
        uniques = conn.execute(
            "SELECT c.relname, i.relname, array_agg(a.attname::text) FROM pg_index x "
            "JOIN pg_class c ON c.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(x.indkey) "
            "WHERE x.indisunique AND n.nspname = current_schema() GROUP BY 1, 2"
        ).fetchall()
        fks = conn.execute(
            "SELECT c.relname, r.relname, k.conname, "
            "ARRAY(SELECT attname::text FROM pg_attribute WHERE attrelid = k.conrelid "
            "AND attnum = k.conkey[1]), "
            "ARRAY(SELECT attname::text FROM pg_attribute WHERE attrelid = k.confrelid "
            "AND attnum = k.confkey[1]) "
            "FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid "
            "JOIN pg_class r ON r.oid = k.confrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE k.contype = 'f' AND n.nspname = current_schema()"
        ).fetchall()
    for table, index, columns in uniques:
        if table in DISTRIBUTED:
            assert ACCOUNT in columns, f"{table}: unique index {index} {columns}"
    assert any(t == "lead_search" for t, *_ in uniques)
    for table, target, name, first, first_target in fks:
        if table in DISTRIBUTED and target in DISTRIBUTED:
            assert first == [ACCOUNT] and first_target == [ACCOUNT], (table, target, name)
        if table in REFERENCE:
            assert target in REFERENCE, (table, target, name)


@pytest.mark.parametrize(
    ("text", "locking_in"),
    [
        (
            "DELETE FROM oauth_codes WHERE account_id = $1 AND code_hash IN (SELECT code_hash "
            "FROM oauth_codes WHERE account_id = $1 LIMIT $2 FOR UPDATE SKIP LOCKED)",
            True,
        ),
        (
            "DELETE FROM oauth_codes WHERE account_id = $1 AND code_hash = ANY(ARRAY(SELECT "
            "code_hash FROM oauth_codes WHERE account_id = $1 LIMIT $2 FOR UPDATE SKIP LOCKED))",
            False,
        ),
    ],
)
def test_the_checker_finds_locking_reads_inside_in(text: str, locking_in: bool):
    assert analyse(text).locking_in is locking_in
