"""Capacity on paper, from measurement: CPU seconds per request, app and database.

Per request kind, against a real ``kommodore serve`` (core 0, one worker) on PostgreSQL:

- ``ceiling``: ``/__bench/ceiling`` (a lead's bytes from memory, the reference of
  bench/get_lead.py), wrk on core 1;
- ``get``: ``GET /api/v4/leads/{random id}?with=...``, wrk on core 1;
- ``list``: ``GET /api/v4/leads?limit=250&with=contacts&page={random full page}``, wrk;
- ``post``: ``POST /api/v4/leads`` of 250 leads (bench/ingest.py's bodies), one connection;
- ``patch``: ``PATCH /api/v4/leads/{id}`` moving one lead to the other stage, one connection.

For each: requests served, the server process group's CPU seconds (``/proc/PID/stat``,
utime+stime) per request, the CPU seconds per request of the PostgreSQL backends connected to
the bench database (``pg_stat_activity`` pids, ``/proc``; the pool's connections live as long as
the server, so the same backends are read before and after), of every ``postgres`` process
(background writers included, and whatever else on the machine uses PostgreSQL), and WAL bytes
per request (``pg_current_wal_lsn()`` before and after: cluster-wide, so other users of the
shared server add to it). pg_stat_statements is not loaded on the shared server and needs a
restart to be, so database time is CPU time of its processes. Ratios: each kind's app CPU per
request over the ceiling's, in the same round. Rounds repeat everything with a fresh server;
the table is medians with the range over rounds (the machine is shared, so spread matters).

    PG=postgresql://postgres@127.0.0.1:5432/kommodore_capacity
    .venv/bin/python bench/dataset.py --data-dir /tmp/kommodore-cap-pg --database-url $PG \\
        --leads 10000
    .venv/bin/python bench/capacity.py --data-dir /tmp/kommodore-cap-pg --database-url $PG

Without ``--database-url`` it runs on SQLite in the data dir (bench/dataset.py's default): the
database works inside the server process, so the app's figure holds it and the DB and WAL
columns are 0.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import psycopg

import ingest
from dataset import DEFAULT_SUBDOMAIN, IDS_FILE, TOKEN_FILE, analyze, mint_token, resolved_url
from get_lead import (
    CEILING_FILE,
    CEILING_PATH,
    LEAD_PATH,
    BenchError,
    Target,
    environment,
    fresh_token,
    group_cpu_seconds,
    pick_ceiling_lead,
    port_is_free,
    run_wrk,
    start_server,
    stop_server,
)
from revisions import LIST_PATH, PAGES_FILE, write_pages

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
KINDS = ("ceiling", "get", "list", "post", "patch", "post_hook", "patch_hook")
HOOK_PORT = 9  # the discard port: nothing listens, and no worker runs to try it
TICK = 100.0


def proc_cpu(pid: int) -> float:
    """utime+stime of one process in seconds (0 if it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def all_postgres_cpu() -> float:
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            comm, rest = stat.split("(", 1)[1].rsplit(")", 1)
            if comm == "postgres":
                f = rest.split()
                total += (int(f[11]) + int(f[12])) / TICK
    return total


class Meter:
    """CPU of the server, of the bench database's backends and of all PostgreSQL, and WAL."""

    def __init__(self, database_url: str | None, pgid: int) -> None:
        """Without ``database_url`` (SQLite) the database works inside the server process:
        its CPU is in the app's figure, and there is no WAL position to read."""
        self.conn = psycopg.connect(database_url, autocommit=True) if database_url else None
        self.db = database_url.rsplit("/", 1)[1] if database_url else ""
        self.pgid = pgid

    def backends(self) -> list[int]:
        if self.conn is None:
            return []
        rows = self.conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (self.db,),
        ).fetchall()
        return [r[0] for r in rows]

    def snapshot(self) -> dict[str, Any]:
        pids = self.backends()
        wal = 0
        if self.conn is not None:
            lsn = self.conn.execute("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn").fetchone()
            assert lsn is not None
            wal = int(lsn[0])
        return {
            "t": time.perf_counter(),
            "app": group_cpu_seconds(self.pgid),
            "backends": {p: proc_cpu(p) for p in pids},
            "pg_all": all_postgres_cpu(),
            "wal": wal,
        }

    def measure(self, step: Callable[[], int]) -> dict[str, Any]:
        before = self.snapshot()
        requests = step()
        after = self.snapshot()
        # backends present at both ends (the pool's); one opened mid-run counts from 0
        db = sum(cpu - before["backends"].get(pid, 0.0) for pid, cpu in after["backends"].items())
        wall = after["t"] - before["t"]
        return {
            "requests": requests,
            "seconds": round(wall, 3),
            "rps": round(requests / wall, 1),
            "app_cpu_ms": round(1000 * (after["app"] - before["app"]) / requests, 4),
            "db_cpu_ms": round(1000 * db / requests, 4),
            "pg_all_cpu_ms": round(1000 * (after["pg_all"] - before["pg_all"]) / requests, 4),
            "wal_bytes": round((after["wal"] - before["wal"]) / requests),
            "backends": len(after["backends"]),
        }

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


def setup(args: argparse.Namespace) -> tuple[ingest.Account, list[str]]:
    """The POST account (ingest.py's), its token, the list pages file and the ceiling bytes."""
    url = resolved_url(args.data_dir, args.database_url)
    acc = ingest.prepare(url, ingest.DEFAULT_SUBDOMAIN, args.seed)
    analyze(url)
    mint_token(args.data_dir, args.database_url, ingest.DEFAULT_SUBDOMAIN,
               args.data_dir / ingest.TOKEN_FILE)  # fmt: skip
    ids = (args.data_dir / IDS_FILE).read_text().split()
    write_pages(args.data_dir, len(ids))
    token = fresh_token(args.data_dir, args.database_url, DEFAULT_SUBDOMAIN)
    target = Target(args.data_dir, args.database_url, args.port, token)
    proc = start_server(target, "uvicorn", RESULTS / "capacity-setup.log", ceiling=False)
    try:
        _, body, _ = pick_ceiling_lead(target, ids, args.seed)
    finally:
        stop_server(proc)
    (args.data_dir / CEILING_FILE).write_bytes(body)
    return acc, ids


def one_round(
    args: argparse.Namespace, acc: ingest.Account, round_no: int
) -> dict[str, dict[str, Any]]:
    token = (args.data_dir / TOKEN_FILE).read_text().strip()
    target = Target(args.data_dir, args.database_url, args.port, token)
    proc = start_server(
        target,
        "uvicorn",
        RESULTS / f"capacity-server-{round_no}.log",
        extra_env={
            "KOMMODORE_WEBHOOK_WORKER_IN_PROCESS": "false",
            "KOMMODORE_OUTBOUND_ALLOW_LOOPBACK": "true",
        },
    )
    meter = Meter(args.database_url, proc.pid)
    out: dict[str, dict[str, Any]] = {}
    seed = args.seed + round_no
    ids_file, pages_file = args.data_dir / IDS_FILE, args.data_dir / PAGES_FILE

    def wrk(path: str, ids: Path | None, seconds: int) -> int:
        r = run_wrk(target, path, ids, seed, seconds, args.connections, proc.pid)
        return int(r["requests"])

    ingest_token = (args.data_dir / ingest.TOKEN_FILE).read_text().strip()
    client = ingest.Client(target.base, ingest_token, 1)
    http = httpx.Client(base_url=target.base, timeout=60,
                        headers={"Authorization": f"Bearer {ingest_token}"})  # fmt: skip
    try:
        for kind, path, ids in (("ceiling", CEILING_PATH, None),
                                ("get", LEAD_PATH, ids_file),
                                ("list", LIST_PATH, pages_file)):  # fmt: skip
            wrk(path, ids, args.warmup)
            out[kind] = meter.measure(lambda p=path, i=ids: wrk(p, i, args.seconds))  # type: ignore[misc]
        specs = ingest.lead_specs(f"cap{round_no}-{time.time_ns()}", 2 * args.posts + 2, seed,
                                  int(time.time()))  # fmt: skip
        bodies = [ingest.encode([ingest.api_item(acc, s) for s in batch]) for batch in specs]
        rnd = random.Random(seed)

        def patch(lead_ids: list[int]) -> int:
            for n, lead_id in enumerate(lead_ids):
                body = {"pipeline_id": acc.pipeline_id, "status_id": acc.stages[n % 2]}
                r = http.patch(f"/api/v4/leads/{lead_id}", json=body)
                if r.status_code != 200:
                    raise BenchError(f"PATCH answered {r.status_code}: {r.text[:300]}")
            return len(lead_ids)

        with ingest.pinned(ingest.CLIENT_CPU):
            created = client.run("POST", bodies[:2])
            for suffix, batch in (("", bodies[2 : 2 + args.posts]),
                                  ("_hook", bodies[2 + args.posts :])):  # fmt: skip
                hook = None
                if suffix:
                    # one webhook subscribed to both events: each write adds one body row and
                    # one delivery row to the outbox (no worker runs, nothing is delivered)
                    r = http.post("/api/v4/webhooks", json={
                        "destination": f"http://127.0.0.1:{HOOK_PORT}/capacity-{round_no}",
                        "settings": ["add_lead", "status_lead"]})  # fmt: skip
                    if r.status_code != 201:
                        raise BenchError(f"webhook: {r.status_code} {r.text[:300]}")
                    hook = r.json()["destination"]
                posted: list[list[int]] = []

                def posts(b: list[bytes] = batch, out: list[list[int]] = posted) -> int:
                    out.extend(client.run("POST", b))
                    return len(b)

                out["post" + suffix] = meter.measure(posts)
                leads = [i for chunk in created + posted for i in chunk]
                moves = rnd.sample(leads, min(len(leads), args.patches + 50))
                patch(moves[:50])
                out["patch" + suffix] = meter.measure(lambda m=moves: patch(m[50:]))  # type: ignore[misc]
                if hook is not None:
                    r = http.request("DELETE", "/api/v4/webhooks", json={"destination": hook})
                    if r.status_code not in (200, 204):
                        raise BenchError(f"webhook delete: {r.status_code} {r.text[:300]}")
    finally:
        client.close()
        http.close()
        meter.close()
        stop_server(proc)
    for kind, res in out.items():
        res["app_over_ceiling"] = round(res["app_cpu_ms"] / out["ceiling"]["app_cpu_ms"], 2)
        print(
            f"  round {round_no} {kind:10} {res['rps']:>8,.1f} req/s"
            f"  app {res['app_cpu_ms']:8.3f} ms"
            f"  db {res['db_cpu_ms']:8.3f} ms  pg all {res['pg_all_cpu_ms']:8.3f} ms"
            f"  wal {res['wal_bytes']:>9,} B  x ceiling {res['app_over_ceiling']}",
            flush=True,
        )
    return out


def medians(rounds: list[dict[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    keys = ("rps", "app_cpu_ms", "db_cpu_ms", "pg_all_cpu_ms", "wal_bytes", "app_over_ceiling")
    out: dict[str, dict[str, Any]] = {}
    for kind in KINDS:
        out[kind] = {}
        for key in keys:
            values = [r[kind][key] for r in rounds]
            out[kind][key] = {"median": statistics.median(values),
                              "min": min(values), "max": max(values)}  # fmt: skip
    return out


def table(summary: dict[str, dict[str, Any]]) -> str:
    names = {
        "ceiling": "`/__bench/ceiling` (reference)",
        "get": "GET /api/v4/leads/{id}",
        "list": "GET /api/v4/leads?limit=250&with=contacts",
        "post": "POST /api/v4/leads (250 leads)",
        "patch": "PATCH /api/v4/leads/{id} (stage move)",
        "post_hook": "POST /api/v4/leads (250 leads), 1 webhook subscribed",
        "patch_hook": "PATCH /api/v4/leads/{id}, 1 webhook subscribed",
    }

    def cell(v: dict[str, float], fmt: str) -> str:
        return f"{v['median']:{fmt}} ({v['min']:{fmt}} to {v['max']:{fmt}})"

    lines = ["| request | req/s | app CPU ms/req | x ceiling | DB backends CPU ms/req "
             "| all PostgreSQL CPU ms/req | WAL bytes/req |",
             "|---|---|---|---|---|---|---|"]  # fmt: skip
    for kind, s in summary.items():
        lines.append(
            f"| {names[kind]} | {cell(s['rps'], ',.0f')} | {cell(s['app_cpu_ms'], '.3f')}"
            f" | {cell(s['app_over_ceiling'], '.2f')} | {cell(s['db_cpu_ms'], '.3f')}"
            f" | {cell(s['pg_all_cpu_ms'], '.3f')} | {cell(s['wal_bytes'], ',.0f')} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-dir", type=Path, required=True)
    p.add_argument("--database-url", help="PostgreSQL; SQLite in the data dir without it")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--seconds", type=int, default=8)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--posts", type=int, default=30, help="250-lead POSTs measured a round")
    p.add_argument("--patches", type=int, default=600, help="stage moves measured a round")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--seed", type=int, default=16)
    args = p.parse_args(argv)
    RESULTS.mkdir(exist_ok=True)
    if not port_is_free(args.port):
        raise BenchError(f"something answers on port {args.port}")
    acc, _ = setup(args)
    rounds = []
    for n in range(1, args.rounds + 1):
        rounds.append(one_round(args, acc, n))
    summary = medians(rounds)
    report = {"environment": environment(), "args": {k: str(v) for k, v in vars(args).items()},
              "rounds": rounds, "summary": summary}  # fmt: skip
    path = RESULTS / f"capacity-{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps(report, indent=2))
    print(table(summary))
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
