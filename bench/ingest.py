"""Benchmark lead ingest through ``POST /api/v4/leads`` and a stage-moving ``PATCH`` stream,
each against its reference measured in the same run: the same rows written straight into the
same database by one ``executemany`` per table per batch.

Batches of 250 leads, each lead with 5 custom field values (text, numeric, select, date,
checkbox) and 2 tags (from a pool of 8 names). The API side: ``kommodore serve --workers 1``
pinned to core 0, this script as the client on core 1 (httpx, one connection, sequential
requests by default; ``--concurrency N`` runs N client threads). The reference, with the
server stopped and this process pinned to core 0: per batch, one transaction holding the ids
(``kommodore.db.bulk.allocate_ids``) and one ``executemany`` each for ``leads``,
``lead_custom_field_values`` and ``lead_tags`` (sqlite3, or psycopg, never ``COPY``); for the
update, one ``executemany`` of ``UPDATE leads SET status_id, pipeline_id, updated_at``.
Goal (the issue): API/reference at least 0.3 for both.

    .venv/bin/python bench/ingest.py --data-dir /tmp/kommodore-bench-ingest
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from dataset import analyze, mint_token, resolved_url, server_env
from get_lead import (
    BenchError,
    core_busy_seconds,
    group_cpu_seconds,
    http_get,
    port_is_free,
    server_source,
    stop_server,
)
from kommodore.db import sqlalchemy_url
from kommodore.db.bulk import allocate_ids, bulk_connection, insert_rows
from kommodore.db.migrate import upgrade
from kommodore.db.sqlite import PRAGMAS
from kommodore.demo.generator import create_demo
from launch import serve_command

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
SERVER_CPU, CLIENT_CPU = 0, 1
BATCH = 250
GOAL_RATIO = 0.3
INTERFERENCE = 0.05
"""Share of a core used by other processes above which a run is flagged."""
DEFAULT_SUBDOMAIN = "ingest"
TOKEN_FILE = "ingest-token.txt"  # noqa: S105 (a file name)
DEMO_LEADS = 100

FIELDS = (
    ("Ingest text", "text", ()),
    ("Ingest number", "numeric", ()),
    ("Ingest choice", "select", ("Alpha", "Beta", "Gamma", "Delta")),
    ("Ingest date", "date", ()),
    ("Ingest flag", "checkbox", ()),
)
"""The 5 lead fields every benchmark lead gets a value of, created once per account."""
TAG_POOL = tuple(f"ingest-{i}" for i in range(8))

LEAD_COLUMNS = (
    "account_id", "id", "name", "price", "price_minor", "responsible_user_id", "group_id",
    "pipeline_id", "status_id", "loss_reason_id", "source_id", "created_by", "updated_by",
    "created_at", "updated_at", "closed_at", "closest_task_at", "is_deleted", "score",
    "labor_cost", "is_price_computed", "is_price_modified_by_robot",
)  # fmt: skip
"""Every column the API writes for a new lead, in the order kommodore.leads.store writes them."""
VALUE_COLUMNS = (
    "account_id", "lead_id", "field_id", "position", "enum_id", "value_text", "value_number",
    "value_int", "value_json",
)  # fmt: skip
TAG_COLUMNS = ("account_id", "lead_id", "tag_id")
UPDATE_COLUMNS = ("status_id", "pipeline_id", "updated_at")


# --- the account ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    admin_id: int
    admin_group: int
    pipeline_id: int
    stages: tuple[int, int]
    """Two regular stages of the main pipeline; leads alternate between them."""
    fields: dict[str, tuple[int, tuple[int, ...]]]
    """type -> (field id, enum ids)."""
    tags: dict[str, int]


def prepare(url: str, subdomain: str, seed: int) -> Account:
    """The demo account (made once), plus the 5 fields and the tag pool inserted directly."""
    upgrade(url)
    create_demo(url, subdomain, DEMO_LEADS, seed)
    now = int(time.time())
    with bulk_connection(url) as conn:
        account_id = conn.execute(
            sa.text("SELECT id FROM accounts WHERE subdomain = :s"), {"s": subdomain}
        ).scalar_one()
        params = {"a": account_id}
        admin_id, admin_group = conn.execute(
            sa.text(
                "SELECT id, group_id FROM users WHERE account_id = :a AND is_admin AND is_active "
                "ORDER BY id LIMIT 1"
            ),
            params,
        ).one()
        pipeline_id = conn.execute(
            sa.text("SELECT id FROM pipelines WHERE account_id = :a AND is_main"), params
        ).scalar_one()
        stages = conn.execute(
            sa.text(
                "SELECT id FROM statuses WHERE account_id = :a AND pipeline_id = :p AND type = 0 "
                "AND id NOT IN (142, 143) ORDER BY sort, id LIMIT 2"
            ),
            {**params, "p": pipeline_id},
        ).scalars()
        stage_a, stage_b = stages
        fields = _ensure_fields(conn, account_id, now)
        tags = _ensure_tags(conn, account_id)
    return Account(
        account_id, admin_id, admin_group or 0, pipeline_id, (stage_a, stage_b), fields, tags
    )


def _ensure_fields(
    conn: sa.Connection, account_id: int, now: int
) -> dict[str, tuple[int, tuple[int, ...]]]:
    def existing() -> dict[str, tuple[int, tuple[int, ...]]]:
        found = {}
        for name, ftype, _ in FIELDS:
            field_id = conn.execute(
                sa.text(
                    "SELECT id FROM custom_fields WHERE account_id = :a AND entity_type = 'leads' "
                    "AND name = :n AND type = :t"
                ),
                {"a": account_id, "n": name, "t": ftype},
            ).scalar_one_or_none()
            if field_id is not None:
                enums = conn.execute(
                    sa.text(
                        "SELECT id FROM custom_field_enums WHERE account_id = :a "
                        "AND field_id = :f ORDER BY sort, id"
                    ),
                    {"a": account_id, "f": field_id},
                ).scalars()
                found[ftype] = (field_id, tuple(enums))
        return found

    found = existing()
    missing = [f for f in FIELDS if f[1] not in found]
    if not missing:
        return found
    ids = allocate_ids(conn, "custom_fields", len(missing))
    enum_ids = iter(allocate_ids(conn, "custom_field_enums", sum(len(f[2]) for f in missing)))
    field_rows, enum_rows = [], []
    for sort, (field_id, (name, ftype, labels)) in enumerate(zip(ids, missing, strict=True)):
        field_rows.append(
            (account_id, field_id, "leads", name, None, 9000 + sort, ftype, False, False, True,
             False, None, None, "[]", None, None, None, None, None, now, now)
        )  # fmt: skip
        enum_rows += [
            (account_id, next(enum_ids), field_id, label, 500 * (j + 1), None)
            for j, label in enumerate(labels)
        ]
    insert_rows(
        conn,
        "custom_fields",
        ("account_id", "id", "entity_type", "name", "code", "sort", "type", "is_computed",
         "is_predefined", "is_deletable", "is_api_only", "group_id", "required_statuses",
         "hidden_statuses", "remind", "currency", "chained_lists", "tracking_callback",
         "search_in", "created_at", "updated_at"),
        field_rows,
    )  # fmt: skip
    insert_rows(
        conn,
        "custom_field_enums",
        ("account_id", "id", "field_id", "value", "sort", "code"),
        enum_rows,
    )
    return existing()


def _ensure_tags(conn: sa.Connection, account_id: int) -> dict[str, int]:
    """The pool's lead tags, made now so that neither side pays for creating them."""

    def existing() -> dict[str, int]:
        rows = conn.execute(
            sa.text(
                "SELECT name, id FROM tags WHERE account_id = :a AND entity_type = 'leads' "
                "AND name LIKE 'ingest-%'"
            ),
            {"a": account_id},
        )
        return {r[0]: r[1] for r in rows if r[0] in TAG_POOL}

    found = existing()
    missing = [name for name in TAG_POOL if name not in found]
    if missing:
        ids = allocate_ids(conn, "tags", len(missing))
        insert_rows(
            conn,
            "tags",
            ("account_id", "id", "entity_type", "name", "color"),
            [(account_id, i, "leads", name, None) for i, name in zip(ids, missing, strict=True)],
        )
        found = existing()
    return found


# --- what each lead holds (the same for both sides) -----------------------------------------


@dataclass(frozen=True, slots=True)
class LeadSpec:
    name: str
    price: int
    stage: int
    text: str
    number: int
    choice: int
    date: int
    flag: bool
    tags: tuple[str, str]


def lead_specs(run: str, batches: int, seed: int, now: int) -> list[list[LeadSpec]]:
    rnd = random.Random(seed)
    out = []
    for b in range(batches):
        batch = []
        for i in range(BATCH):
            t1, t2 = rnd.sample(TAG_POOL, 2)
            batch.append(
                LeadSpec(
                    name=f"Ingest {run} {b}-{i}",
                    price=rnd.randrange(0, 100_000, 100),
                    stage=i % 2,
                    text=f"ORD-{run}-{b:04d}-{i:03d}",
                    number=rnd.randrange(1, 1_000_000),
                    choice=rnd.randrange(4),
                    date=now - rnd.randrange(365 * 86_400),
                    flag=rnd.random() < 0.5,
                    tags=(t1, t2),
                )
            )
        out.append(batch)
    return out


def api_item(acc: Account, spec: LeadSpec) -> dict[str, Any]:
    f = acc.fields
    return {
        "name": spec.name,
        "price": spec.price,
        "pipeline_id": acc.pipeline_id,
        "status_id": acc.stages[spec.stage],
        "custom_fields_values": [
            {"field_id": f["text"][0], "values": [{"value": spec.text}]},
            {"field_id": f["numeric"][0], "values": [{"value": spec.number}]},
            {"field_id": f["select"][0], "values": [{"enum_id": f["select"][1][spec.choice]}]},
            {"field_id": f["date"][0], "values": [{"value": spec.date}]},
            {"field_id": f["checkbox"][0], "values": [{"value": spec.flag}]},
        ],
        "_embedded": {"tags": [{"name": spec.tags[0]}, {"name": spec.tags[1]}]},
    }


def lead_row(acc: Account, lead_id: int, spec: LeadSpec, now: int) -> tuple[Any, ...]:
    a = acc.admin_id
    return (
        acc.id, lead_id, spec.name, spec.price, 0, a, acc.admin_group, acc.pipeline_id,
        acc.stages[spec.stage], None, None, a, a, now, now, None, None, False, None, None,
        False, False,
    )  # fmt: skip


def value_rows(acc: Account, lead_id: int, spec: LeadSpec) -> list[tuple[Any, ...]]:
    """The rows the API stores for :func:`api_item`'s values (checked against it each run)."""
    a, f = acc.id, acc.fields
    return [
        (a, lead_id, f["text"][0], 0, None, spec.text, None, None, None),
        (a, lead_id, f["numeric"][0], 0, None, str(spec.number), float(spec.number), None, None),
        (a, lead_id, f["select"][0], 0, f["select"][1][spec.choice], None, None, None, None),
        (a, lead_id, f["date"][0], 0, None, None, None, spec.date, None),
        (a, lead_id, f["checkbox"][0], 0, None, None, None, int(spec.flag), None),
    ]


def tag_rows(acc: Account, lead_id: int, spec: LeadSpec) -> list[tuple[int, int, int]]:
    return [(acc.id, lead_id, acc.tags[spec.tags[0]]), (acc.id, lead_id, acc.tags[spec.tags[1]])]


ROWS_PER_LEAD = 1 + len(FIELDS) + 2


# --- measuring ------------------------------------------------------------------------------


@contextlib.contextmanager
def pinned(core: int) -> Iterator[None]:
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {core})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def checkpoint(url: str) -> None:
    """Empty SQLite's WAL before a measured phase, so that neither side inherits the other's
    checkpoint work (the reference's update otherwise took 2.7 or 5 ms a batch by chance)."""
    if url.startswith("sqlite:///"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            conn.execute("PRAGMA busy_timeout=10000")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        finally:
            conn.close()


def postgres_cpu_seconds() -> float:
    """User+system CPU of every live ``postgres`` process (the server and its backends)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        comm, rest = stat.split("(", 1)[1].rsplit(")", 1)
        if comm == "postgres":
            fields = rest.split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def measure(
    url: str, leads: int, step: Callable[[], object], server_pgid: int | None = None
) -> dict[str, Any]:
    """Wall time and CPU shares: this process, the server, PostgreSQL, each core, and what
    other processes used (a busy machine slows either side and spoils the ratio)."""
    checkpoint(url)
    me = resource.getrusage(resource.RUSAGE_SELF)
    server = group_cpu_seconds(server_pgid) if server_pgid else 0.0
    postgres, cores = postgres_cpu_seconds(), core_busy_seconds()
    began = time.perf_counter()
    step()
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_SELF)
    own = (after.ru_utime - me.ru_utime) + (after.ru_stime - me.ru_stime)
    server = group_cpu_seconds(server_pgid) - server if server_pgid else 0.0
    postgres = postgres_cpu_seconds() - postgres
    busy = {k: v - cores[k] for k, v in core_busy_seconds().items()}
    others = sum(busy.values()) - own - server - postgres
    shares = {
        "this_process": own / wall,
        **({"server": server / wall} if server_pgid else {}),
        "postgres": postgres / wall,
        **{f"core{k}_busy": v / wall for k, v in busy.items()},
        "other_processes": max(0.0, others / wall),
    }
    return {
        "leads": leads,
        "rows": leads * ROWS_PER_LEAD,
        "seconds": round(wall, 4),
        "leads_per_s": round(leads / wall, 1),
        "ms_per_batch": round(1000 * wall / (leads / BATCH), 3),
        "cpu_share": {k: round(v, 3) for k, v in shares.items()},
    }


def report_line(side: str, kind: str, result: dict[str, Any]) -> None:
    others = result["cpu_share"]["other_processes"]
    print(f"  {side:9} {kind:6} {result['leads_per_s']:>9,.0f} leads/s "
          f"({result['ms_per_batch']:.1f} ms a batch)", flush=True)  # fmt: skip
    if others > INTERFERENCE:
        print(f"  warning: other processes used {others:.0%} of a core during this run")


# --- the API side ---------------------------------------------------------------------------


def start_server(
    data_dir: Path, database_url: str | None, port: int, server: str, log_path: Path
) -> subprocess.Popen[bytes]:
    env = server_env(data_dir, database_url)
    env.update(KOMMODORE_ACCESS_LOG="false", KOMMODORE_LOG_LEVEL="warning")
    cmd = serve_command(port, server)
    log = log_path.open("ab")  # appended to, round after round
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True, cwd=data_dir)  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"{server} exited with {proc.returncode}; see {log_path}")
        with contextlib.suppress(OSError):
            if http_get(f"http://127.0.0.1:{port}/healthz", timeout=1)[0] == 200:
                return proc
        time.sleep(0.2)
    stop_server(proc)
    raise BenchError(f"{server} did not answer /healthz within 60 s; see {log_path}")


class Client:
    """``concurrency`` keep-alive connections; batches go out in order, ``concurrency`` at a
    time, and every answer must be a 200 naming all 250 leads."""

    def __init__(self, base: str, token: str, concurrency: int) -> None:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.local = threading.local()
        self.make: Callable[[], httpx.Client] = lambda: httpx.Client(
            base_url=base, headers=headers, timeout=120
        )
        self.clients: list[httpx.Client] = []
        self.pool = ThreadPoolExecutor(concurrency) if concurrency > 1 else None

    def _http(self) -> httpx.Client:
        http: httpx.Client | None = getattr(self.local, "http", None)
        if http is None:
            http = self.local.http = self.make()
            self.clients.append(http)
        return http

    def _send(self, method: str, body: bytes) -> list[int]:
        response = self._http().request(method, "/api/v4/leads", content=body)
        if response.status_code != 200:
            raise BenchError(f"{method} answered {response.status_code}: {response.text[:500]}")
        leads = response.json()["_embedded"]["leads"]
        if len(leads) != BATCH:
            raise BenchError(f"{method} answered {len(leads)} leads for {BATCH}")
        return [lead["id"] for lead in leads]

    def run(self, method: str, bodies: Sequence[bytes]) -> list[list[int]]:
        if self.pool is None:
            return [self._send(method, body) for body in bodies]
        return list(self.pool.map(lambda body: self._send(method, body), bodies))

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()
        for http in self.clients:
            http.close()


def encode(items: list[dict[str, Any]]) -> bytes:
    return json.dumps(items, separators=(",", ":")).encode()


def api_run(
    args: argparse.Namespace, acc: Account, token: str, warm: list[list[LeadSpec]],
    measured: list[list[LeadSpec]], log_dir: Path,
) -> tuple[dict[str, Any], list[int]]:  # fmt: skip
    """Start the server, post the warm-up then the measured batches, then move them all."""
    url = resolved_url(args.data_dir, args.database_url)
    proc = start_server(args.data_dir, args.database_url, args.port, args.server,
                        log_dir / "server.log")  # fmt: skip
    client = Client(f"http://127.0.0.1:{args.port}", token, args.concurrency)
    try:
        with pinned(CLIENT_CPU):
            warm_bodies = [encode([api_item(acc, s) for s in batch]) for batch in warm]
            bodies = [encode([api_item(acc, s) for s in batch]) for batch in measured]
            warm_ids = client.run("POST", warm_bodies)
            created: list[list[int]] = []
            ingest = measure(
                url,
                len(measured) * BATCH,
                lambda: created.extend(client.run("POST", bodies)),
                proc.pid,
            )
            report_line("API", "ingest", ingest)

            def moves(batches: list[list[LeadSpec]], ids: list[list[int]]) -> list[bytes]:
                return [
                    encode([
                        {"id": lead_id, "pipeline_id": acc.pipeline_id,
                         "status_id": acc.stages[1 - spec.stage]}
                        for spec, lead_id in zip(batch, batch_ids, strict=True)
                    ])
                    for batch, batch_ids in zip(batches, ids, strict=True)
                ]  # fmt: skip

            warm_moves, patch_bodies = moves(warm, warm_ids), moves(measured, created)
            client.run("PATCH", warm_moves)
            update = measure(
                url, len(measured) * BATCH, lambda: client.run("PATCH", patch_bodies), proc.pid
            )
            report_line("API", "update", update)
    finally:
        client.close()
        stop_server(proc)
    return {"ingest": ingest, "update": update}, [i for batch in created for i in batch]


def _select(
    table: str, columns: Sequence[str], account_id: int, order_by: str = "", **where: int
) -> sa.Executable:
    """``SELECT columns FROM table WHERE account_id = ... AND key = ...``, the values bound."""
    conditions = [sa.column("account_id") == account_id]
    conditions += [sa.column(key) == value for key, value in where.items()]
    order: list[sa.ColumnClause[Any]] = [sa.column(order_by)] if order_by else []
    return (
        sa.select(*(sa.column(c) for c in columns))
        .select_from(sa.table(table))
        .where(*conditions)
        .order_by(*order)
    )


def check_api_rows(url: str, acc: Account, measured: list[list[LeadSpec]], ids: list[int]) -> None:
    """The API stored exactly the rows the reference inserts (leads moved once since)."""
    engine = sa.create_engine(sqlalchemy_url(url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            for position in (0, len(ids) - 1):
                lead_id, spec = ids[position], measured[position // BATCH][position % BATCH]
                got = conn.execute(
                    _select("lead_custom_field_values", VALUE_COLUMNS, acc.id, "field_id",
                            lead_id=lead_id)
                ).all()  # fmt: skip
                want = sorted(value_rows(acc, lead_id, spec), key=lambda r: r[2])
                if [tuple(r) for r in got] != want:
                    raise BenchError(f"lead {lead_id}: values {got} are not {want}")
                tags = conn.execute(
                    sa.text("SELECT tag_id FROM lead_tags WHERE account_id = :a AND lead_id = :l"),
                    {"a": acc.id, "l": lead_id},
                ).scalars()
                if sorted(tags) != sorted(r[2] for r in tag_rows(acc, lead_id, spec)):
                    raise BenchError(f"lead {lead_id}: other tags than asked")
                row = conn.execute(_select("leads", LEAD_COLUMNS, acc.id, id=lead_id)).one()
                want_row = lead_row(acc, lead_id, spec, row.created_at)
                moved = {"status_id": acc.stages[1 - spec.stage], "updated_at": row.updated_at}
                want_row = tuple(
                    moved.get(c, v) for c, v in zip(LEAD_COLUMNS, want_row, strict=True)
                )
                if tuple(row) != want_row:
                    raise BenchError(f"lead {lead_id}: row {tuple(row)} is not {want_row}")
            counts = conn.execute(
                sa.text(
                    "SELECT (SELECT count(*) FROM lead_custom_field_values "
                    "        WHERE account_id = :a AND lead_id BETWEEN :lo AND :hi), "
                    "       (SELECT count(*) FROM lead_tags "
                    "        WHERE account_id = :a AND lead_id BETWEEN :lo AND :hi)"
                ),
                {"a": acc.id, "lo": min(ids), "hi": max(ids)},
            ).one()
            if tuple(counts) != (len(FIELDS) * len(ids), 2 * len(ids)):
                raise BenchError(f"value and tag rows {tuple(counts)} for {len(ids)} leads")
    finally:
        engine.dispose()


# --- the reference --------------------------------------------------------------------------


def reference_engine(url: str) -> sa.Engine:
    """A plain connection with the server's own SQLite pragmas (WAL, synchronous=NORMAL...)."""
    engine = sa.create_engine(sqlalchemy_url(url), poolclass=sa.pool.NullPool)
    if engine.dialect.name == "sqlite":

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _: Any) -> None:
            for pragma in PRAGMAS:
                dbapi_conn.execute(pragma)

    return engine


def _statement(dialect: str, sql: str) -> str:
    return sql.replace("?", "%s") if dialect == "postgresql" else sql


def _insert(dialect: str, table: str, columns: Sequence[str]) -> str:
    """``INSERT INTO table (columns) VALUES (?, ...)`` for a DB-API ``executemany``."""
    names, marks = ", ".join(columns), ", ".join("?" * len(columns))
    sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608 (fixed names, markers)
    return _statement(dialect, sql)


def reference_run(
    url: str, acc: Account, warm: list[list[LeadSpec]], measured: list[list[LeadSpec]]
) -> dict[str, Any]:
    engine = reference_engine(url)
    dialect = engine.dialect.name

    insert_lead = _insert(dialect, "leads", LEAD_COLUMNS)
    insert_value = _insert(dialect, "lead_custom_field_values", VALUE_COLUMNS)
    insert_tag = _insert(dialect, "lead_tags", TAG_COLUMNS)
    update = _statement(
        dialect,
        "UPDATE leads SET status_id = ?, pipeline_id = ?, updated_at = ? "
        "WHERE account_id = ? AND id = ?",
    )
    created: list[list[int]] = []

    def ingest(conn: sa.Connection, batches: list[list[LeadSpec]]) -> None:
        for batch in batches:
            with conn.begin():
                now = int(time.time())
                ids = allocate_ids(conn, "leads", len(batch))
                leads, values, tags = [], [], []
                for lead_id, spec in zip(ids, batch, strict=True):
                    leads.append(lead_row(acc, lead_id, spec, now))
                    values += value_rows(acc, lead_id, spec)
                    tags += tag_rows(acc, lead_id, spec)
                cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
                cur.executemany(insert_lead, leads)
                cur.executemany(insert_value, values)
                cur.executemany(insert_tag, tags)
                cur.close()
            created.append(list(ids))

    def move(conn: sa.Connection, batches: list[list[LeadSpec]], ids: list[list[int]]) -> None:
        for batch, batch_ids in zip(batches, ids, strict=True):
            with conn.begin():
                now = int(time.time())
                rows = [
                    (acc.stages[1 - spec.stage], acc.pipeline_id, now, acc.id, lead_id)
                    for spec, lead_id in zip(batch, batch_ids, strict=True)
                ]
                cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
                cur.executemany(update, rows)
                cur.close()

    try:
        with pinned(SERVER_CPU), engine.connect() as conn:
            ingest(conn, warm)
            warm_ids = list(created)
            created.clear()
            result = {"ingest": measure(url, len(measured) * BATCH, lambda: ingest(conn, measured))}
            report_line("reference", "ingest", result["ingest"])
            move(conn, warm, warm_ids)
            result["update"] = measure(
                url, len(measured) * BATCH, lambda: move(conn, measured, created)
            )
            report_line("reference", "update", result["update"])
    finally:
        engine.dispose()
    return result


# --- the report -----------------------------------------------------------------------------


def environment() -> dict[str, Any]:
    def git(*a: str) -> str:
        out = subprocess.run(["git", *a], cwd=REPO, capture_output=True, text=True, check=False)
        return out.stdout.strip()

    model = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")), platform.processor())  # fmt: skip
    versions = {}
    for name in ("starlette", "uvicorn", "granian", "uvloop", "msgspec", "asyncpg", "psycopg",
                 "httpx"):  # fmt: skip
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[name] = metadata.version(name)
    return {
        "git_commit": git("rev-parse", "HEAD"),
        "git_dirty": git("status", "--porcelain", "--", "src").splitlines(),
        "server_source": server_source(),
        "python": platform.python_version(),
        "sqlite": __import__("sqlite3").sqlite_version,
        "packages": versions,
        "cpu": model,
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "loadavg_before": os.getloadavg(),
    }


def one_round(
    args: argparse.Namespace, url: str, acc: Account, token: str, tag: str, log_dir: Path
) -> dict[str, Any]:
    """The API run, its rows checked, then the reference; new leads each time."""
    now = int(time.time())
    api_warm = lead_specs(f"{tag}a", args.warmup, args.seed, now)
    api_measured = lead_specs(f"{tag}A", args.batches, args.seed + 1, now)
    ref_warm = lead_specs(f"{tag}r", args.warmup, args.seed, now)
    ref_measured = lead_specs(f"{tag}R", args.batches, args.seed + 1, now)
    run: dict[str, Any] = {}
    run["api"], ids = api_run(args, acc, token, api_warm, api_measured, log_dir)
    check_api_rows(url, acc, api_measured, ids)
    analyze(url)
    run["reference"] = reference_run(url, acc, ref_warm, ref_measured)
    analyze(url)
    run["ratios"] = {
        kind: round(run["api"][kind]["leads_per_s"] / run["reference"][kind]["leads_per_s"], 4)
        for kind in ("ingest", "update")
    }
    print(f"  API/reference: ingest {run['ratios']['ingest']:.3f}, "
          f"update {run['ratios']['update']:.3f}", flush=True)  # fmt: skip
    return run


def table(report: dict[str, Any]) -> str:
    lines = [
        f"| {report['dataset']['dialect']} | API leads/s | reference leads/s | API/reference "
        f"| goal >= {GOAL_RATIO} |",
        "|---|---:|---:|---:|---|",
    ]
    medians = report["medians"]
    for kind in ("ingest", "update"):
        api, ref = medians["api"][kind], medians["reference"][kind]
        ratio = medians["ratios"][kind]
        lines.append(
            f"| {kind} | {api:,.0f} | {ref:,.0f} | {ratio:.3f} | "
            f"{'met' if ratio >= GOAL_RATIO else 'NOT met'} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data-dir", type=Path, required=True, help="holds the SQLite file and the signing key"
    )
    parser.add_argument(
        "--database-url", default=None, help="postgresql://... (default: SQLite in --data-dir)"
    )
    parser.add_argument("--batches", type=int, default=40, help="measured batches of 250 leads")
    parser.add_argument("--warmup", type=int, default=2, help="batches before measuring")
    parser.add_argument("--rounds", type=int, default=3, help="API then reference, N times")
    parser.add_argument("--concurrency", type=int, default=1, help="client connections")
    parser.add_argument("--server", choices=["uvicorn", "granian"], default="uvicorn")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--subdomain", default=DEFAULT_SUBDOMAIN)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--label", default="", help="added to the results file name")
    args = parser.parse_args(argv)
    if (os.cpu_count() or 1) < 2:
        parser.error("needs 2 cores: the server runs on core 0, the client on core 1")
    if not port_is_free(args.port):
        parser.error(f"something already answers on 127.0.0.1:{args.port}")

    args.data_dir = args.data_dir.resolve()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    url = resolved_url(args.data_dir, args.database_url)
    dialect = "postgresql" if url.startswith("postgres") else "sqlite"
    acc = prepare(url, args.subdomain, args.seed)
    analyze(url)
    token = mint_token(args.data_dir, args.database_url, args.subdomain,
                       args.data_dir / TOKEN_FILE)  # fmt: skip

    stamp = time.strftime("%Y%m%d-%H%M%S")
    label = f"-{args.label}" if args.label else ""
    name = f"ingest-{dialect}-{args.batches * BATCH}leads{label}-{stamp}"
    RESULTS.mkdir(exist_ok=True)
    log_dir = RESULTS / name
    log_dir.mkdir()
    print(
        f"{dialect}: {args.rounds} round(s) of {args.batches} batches of {BATCH} leads "
        f"({len(FIELDS)} values and 2 tags each) after {args.warmup} warm-up batches, "
        f"client concurrency {args.concurrency}, {args.server}"
    )
    report: dict[str, Any] = {
        "benchmark": "POST and PATCH /api/v4/leads vs executemany per table",
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "dataset": {"dialect": dialect, "data_dir": str(args.data_dir), "account_id": acc.id},
        "params": {"rounds": args.rounds, "batches": args.batches, "batch": BATCH,
                   "warmup_batches": args.warmup, "values_per_lead": len(FIELDS),
                   "tags_per_lead": 2, "rows_per_lead": ROWS_PER_LEAD,
                   "concurrency": args.concurrency, "server": args.server,
                   "server_core": SERVER_CPU, "client_core": CLIENT_CPU,
                   "reference_core": SERVER_CPU},
        "environment": environment(),
        "runs": [],
    }  # fmt: skip
    failed: BenchError | None = None
    try:
        for round_no in range(1, args.rounds + 1):
            report["runs"].append(one_round(args, url, acc, token, f"{stamp}-{round_no}", log_dir))
    except BenchError as exc:
        failed = exc
        report["failed"] = str(exc)
    if report["runs"]:
        report["medians"] = {
            side: {
                kind: statistics.median(r[side][kind]["leads_per_s"] for r in report["runs"])
                for kind in ("ingest", "update")
            }
            for side in ("api", "reference")
        }
        report["medians"]["ratios"] = {
            kind: statistics.median(r["ratios"][kind] for r in report["runs"])
            for kind in ("ingest", "update")
        }
        report["goals"] = {
            f"{k}_ge_{GOAL_RATIO}": v >= GOAL_RATIO for k, v in report["medians"]["ratios"].items()
        }
    report["loadavg_after"] = os.getloadavg()
    out = RESULTS / f"{name}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    if failed is not None:
        print(f"BENCHMARK FAILED: {failed}", file=sys.stderr)
        print(f"results: {out.relative_to(REPO)}")
        return 1
    print()
    print(table(report))
    print(f"\nresults: {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
