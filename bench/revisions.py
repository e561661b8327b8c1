"""Before and after: the same three workloads against two revisions of the server, in one run.

Issue 12's acceptance: "GET by id, a list page and a 250-lead POST measured before and after in
one run: no worse than 0.97 of before". Both servers run from this venv's interpreter, each with
``PYTHONPATH=<its tree>/src`` ahead of the editable install; the "before" tree is a ``git
archive`` snapshot of ``--before``, the "after" tree is this working tree unless ``--after``
names another worktree or a revision. Each server's first log line names the ``kommodore``
package it imported (bench/launch.py), and the run stops if it is not the side's tree.

One dataset, made once with the before revision's code (bench/dataset.py's account ``bench``
for the reads, bench/ingest.py's account ``ingest`` for the POSTs), and one copy of it per
side: SQLite, a copy of the data dir; PostgreSQL, two databases created from the dataset's as
a template. The after server migrates its copy at start-up if its code is newer.

Per round, a fresh server per side, both on core 0 (only the measured one loaded), and each
workload before then after, back to back (ABAB...):

- ``get``: ``GET /api/v4/leads/{random id}?with=...``, wrk on core 1 (random_lead.lua), as
  bench/get_lead.py;
- ``list``: ``GET /api/v4/leads?limit=250&with=contacts&page={random full page}``, wrk on core 1;
- ``post``: ``POST /api/v4/leads`` of 250 leads with 5 custom field values and 2 tags each
  (bench/ingest.py's bodies, the same bytes for both sides), one connection from core 1.

wrk warms up (other ids) before each measured run and the POSTs after warm-up batches. Any
answer other than 200, and any socket error, fails the run. Figures: req/s, medians over the
rounds, and after/before with the range of the per-round ratios (the noise floor when both
sides run the same code).

    .venv/bin/python bench/revisions.py --before main            # after: this working tree
    .venv/bin/python bench/revisions.py --before b29a85b --after ../wt-leads --rounds 5
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

import ingest
from dataset import DEFAULT_SUBDOMAIN, IDS_FILE, TOKEN_FILE, analyze, mint_token, resolved_url
from get_lead import (
    INTERFERENCE,
    LEAD_PATH,
    SERVER_CPU,
    BenchError,
    Target,
    environment,
    http_get,
    port_is_free,
    run_wrk,
    start_server,
    stop_server,
)
from launch import imported_from

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
SIDES = ("before", "after")
WORKLOADS = {
    "get": "GET " + LEAD_PATH.replace("{id}", "{random id}"),
    "list": "GET /api/v4/leads?limit=250&with=contacts&page={random full page}",
    "post": f"POST /api/v4/leads, {ingest.BATCH} leads a request",
}
SHORT = {
    "get": "GET /api/v4/leads/{id}",
    "list": "GET /api/v4/leads?limit=250&with=contacts",
    "post": f"POST /api/v4/leads ({ingest.BATCH} leads)",
}
"""The table's names of the workloads (the results file has the long ones)."""
LIST_PAGE = 250
LIST_PATH = f"/api/v4/leads?limit={LIST_PAGE}&with=contacts&page={{id}}"
PAGES_FILE = "bench-list-pages.txt"
"""The full list pages (1..N), one per line, for random_lead.lua to pick from."""
GOAL = 0.97
ACCOUNT_LINE = "ACCOUNT "
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


@dataclass(frozen=True, slots=True)
class Side:
    name: str
    spec: str
    """What was asked: a revision, or a worktree's directory."""
    src: Path
    """The directory put on PYTHONPATH (it holds the ``kommodore`` package)."""
    commit: str
    dirty: tuple[str, ...]
    """``git status --porcelain -- src`` of a worktree (empty for a snapshot)."""
    data_dir: Path
    database_url: str | None
    env: dict[str, str]
    """Settings of this side's server only (``--after-env KOMMODORE_JOURNAL=false``): the same
    code in two configurations is measured the same way as two revisions."""

    def describe(self) -> dict[str, Any]:
        return {"spec": self.spec, "commit": self.commit, "src": str(self.src),
                "src_dirty": list(self.dirty), "data_dir": str(self.data_dir),
                "database": self.database_url and _database_name(self.database_url),
                "env": self.env}  # fmt: skip


# --- the code of each side ------------------------------------------------------------------


def git(*args: str, cwd: Path = REPO) -> str:
    out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise BenchError(f"git {' '.join(args)}: {out.stderr.strip()}")
    return out.stdout.strip()


def materialise(spec: str, work: Path) -> tuple[Path, str, tuple[str, ...]]:
    """The ``src`` directory to import a side's code from, its commit and its uncommitted
    files. A directory is a worktree used as it is; anything else is a revision, extracted
    with ``git archive REV src`` into ``work`` (a ``COMMIT`` file beside it, as in
    bench/README.md's snapshots)."""
    tree = Path(spec)
    if tree.is_dir():
        tree = tree.resolve()
        if not (tree / "src" / "kommodore" / "__init__.py").exists():
            raise BenchError(f"{tree} has no src/kommodore")
        commit = git("rev-parse", "HEAD", cwd=tree)
        dirty = git("status", "--porcelain", "--", "src", cwd=tree).splitlines()
        return tree / "src", commit, tuple(dirty)
    commit = git("rev-parse", "--verify", "--end-of-options", f"{spec}^{{commit}}")
    dest = work / f"rev-{commit[:12]}"
    if not dest.exists():
        dest.mkdir(parents=True)
        archive = subprocess.Popen(["git", "archive", commit, "src"], cwd=REPO,
                                   stdout=subprocess.PIPE)  # fmt: skip
        assert archive.stdout is not None
        untar = subprocess.run(["tar", "-x", "-C", str(dest)], stdin=archive.stdout, check=False)
        archive.stdout.close()
        if archive.wait() != 0 or untar.returncode != 0:
            raise BenchError(f"git archive {commit} src | tar -x failed")
        (dest / "COMMIT").write_text(commit + "\n")
    return dest / "src", commit, ()


def code_env(src: Path) -> dict[str, str]:
    """The environment for a process that must import ``kommodore`` from ``src``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOMMODORE_")}
    env["PYTHONPATH"] = str(src)
    return env


# --- the dataset ----------------------------------------------------------------------------


def prepare_posts(data_dir: str, database_url: str, seed: str) -> None:
    """Run by :func:`make_dataset` in a process importing the before revision's code: the
    account the POSTs go to (ingest.py's), its token, and the account as one JSON line."""
    url = resolved_url(Path(data_dir), database_url or None)
    acc = ingest.prepare(url, ingest.DEFAULT_SUBDOMAIN, int(seed))
    analyze(url)
    mint_token(Path(data_dir), database_url or None, ingest.DEFAULT_SUBDOMAIN,
               Path(data_dir) / ingest.TOKEN_FILE)  # fmt: skip
    print(ACCOUNT_LINE + json.dumps(dataclasses.asdict(acc)), flush=True)


def make_dataset(
    src: Path, data_dir: Path, database_url: str | None, leads: int, seed: int
) -> ingest.Account:
    """bench/dataset.py's account (``leads`` leads, ids file, token) and ingest.py's account,
    both made by the code in ``src``, so that its server accepts the database as it is."""
    env = code_env(src)
    url_args = ["--database-url", database_url] if database_url else []
    subprocess.run([sys.executable, str(HERE / "dataset.py"), "--data-dir", str(data_dir),
                    "--leads", str(leads), "--seed", str(seed), *url_args],
                   env=env, check=True)  # fmt: skip
    boot = "import sys, revisions; revisions.prepare_posts(*sys.argv[1:])"
    out = subprocess.run([sys.executable, "-c", boot, str(data_dir), database_url or "",
                          str(seed)], env=env, cwd=HERE, check=True, capture_output=True,
                         text=True)  # fmt: skip
    line = next((x for x in out.stdout.splitlines() if x.startswith(ACCOUNT_LINE)), None)
    if line is None:
        raise BenchError(f"no account from prepare_posts:\n{out.stdout}\n{out.stderr}")
    raw = json.loads(line.removeprefix(ACCOUNT_LINE))
    return ingest.Account(
        id=raw["id"],
        admin_id=raw["admin_id"],
        admin_group=raw["admin_group"],
        pipeline_id=raw["pipeline_id"],
        stages=(raw["stages"][0], raw["stages"][1]),
        fields={k: (v[0], tuple(v[1])) for k, v in raw["fields"].items()},
        tags=raw["tags"],
    )


def _database_url(admin_url: str, name: str) -> str:
    return urllib.parse.urlsplit(admin_url)._replace(path="/" + name).geturl()


def _database_name(url: str) -> str:
    return urllib.parse.urlsplit(url).path.lstrip("/")


@contextlib.contextmanager
def postgres_databases(admin_url: str, names: list[str], keep: bool) -> Iterator[None]:
    """Drop ``names`` afterwards (unless ``keep``), whichever of them were created."""
    try:
        yield
    finally:
        if not keep:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                for name in names:
                    conn.execute(
                        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                            sql.Identifier(name)
                        )
                    )


def create_database(admin_url: str, name: str, template: str | None = None) -> None:
    """``CREATE DATABASE name [TEMPLATE template]``; retried for a while when the template is
    in use (autovacuum may visit the freshly loaded dataset)."""
    query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template:
        query += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        for attempt in range(30):
            try:
                conn.execute(query)
                return
            except psycopg.errors.ObjectInUse:
                if attempt == 29:
                    raise
                time.sleep(1)


def write_pages(data_dir: Path, visible: int) -> int:
    """The full list pages of the account, one per line (at least page 1)."""
    pages = max(1, visible // LIST_PAGE)
    (data_dir / PAGES_FILE).write_text("".join(f"{p}\n" for p in range(1, pages + 1)))
    return pages


# --- one server, three workloads ------------------------------------------------------------


def check_answers(target: Target, ids: list[str], visible: int) -> None:
    """One lead and the first page answer 200 with what they should, before wrk hammers them."""
    status, body = http_get(target.base + LEAD_PATH.format(id=ids[len(ids) // 2]), target.token)
    if status != 200 or not body.startswith(b"{"):
        raise BenchError(f"a lead answered {status}: {body[:300]!r}")
    status, body = http_get(target.base + LIST_PATH.format(id=1), target.token, timeout=30)
    if status != 200:
        raise BenchError(f"the list page answered {status}: {body[:300]!r}")
    items = len(json.loads(body)["_embedded"]["leads"])
    if items != min(LIST_PAGE, visible):
        raise BenchError(f"the list page holds {items} leads, not {min(LIST_PAGE, visible)}")


def post_run(
    side: Side, port: int, warm: list[bytes], bodies: list[bytes], pgid: int
) -> dict[str, Any]:
    """The POSTs from core 1 over one keep-alive connection; every answer a 200 naming 250
    leads (ingest.Client checks)."""
    token = (side.data_dir / ingest.TOKEN_FILE).read_text().strip()
    client = ingest.Client(f"http://127.0.0.1:{port}", token, 1)
    url = resolved_url(side.data_dir, side.database_url)
    try:
        with ingest.pinned(ingest.CLIENT_CPU):
            client.run("POST", warm)
            result = ingest.measure(
                url, len(bodies) * ingest.BATCH, lambda: client.run("POST", bodies), pgid
            )
    finally:
        client.close()
    result["requests"] = len(bodies)
    result["rps"] = len(bodies) / result["seconds"]
    return result


def start_side(
    side: Side, port: int, round_no: int, ids: list[str], log_dir: Path
) -> tuple[Target, subprocess.Popen[bytes], Path]:
    """The side's server on core 0, checked: it imported the side's code, and one lead and the
    first list page answer."""
    token = (side.data_dir / TOKEN_FILE).read_text().strip()
    target = Target(side.data_dir, side.database_url, port, token)
    log = log_dir / f"server-{side.name}-{round_no}.log"
    proc = start_server(target, "uvicorn", log, ceiling=False,
                        extra_env={"PYTHONPATH": str(side.src), **side.env})  # fmt: skip
    try:
        package = imported_from(log)
        print(f"  {side.name:6} round {round_no}: kommodore imported from {package}")
        if package is None or package.resolve() != (side.src / "kommodore").resolve():
            raise BenchError(f"the {side.name} server imported {package}, not {side.src}")
        check_answers(target, ids, len(ids))
    except BaseException:
        stop_server(proc)
        raise
    return target, proc, package


def one_round(
    sides: list[Side], args: argparse.Namespace, round_no: int, ids: list[str],
    posts: dict[str, Any], log_dir: Path,
) -> list[dict[str, Any]]:  # fmt: skip
    """Both sides' servers up (fresh, on core 0, only the measured one loaded), then each
    workload before then after, back to back, so that what else the machine does in those
    seconds hits both."""
    servers: dict[str, tuple[Target, subprocess.Popen[bytes], Path]] = {}
    results: dict[str, dict[str, Any]] = {
        s.name: {"round": round_no, "side": s.name, "runs": {}} for s in sides
    }
    try:
        for i, side in enumerate(sides):
            servers[side.name] = start_side(side, args.port + i, round_no, ids, log_dir)
            results[side.name]["kommodore"] = str(servers[side.name][2])
        seed = 1000 * round_no + 2 * args.seed  # the same ids, in the same order, on both sides
        for name in WORKLOADS:
            for side in sides:
                target, proc, _ = servers[side.name]
                if name == "post":
                    r = post_run(side, target.port, posts["warm"], posts["measured"], proc.pid)
                else:
                    path, lines, connections = (
                        (LEAD_PATH, IDS_FILE, args.connections)
                        if name == "get"
                        else (LIST_PATH, PAGES_FILE, args.list_connections)
                    )
                    ids_file = side.data_dir / lines
                    if args.warmup:  # other ids than the measured run's
                        run_wrk(target, path, ids_file, seed + 1, args.warmup, connections,
                                proc.pid)  # fmt: skip
                    r = run_wrk(target, path, ids_file, seed, args.duration, connections, proc.pid)
                results[side.name]["runs"][name] = annotate(r)
                print(f"  {side.name:6} round {round_no} {name:4} {r['rps']:>9,.1f} req/s"
                      f"{r['flag']}")  # fmt: skip
    finally:
        for _, proc, _ in servers.values():
            stop_server(proc)
    return [results[s.name] for s in sides]


def annotate(r: dict[str, Any]) -> dict[str, Any]:
    """What other processes took of core 0, and requests per second of the server's CPU."""
    shares = r["cpu_share"]
    busy, server = shares.get(f"core{SERVER_CPU}_busy", 0.0), shares.get("server", 0.0)
    r["interference"] = round(max(0.0, busy - server), 3)
    r["per_server_cpu_s"] = round(r["rps"] / server, 2) if server else None
    r["flag"] = ""
    if r["interference"] > INTERFERENCE:  # on PostgreSQL, its backends count here
        r["flag"] = f"  (core 0: {r['interference']:.0%} of it to other processes)"
    return r


# --- the report -----------------------------------------------------------------------------


def medians(report: dict[str, Any]) -> dict[str, Any]:
    """Per workload: median req/s of each side, their ratio, and the per-round ratios."""
    out: dict[str, Any] = {}
    by = {(r["side"], r["round"]): r["runs"] for r in report["runs"]}
    rounds = sorted({r for _, r in by if ("before", r) in by and ("after", r) in by})
    for name in WORKLOADS:
        if not rounds:
            break
        before = [by["before", r][name]["rps"] for r in rounds]
        after = [by["after", r][name]["rps"] for r in rounds]
        per_round = [a / b for a, b in zip(after, before, strict=True)]
        ratio = statistics.median(after) / statistics.median(before)
        # requests per second of the server's own CPU: less moved by other processes taking
        # core 0 than req/s (on PostgreSQL it leaves out the database's backends)
        cpu_before = [by["before", r][name]["per_server_cpu_s"] or 0.0 for r in rounds]
        cpu_after = [by["after", r][name]["per_server_cpu_s"] or 0.0 for r in rounds]
        cpu_ratio = statistics.median(cpu_after) / (statistics.median(cpu_before) or 1.0)
        out[name] = {
            "before_rps": round(statistics.median(before), 2),
            "after_rps": round(statistics.median(after), 2),
            "ratio": round(ratio, 4),
            "round_ratios": [round(x, 4) for x in per_round],
            "meets_goal": ratio >= GOAL,
            "before_per_server_cpu_s": round(statistics.median(cpu_before), 2),
            "after_per_server_cpu_s": round(statistics.median(cpu_after), 2),
            "ratio_per_server_cpu_s": round(cpu_ratio, 4),
            "round_ratios_per_server_cpu_s": [
                round(a / b, 4) if b else None for a, b in zip(cpu_after, cpu_before, strict=True)
            ],
        }
    return out


def table(summary: dict[str, Any]) -> str:
    lines = [
        "| workload | before req/s (median) | after req/s (median) | after/before "
        f"| per-round after/before | >= {GOAL} | per server CPU second: after/before (rounds) |",
        "|---|---:|---:|---:|---|---|---|",
    ]
    for name, m in summary.items():
        spread = ", ".join(f"{x:.3f}" for x in m["round_ratios"])
        cpu = ", ".join(
            "-" if x is None else f"{x:.3f}" for x in m["round_ratios_per_server_cpu_s"]
        )
        lines.append(
            f"| {SHORT[name]} | {m['before_rps']:,.1f} | {m['after_rps']:,.1f} "
            f"| **{m['ratio']:.3f}** | {spread} | {'yes' if m['meets_goal'] else 'NO'} "
            f"| {m['ratio_per_server_cpu_s']:.3f} ({cpu}) |"
        )
    return "\n".join(lines)


# --- main -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", required=True, help="a revision (git archive'd)")
    parser.add_argument(
        "--after", default=str(REPO), help="a worktree's directory or a revision (default: here)"
    )
    parser.add_argument("--rounds", type=int, default=5, help="before then after, N times")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES,
                        help="a database to connect to for CREATE/DROP DATABASE")  # fmt: skip
    parser.add_argument("--leads", type=int, default=2000, help="in the dataset's account")
    parser.add_argument("--duration", type=int, default=15, help="seconds per measured wrk run")
    parser.add_argument("--warmup", type=int, default=5, help="seconds of wrk warm-up per run")
    parser.add_argument("--connections", type=int, default=64, help="wrk's, for get")
    parser.add_argument("--list-connections", type=int, default=16, help="wrk's, for list")
    parser.add_argument("--post-batches", type=int, default=40, help="measured POSTs per run")
    parser.add_argument("--post-warmup", type=int, default=2, help="POSTs before measuring")
    parser.add_argument("--port", type=int, default=8781, help="before's; after's is the next")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work-dir", type=Path, default=None,
                        help="snapshots and data dirs (default: a new /tmp directory)")  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="keep the work dir and databases")
    parser.add_argument("--strict", action="store_true", help="exit 2 when a ratio is below goal")
    parser.add_argument("--label", default="", help="added to the results file name")
    for side in SIDES:
        parser.add_argument(f"--{side}-env", action="append", default=[], metavar="KEY=VALUE",
                            help=f"an environment variable for the {side} server only")  # fmt: skip
    args = parser.parse_args(argv)
    if isinstance(sys.stdout, io.TextIOWrapper):  # progress lines between the children's output
        sys.stdout.reconfigure(line_buffering=True)
    if (os.cpu_count() or 1) < 2:
        parser.error("needs 2 cores: the server runs on core 0, wrk and the client on core 1")
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed (Debian package wrk)")
    for port in (args.port, args.port + 1):
        if not port_is_free(port):
            parser.error(f"something already answers on 127.0.0.1:{port}")

    stamp = time.strftime("%Y%m%d-%H%M%S")
    if args.work_dir is None:
        work = Path(tempfile.mkdtemp(prefix=f"kommodore-revisions-{stamp}-"))
    else:
        work = args.work_dir.resolve()
        work.mkdir(parents=True, exist_ok=True)
    prefix = "kommodore_rev_" + stamp.replace("-", "_")
    databases = [f"{prefix}_{x}" for x in ("dataset", *SIDES)]
    postgres = args.database == "postgresql"
    try:
        with postgres_databases(args.postgres_url, databases if postgres else [], args.keep):
            return run(args, work, stamp, databases if postgres else None)
    except (BenchError, subprocess.CalledProcessError, psycopg.Error) as exc:
        print(f"BENCHMARK FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, work: Path, stamp: str, databases: list[str] | None) -> int:
    code = {}
    for name, spec in (("before", args.before), ("after", args.after)):
        code[name] = materialise(spec, work)
    urls: dict[str, str | None] = {"dataset": None, "before": None, "after": None}
    if databases is not None:
        urls = {k: _database_url(args.postgres_url, db)
                for k, db in zip(urls, databases, strict=True)}  # fmt: skip
        create_database(args.postgres_url, databases[0])

    dataset_dir = work / "dataset"
    print(f"dataset: {args.leads:,} leads, made with {code['before'][1][:12]}'s code "
          f"in {dataset_dir}", flush=True)  # fmt: skip
    acc = make_dataset(code["before"][0], dataset_dir, urls["dataset"], args.leads, args.seed)
    ids = (dataset_dir / IDS_FILE).read_text().split()
    pages = write_pages(dataset_dir, len(ids))
    sides = []
    for name in SIDES:
        data_dir = work / name
        shutil.copytree(dataset_dir, data_dir)
        if databases is not None:
            create_database(args.postgres_url, _database_name(str(urls[name])), databases[0])
        src, commit, dirty = code[name]
        side_env = dict(item.split("=", 1) for item in getattr(args, f"{name}_env"))
        sides.append(
            Side(name, getattr(args, name), src, commit, dirty, data_dir, urls[name], side_env)
        )
        print(f"{name:6}: {src} (commit {commit[:12]}{', src modified' if dirty else ''})")

    # the POST bodies of each round, the same bytes for both sides (each posts to its own copy)
    now = int(time.time())
    posts = [
        {
            kind: [ingest.encode([ingest.api_item(acc, s) for s in batch]) for batch in specs]
            for kind, specs in (
                ("warm", ingest.lead_specs(f"w{r}", args.post_warmup, args.seed, now)),
                ("measured", ingest.lead_specs(f"m{r}", args.post_batches, args.seed + 1, now)),
            )
        }
        for r in range(1, args.rounds + 1)
    ]

    dialect = "postgresql" if databases is not None else "sqlite"
    label = f"-{args.label}" if args.label else ""
    name = (
        f"revisions-{dialect}-{sides[0].commit[:7]}-{sides[1].commit[:7]}"
        f"{'-dirty' if sides[1].dirty else ''}{label}-{stamp}"
    )
    RESULTS.mkdir(exist_ok=True)
    log_dir = RESULTS / name
    log_dir.mkdir()
    env = environment()
    env.pop("server_source", None)  # the driver's own import; each side's is in "sides"
    report: dict[str, Any] = {
        "benchmark": "before/after: " + "; ".join(WORKLOADS.values()),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "goal": f"after/before >= {GOAL} for every workload (medians over rounds)",
        "sides": {s.name: s.describe() for s in sides},
        "dataset": {"dialect": dialect, "leads": args.leads, "visible_leads": len(ids),
                    "list_pages": pages, "seed": args.seed, "bench_subdomain": DEFAULT_SUBDOMAIN,
                    "post_subdomain": ingest.DEFAULT_SUBDOMAIN, "made_by": sides[0].commit},
        "params": {"rounds": args.rounds, "order": "before, after in every round",
                   "duration_s": args.duration, "warmup_s": args.warmup,
                   "connections": args.connections, "list_connections": args.list_connections,
                   "post_batches": args.post_batches, "post_warmup": args.post_warmup,
                   "post_batch": ingest.BATCH, "server": "uvicorn", "workers": 1,
                   "server_core": SERVER_CPU, "client_core": str(ingest.CLIENT_CPU)},
        "environment": env,
        "runs": [],
    }  # fmt: skip
    print(f"{dialect}: {len(ids):,} visible leads, {pages} list pages; {args.rounds} round(s) "
          f"of before then after; wrk {args.warmup}+{args.duration} s; "
          f"{args.post_warmup}+{args.post_batches} POSTs of {ingest.BATCH}")  # fmt: skip
    failed: BenchError | None = None
    try:
        for round_no in range(1, args.rounds + 1):
            report["runs"] += one_round(sides, args, round_no, ids, posts[round_no - 1], log_dir)
    except BenchError as exc:
        failed = exc
        report["failed"] = str(exc)
    report["loadavg_after"] = os.getloadavg()
    report["medians"] = summary = medians(report)
    out = RESULTS / f"{name}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    if failed is not None:
        print(f"BENCHMARK FAILED: {failed}", file=sys.stderr)
        print(f"results: {out.relative_to(REPO)}")
        return 1
    print()
    print(f"before {sides[0].spec} ({sides[0].commit[:12]}), after {sides[1].spec} "
          f"({sides[1].commit[:12]}{', src modified' if sides[1].dirty else ''}), {dialect}, "
          f"{args.rounds} round(s)")  # fmt: skip
    print(table(summary))
    busy = [r["interference"] for run in report["runs"] for r in run["runs"].values()]
    if busy and statistics.median(busy) > INTERFERENCE:
        print(f"\nother processes took {statistics.median(busy):.0%} of core 0 (median over "
              "runs): the spread of the per-round ratios, not 0.97, is what this run can tell "
              "apart")  # fmt: skip
    print(f"\nresults: {out.relative_to(REPO)}")
    if args.strict and not all(m["meets_goal"] for m in summary.values()):
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
