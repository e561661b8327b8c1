"""Scale-out figures: GET by id through PgBouncer against direct, and two app servers behind
HAProxy against one, with the same cores (docs/performance.md, "Scale-out").

Every variant serves the same PostgreSQL dataset (``bench/dataset.py --database-url``), the
app processes pinned to core 0 (``bench/launch.py``), wrk on core 1 with 64 connections
(``bench/get_lead.py``'s wrk and its checks: any answer other than 200 fails the run). PgBouncer
and HAProxy run on core 1 beside wrk, PostgreSQL unpinned, as in the PostgreSQL runs of
``get_lead.py``. Rounds alternate the variants; each ratio is taken within a round, the
reported figure is the median over rounds.

Variants, each a GET of a random lead with ``get_lead.py``'s ``with=``:

- ``direct``: one server, asyncpg's named statements, straight to PostgreSQL (the reference);
- ``unnamed``: one server, ``KOMMODORE_DATABASE_POOLER=pgbouncer``, straight to PostgreSQL
  (the statement mode's own cost);
- ``pgbouncer``: the same through PgBouncer (``deploy/pgbouncer/pgbouncer.ini``, transaction
  pooling): ``pgbouncer / direct`` is the issue's figure;
- ``haproxy-1``: one server behind HAProxy (``deploy/haproxy/haproxy.cfg``): the hop's cost;
- ``haproxy-2``: two servers, both on core 0, behind HAProxy: ``haproxy-2 / direct`` is
  "2 app servers behind the load balancer / 1 app server, same total cores".

    .venv/bin/python bench/scale_out.py --data-dir /tmp/kommodore-bench-pg10k \\
        --database-url postgresql://postgres@127.0.0.1:5432/kommodore_bench --rounds 3
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dataset import IDS_FILE
from get_lead import (
    LEAD_PATH,
    RESULTS,
    BenchError,
    Target,
    environment,
    fresh_token,
    port_is_free,
    run_wrk,
    start_server,
    stop_server,
    summary,
)

HERE = Path(__file__).resolve().parent
DEPLOY = HERE.parent / "deploy"
PROXY_CPU = "1"
"""PgBouncer and HAProxy share wrk's core: the app's core stays the app's alone."""
VARIANTS = ("direct", "unnamed", "pgbouncer", "haproxy-1", "haproxy-2")


def _program(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if not found:
        raise BenchError(f"{name} is not installed (apt-get install {name})")
    return found


def _wait_listening(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    import socket

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    raise BenchError(f"{proc.args!r} did not listen on {port}: see {log}")


@contextlib.contextmanager
def helper(args: list[str], port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """PgBouncer or HAProxy in the foreground on core 1 until the block ends."""
    with log.open("wb") as out:
        proc = subprocess.Popen(["taskset", "-c", PROXY_CPU, *args], stdout=out,
                                stderr=subprocess.STDOUT)  # fmt: skip
        try:
            _wait_listening(port, proc, log)
            yield proc
        finally:
            proc.terminate()
            proc.wait(timeout=10)


@contextlib.contextmanager
def pgbouncer(database_url: str, port: int, workdir: Path) -> Iterator[str]:
    """The shipped pgbouncer.ini with this run's port, upstream and trust auth."""
    upstream = urlsplit(database_url)
    user = upstream.username or "postgres"
    text = (DEPLOY / "pgbouncer" / "pgbouncer.ini").read_text()
    host = f"host={upstream.hostname} port={upstream.port or 5432}"
    for pattern, replacement in (
        (r"(?m)^kommodore = .*$", f"* = {host}"),
        (r"(?m)^listen_port = .*$", f"listen_port = {port}"),
        (r"(?m)^unix_socket_dir = .*$", "unix_socket_dir ="),
        (r"(?m)^auth_type = .*$", "auth_type = trust"),
        (r"(?m)^auth_file = .*$", f"auth_file = {workdir / 'userlist.txt'}"),
        (r"(?m)^(logfile|pidfile) = .*\n", ""),
    ):
        text, found = re.subn(pattern, replacement, text)
        if not found:
            raise BenchError(f"deploy/pgbouncer/pgbouncer.ini has no line for {pattern}")
    workdir.chmod(0o755)
    (workdir / "userlist.txt").write_text(f'"{user}" ""\n')
    (workdir / "pgbouncer.ini").write_text(text)
    for name in ("userlist.txt", "pgbouncer.ini"):
        (workdir / name).chmod(0o644)
    as_user = ["-u", "nobody"] if os.geteuid() == 0 else []
    args = [_program("pgbouncer"), *as_user, str(workdir / "pgbouncer.ini")]
    with helper(args, port, workdir / "pgbouncer.log"):
        yield upstream._replace(netloc=f"{user}@127.0.0.1:{port}").geturl()


@contextlib.contextmanager
def haproxy(listen: int, servers: list[int], workdir: Path) -> Iterator[None]:
    """The shipped haproxy.cfg with this run's listen port and servers."""
    text = (DEPLOY / "haproxy" / "haproxy.cfg").read_text()
    text = re.sub(r"(?m)^(\s*bind )127\.0\.0\.1:\d+", rf"\g<1>127.0.0.1:{listen}", text)
    text = re.sub(r"(?m)^\s*server app\d+ .*\n", "", text)
    text += "".join(f"    server app{n} 127.0.0.1:{p}\n" for n, p in enumerate(servers, 1))
    cfg = workdir / "haproxy.cfg"
    cfg.write_text(text)
    with helper([_program("haproxy"), "-db", "-f", str(cfg)], listen, workdir / "haproxy.log"):
        yield


def run_variant(
    variant: str, args: argparse.Namespace, token: str, round_no: int, workdir: Path
) -> dict[str, Any]:
    """Start what ``variant`` needs, warm up, measure; stop everything."""
    data_dir: Path = args.data_dir
    app_ports = [args.port, args.port + 1]
    entry = args.port + 10  # what wrk talks to behind a proxy
    log = workdir / f"{variant}-{round_no}"
    log.mkdir()
    with contextlib.ExitStack() as stack:
        url, extra = args.database_url, {}
        if variant in ("unnamed", "pgbouncer"):
            extra["KOMMODORE_DATABASE_POOLER"] = "pgbouncer"
        if variant == "pgbouncer":
            url = stack.enter_context(pgbouncer(args.database_url, args.port + 20, log))
        count = 2 if variant == "haproxy-2" else 1
        procs = []
        for port in app_ports[:count]:
            target = Target(data_dir, url, port, token)
            proc = start_server(target, "uvicorn", log / f"server-{port}.log", ceiling=False,
                                extra_env=extra)  # fmt: skip
            stack.callback(stop_server, proc)
            procs.append(proc)
        port = app_ports[0]
        if variant.startswith("haproxy"):
            stack.enter_context(haproxy(entry, app_ports[:count], log))
            port = entry
        target = Target(data_dir, url, port, token)
        ids_file = data_dir / IDS_FILE
        seed = 1000 * round_no + 2 * args.seed
        if args.warmup:
            run_wrk(target, LEAD_PATH, ids_file, seed + 1, args.warmup, args.connections,
                    procs[0].pid)  # fmt: skip
        result = run_wrk(target, LEAD_PATH, ids_file, seed, args.duration, args.connections,
                         procs[0].pid)  # fmt: skip
    print(f"  round {round_no} {variant:10} {summary(result)}", flush=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--database-url", required=True, help="the dataset's PostgreSQL")
    parser.add_argument("--variant", action="append", choices=VARIANTS, help="default: all")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--port", type=int, default=8765, help="and the next 20 ports")
    parser.add_argument("--subdomain", default="bench")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    args.data_dir = args.data_dir.resolve()
    if not (args.data_dir / IDS_FILE).exists():
        parser.error(f"run bench/dataset.py --data-dir {args.data_dir} first")
    for port in (args.port, args.port + 1, args.port + 10, args.port + 20):
        if not port_is_free(port):
            parser.error(f"something already answers on 127.0.0.1:{port}")
    variants = args.variant or list(VARIANTS)
    token = fresh_token(args.data_dir, args.database_url, args.subdomain)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    RESULTS.mkdir(exist_ok=True)
    report: dict[str, Any] = {
        "benchmark": "scale-out: " + LEAD_PATH,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "params": {"connections": args.connections, "duration_s": args.duration,
                   "warmup_s": args.warmup, "app_core": "0", "wrk_and_proxy_core": PROXY_CPU},
        "environment": environment(),
        "runs": [],
    }  # fmt: skip
    failed: BenchError | None = None
    with tempfile.TemporaryDirectory(prefix="kommodore-scale-out-") as tmp:
        try:
            for round_no in range(1, args.rounds + 1):
                row = {v: run_variant(v, args, token, round_no, Path(tmp)) for v in variants}
                report["runs"].append({"round": round_no, **row})
        except BenchError as exc:
            failed = exc
            report["failed"] = str(exc)
    rps = {v: [r[v]["rps"] for r in report["runs"] if v in r] for v in variants}
    report["medians"] = {v: {"rps": statistics.median(x)} for v, x in rps.items() if x}
    if "direct" in variants and report["runs"]:
        for v in variants:
            ratios = [r[v]["rps"] / r["direct"]["rps"] for r in report["runs"] if v in r]
            p99 = [r[v]["latency_us"]["p99"] / 1000 for r in report["runs"] if v in r]
            report["medians"][v].update(
                over_direct=round(statistics.median(ratios), 3), p99_ms=statistics.median(p99)
            )
    out = RESULTS / f"scale_out-{stamp}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    for v, m in report["medians"].items():
        extra = (
            f"  /direct {m['over_direct']:.3f}  p99 {m['p99_ms']:.1f} ms"
            if "over_direct" in m
            else ""
        )
        print(f"{v:10} median {m['rps']:,.0f} req/s{extra}")
    print(f"results: {out}")
    if failed is not None:
        print(f"BENCHMARK FAILED: {failed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
