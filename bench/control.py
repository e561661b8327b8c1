"""The control plane's speed through a real server: resets, snapshots and restores.

For each database (SQLite in a data dir, PostgreSQL in a database this script creates for the
purpose) and each demo size (``--leads``, default 2,000 and 100,000), one ``kommodore serve``
pinned to core 0 (bench/launch.py) and this client on core 1, one keep-alive connection:

1. ``POST /_kommodore/reset {"to": "demo", "leads": N}`` the first time builds the demo
   account (timed and reported apart: ``build``); an admin token is minted with the CLI and the
   state saved as the snapshot ``bench`` (so that the token comes back with it).
2. Then ``--rounds`` + 1 times (the first time of each is reported apart, ``first``; it pays for
   what is cached afterwards, such as the freshly migrated database a reset to empty restores):
   ``reset`` to empty, ``reset`` to the cached demo, ``restore`` of ``bench``, ``save`` of a
   snapshot ``bench-save``; every answer is checked, and after the restore so is a lead.
3. The reference, measured in the same round: ``GET /api/v4/leads/{id}?with=...`` (as
   bench/get_lead.py) round trips on the same connection, ``--gets`` of them over the account's
   leads, their median. On SQLite a second one: copying the snapshot file ``bench`` with
   ``shutil.copyfile`` (what a restore moves, at the file system's speed).

Figures: milliseconds (median and p90 over the rounds) and each operation over the reference
(the median of the per-round ratios): a reset of 300 means it took as long as 300 lead reads.
Absolute times depend on the machine; the ratios much less (docs/performance.md).

    .venv/bin/python bench/control.py                                # both databases, both sizes
    .venv/bin/python bench/control.py --database sqlite --leads 2000 --rounds 9
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from dataset import mint_token
from get_lead import (
    LEAD_PATH,
    BenchError,
    Target,
    environment,
    port_is_free,
    start_server,
    stop_server,
)
from launch import imported_from

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
CONTROL_TOKEN = "bench-control-token"  # noqa: S105 (a loopback-only server's, made up here)
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE = "kommodore_bench_control"
OPERATIONS = ("reset empty", "reset demo", "restore", "save")
CLIENT_CPU = 1


@dataclass(frozen=True, slots=True)
class Client:
    """One keep-alive connection to the server on loopback."""

    conn: http.client.HTTPConnection

    def call(self, method: str, path: str, body: Any = None, token: str = CONTROL_TOKEN,
             expect: int = 200) -> tuple[float, bytes]:  # fmt: skip
        """Seconds from sending to the last byte of the answer, and the answer's body."""
        headers = {"Authorization": f"Bearer {token}"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        began = time.perf_counter()
        self.conn.request(method, path, body=payload, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        took = time.perf_counter() - began
        if response.status != expect:
            raise BenchError(
                f"{method} {path}: {response.status} (wanted {expect}): {data[:300]!r}"
            )
        return took, data


@dataclass
class Case:
    database: str
    leads: int
    build_ms: float = 0.0
    first: dict[str, float] = field(default_factory=dict)
    rounds: list[dict[str, float]] = field(default_factory=list)
    """Per round: each operation's ms, ``get`` (the median lead read, ms) and on SQLite ``copy``
    (the snapshot file copied, ms)."""
    snapshot_bytes: int | None = None
    server_log: str = ""

    def summary(self) -> dict[str, dict[str, float | None]]:
        out: dict[str, dict[str, float | None]] = {}
        for name in (*OPERATIONS, "get", "copy"):
            values = [r[name] for r in self.rounds if name in r]
            if not values:
                continue
            per_get = [r[name] / r["get"] for r in self.rounds if name in r]
            per_copy = [r[name] / r["copy"] for r in self.rounds if "copy" in r]
            out[name] = {
                "first_ms": self.first.get(name),
                "median_ms": statistics.median(values),
                "p90_ms": _p90(values),
                "over_get": statistics.median(per_get),
                "over_copy": statistics.median(per_copy) if per_copy else None,
            }
        return out


def _p90(values: list[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=10, method="inclusive")[8]


# --- one database and size ------------------------------------------------------------------


def _pg_url(admin_url: str, name: str) -> str:
    return admin_url.rsplit("/", 1)[0] + "/" + name


def _recreate_database(admin_url: str, name: str, *, drop_only: bool = False) -> None:
    """The benchmark's own database, made afresh (it is never one the script did not name)."""
    assert name.startswith(DATABASE), name
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        if not drop_only:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _lead_ids(client: Client, token: str, count: int) -> list[int]:
    _, data = client.call("GET", "/api/v4/leads?limit=250", token=token)
    ids = [lead["id"] for lead in json.loads(data)["_embedded"]["leads"]]
    if not ids:
        raise BenchError("the demo account has no leads to read")
    return ids[:count]


def _reference_get(client: Client, token: str, ids: list[int], gets: int, rnd: random.Random
                   ) -> float:  # fmt: skip
    """The median of ``gets`` lead reads, in ms (the first of them, a warm-up, left out)."""
    times = []
    for _ in range(gets + 1):
        lead = rnd.choice(ids)
        took, data = client.call("GET", LEAD_PATH.format(id=lead), token=token)
        if json.loads(data)["id"] != lead:
            raise BenchError(f"GET lead {lead} answered another lead")
        times.append(took)
    return statistics.median(times[1:]) * 1000


def run_case(database: str, leads: int, args: argparse.Namespace, work: Path) -> Case:
    case = Case(database, leads)
    data_dir = work / f"{database}-{leads}"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    database_url = None
    if database == "postgresql":
        _recreate_database(args.postgres_url, args.database_name)
        database_url = _pg_url(args.postgres_url, args.database_name)
    target = Target(data_dir, database_url, args.port, "")
    log = RESULTS / f"control-{args.stamp}-server-{database}-{leads}.log"
    case.server_log = str(log)
    extra = {"KOMMODORE_CONTROL_API": "true", "KOMMODORE_CONTROL_TOKEN": CONTROL_TOKEN,
             "PYTHONPATH": os.environ["PYTHONPATH"]}  # fmt: skip
    proc = start_server(target, "uvicorn", log, ceiling=False, extra_env=extra)
    try:
        print(f"{database}, {leads:,} leads: server imported {imported_from(log)}")
        client = Client(http.client.HTTPConnection("127.0.0.1", args.port, timeout=3600))
        demo = {"to": "demo", "seed": args.seed, "leads": leads}
        took, data = client.call("POST", "/_kommodore/reset", demo)
        case.build_ms = took * 1000
        answer = json.loads(data)
        if answer["account"]["leads"] != leads:
            raise BenchError(f"the demo has {answer['account']['leads']} leads, not {leads}")
        subdomain = answer["account"]["subdomain"]
        print(f"  build {case.build_ms:,.0f} ms (the first reset to this demo)")
        token = mint_token(data_dir, database_url, subdomain, data_dir / "bench-token.txt")
        client.call("POST", "/_kommodore/snapshots", {"name": "bench"}, expect=201)
        ids = _lead_ids(client, token, 250)
        rnd = random.Random(args.seed)
        if database == "sqlite":
            case.snapshot_bytes = (data_dir / "snapshots" / "bench.sqlite").stat().st_size
        for n in range(args.rounds + 1):
            row: dict[str, float] = {}
            took, data = client.call("POST", "/_kommodore/reset", {})
            if json.loads(data) != {"to": "empty"}:
                raise BenchError(f"reset to empty answered {data!r}")
            row["reset empty"] = took * 1000
            client.call("GET", LEAD_PATH.format(id=ids[0]), token=token, expect=401)
            took, data = client.call("POST", "/_kommodore/reset", demo)
            if json.loads(data)["account"] != answer["account"]:
                raise BenchError(f"reset to the demo answered {data!r}")
            row["reset demo"] = took * 1000
            took, data = client.call("POST", "/_kommodore/snapshots/bench/restore")
            if json.loads(data) != {"restored": "bench"}:
                raise BenchError(f"restore answered {data!r}")
            row["restore"] = took * 1000
            took, data = client.call("POST", "/_kommodore/snapshots", {"name": "bench-save"},
                                     expect=201)  # fmt: skip
            row["save"] = took * 1000
            row["get"] = _reference_get(client, token, ids, args.gets, rnd)
            if database == "sqlite":
                copy = work / "copy.sqlite"
                began = time.perf_counter()
                shutil.copyfile(data_dir / "snapshots" / "bench.sqlite", copy)
                row["copy"] = (time.perf_counter() - began) * 1000
                copy.unlink()
            if n == 0:
                case.first = row
            else:
                case.rounds.append(row)
            print("  " + ("first" if n == 0 else f"round {n}") + ": "
                  + ", ".join(f"{k} {v:,.1f} ms" for k, v in row.items()))  # fmt: skip
        client.conn.close()
    finally:
        stop_server(proc)
        if database == "postgresql" and not args.keep:
            _recreate_database(args.postgres_url, args.database_name, drop_only=True)
    return case


# --- output ---------------------------------------------------------------------------------


def table(cases: list[Case]) -> str:
    lines = [
        "| database | leads | operation | first ms | median ms | p90 ms | / GET by id "
        "| / file copy |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for case in cases:
        summary = case.summary()
        lines.append(f"| {case.database} | {case.leads:,} | build (first reset to the demo) | "
                     f"{case.build_ms:,.0f} | | | | |")  # fmt: skip
        for name, s in summary.items():
            reference = name in ("get", "copy")
            over_copy = "" if s["over_copy"] is None or reference else f"{s['over_copy']:.1f}"
            over_get = "" if reference else f"{s['over_get']:,.0f}"
            first = "" if s["first_ms"] is None else f"{s['first_ms']:,.1f}"
            figures = f"{s['median_ms']:,.1f} | {s['p90_ms']:,.1f} | {over_get} | {over_copy}"
            lines.append(f"| {case.database} | {case.leads:,} | {name} | {first} | {figures} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", action="append", choices=["sqlite", "postgresql"],
                        help="repeatable (default: both)")  # fmt: skip
    parser.add_argument("--leads", action="append", type=int,
                        help="the demo's size, repeatable (default: 2000 and 100000)")  # fmt: skip
    parser.add_argument("--rounds", type=int, default=7, help="measured, after the first")
    parser.add_argument("--gets", type=int, default=200, help="lead reads per round (reference)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES,
                        help="a database to connect to for CREATE/DROP DATABASE")  # fmt: skip
    parser.add_argument("--database-name", default=DATABASE,
                        help="made afresh per case, dropped at the end")  # fmt: skip
    parser.add_argument("--work-dir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the data dirs and database")
    parser.add_argument("--label", default="")
    args = parser.parse_args(argv)
    if not args.database_name.startswith(DATABASE):
        parser.error(f"--database-name must start with {DATABASE} (it is dropped)")
    if not port_is_free(args.port):
        parser.error(f"something already answers on 127.0.0.1:{args.port}")
    databases = args.database or ["sqlite", "postgresql"]
    sizes = args.leads or [2000, 100_000]
    # this checkout's code, for the server and the token CLI alike
    os.environ["PYTHONPATH"] = str(REPO / "src")
    with contextlib.suppress(OSError):
        os.sched_setaffinity(0, {CLIENT_CPU})
    stamp = args.stamp = time.strftime("%Y%m%d-%H%M%S")
    RESULTS.mkdir(exist_ok=True)
    work = (args.work_dir or Path(tempfile.mkdtemp(prefix=f"kommodore-control-{stamp}-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    env = environment()
    cases = []
    try:
        for database in databases:
            for leads in sizes:
                cases.append(run_case(database, leads, args, work))
    finally:
        label = f"-{args.label}" if args.label else ""
        out = RESULTS / f"control-{stamp}{label}.json"
        out.write_text(json.dumps({
            "environment": env, "args": {k: str(v) for k, v in vars(args).items()},
            "reference": "GET /api/v4/leads/{id} round trip (median); SQLite: snapshot file copy",
            "cases": [{"database": c.database, "leads": c.leads, "build_ms": c.build_ms,
                       "first": c.first, "rounds": c.rounds, "summary": c.summary(),
                       "snapshot_bytes": c.snapshot_bytes, "server_log": c.server_log}
                      for c in cases if c.rounds],
        }, indent=2))  # fmt: skip
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(table(cases))
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
