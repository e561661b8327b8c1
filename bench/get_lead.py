"""Benchmark ``GET /api/v4/leads/{id}`` against its ceiling, with wrk, on loopback.

For each server (uvicorn, granian) and round: capture the exact bytes the endpoint returns for
one lead into ``$KOMMODORE_DATA_DIR/bench-ceiling.json``, start ``kommodore serve`` pinned to
core 0 with ``KOMMODORE_BENCH_CEILING=true``, then run wrk pinned to core 1 against
``/__bench/ceiling`` (the same stack answering those bytes with no lookup) and against random
visible leads. The figure is real req/s over ceiling req/s measured in the same run; absolute
req/s move from machine to machine, the ratio much less (docs/performance.md).

Any answer other than 200, and any socket error, fails the run: a 204 (lead not found) is
cheaper than a lead and would flatter the figure.

    .venv/bin/python bench/get_lead.py --data-dir /tmp/kommodore-bench-1m
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import platform
import random
import resource
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from dataset import IDS_FILE, TOKEN_FILE, mint_token, resolved_url, server_env
from launch import serve_command

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
LUA = HERE / "random_lead.lua"
CEILING_FILE = "bench-ceiling.json"
WITH = "contacts,loss_reason,catalog_elements,source_id,is_price_modified_by_robot"
LEAD_PATH = "/api/v4/leads/{id}?with=" + WITH
CEILING_PATH = "/__bench/ceiling"
SERVER_CPU, WRK_CPU = "0", "1"
GOAL_RATIO, GOAL_P99_MS = 0.5, 10.0
PREFLIGHT_SAMPLE = 200
INTERFERENCE = 0.05
"""Share of the server's core used by other processes above which a run is flagged."""
WRK_SATURATED = 0.9


class BenchError(RuntimeError):
    """A run that cannot be trusted: wrong answers, socket errors, a server that won't start."""


@dataclass(frozen=True, slots=True)
class Target:
    data_dir: Path
    database_url: str | None
    port: int
    token: str

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


# --- HTTP and processes ---------------------------------------------------------------------


def http_get(url: str, token: str | None = None, timeout: float = 5.0) -> tuple[int, bytes]:
    """Status and body of a GET on loopback (the only host this script talks to)."""
    assert url.startswith("http://127.0.0.1:"), url
    req = urllib.request.Request(url)  # noqa: S310 (checked above: loopback http)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def start_server(
    target: Target, server: str, log_path: Path, *, ceiling: bool = True,
    extra_env: Mapping[str, str] | None = None,
) -> subprocess.Popen[bytes]:  # fmt: skip
    """``kommodore serve`` on core 0, in its own process group so it can be stopped whole.
    ``ceiling`` serves ``/__bench/ceiling`` (the data dir must hold its file); ``extra_env``
    goes over the environment last (``bench/revisions.py`` sets ``PYTHONPATH`` there)."""
    env = server_env(target.data_dir, target.database_url)
    env.update(KOMMODORE_ACCESS_LOG="false", KOMMODORE_LOG_LEVEL="warning")
    if ceiling:
        env["KOMMODORE_BENCH_CEILING"] = "true"
    env.update(extra_env or {})
    cmd = serve_command(target.port, server)
    log = log_path.open("wb")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True, cwd=target.data_dir)  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"{server} exited with {proc.returncode}; see {log_path}")
        with contextlib.suppress(OSError):
            if http_get(f"{target.base}/healthz", timeout=1)[0] == 200:
                return proc
        time.sleep(0.2)
    stop_server(proc)
    raise BenchError(f"{server} did not answer /healthz within 60 s; see {log_path}")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's own process group (granian runs a worker child), then SIGKILL."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def port_is_free(port: int) -> bool:
    try:
        http_get(f"http://127.0.0.1:{port}/healthz", timeout=0.5)
    except OSError:
        return True
    return False


# --- CPU accounting (to tell a saturated wrk or a busy machine from a slow server) ----------


def group_cpu_seconds(pgid: int) -> float:
    """User+system CPU of every live process in a process group."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid:  # pgrp
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def core_busy_seconds() -> dict[str, float]:
    """Non-idle time of each core since boot, from /proc/stat."""
    tick = os.sysconf("SC_CLK_TCK")
    busy = {}
    for line in Path("/proc/stat").read_text().splitlines():
        name, *values = line.split()
        if name.startswith("cpu") and name != "cpu":
            v = [int(x) for x in values]
            busy[name.removeprefix("cpu")] = (sum(v[:8]) - v[3] - v[4]) / tick  # minus idle, iowait
    return busy


# --- wrk ------------------------------------------------------------------------------------


def run_wrk(
    target: Target, path: str, ids_file: Path | None, seed: int, seconds: int, connections: int,
    server_pgid: int,
) -> dict[str, Any]:  # fmt: skip
    """One wrk run on core 1; figures from the Lua ``done()`` line plus CPU shares."""
    script_args = [path] if ids_file is None else [path, str(ids_file), str(seed)]
    cmd = ["taskset", "-c", WRK_CPU, "wrk", "-t1", f"-c{connections}", f"-d{seconds}s",
           "--latency", "--timeout", "5s", "-H", f"Authorization: Bearer {target.token}",
           "-s", str(LUA), target.base, "--", *script_args]  # fmt: skip
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_cpu, cores = group_cpu_seconds(server_pgid), core_busy_seconds()
    began = time.monotonic()
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.monotonic() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_cpu = group_cpu_seconds(server_pgid) - server_cpu
    cores = {k: v - cores[k] for k, v in core_busy_seconds().items()}
    if out.returncode != 0:
        raise BenchError(f"wrk failed ({out.returncode}): {out.stderr or out.stdout}")
    line = next((x for x in out.stdout.splitlines() if x.startswith("WRK_JSON ")), None)
    if line is None:
        raise BenchError(f"no WRK_JSON line in wrk output:\n{out.stdout}\n{out.stderr}")
    result: dict[str, Any] = json.loads(line.removeprefix("WRK_JSON "))
    wrk_cpu = (after.ru_utime - children.ru_utime) + (after.ru_stime - children.ru_stime)
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["bytes_per_response"] = result["bytes"] / max(1, result["requests"])
    result["cpu_share"] = {
        "server": round(server_cpu / wall, 3),
        "wrk": round(wrk_cpu / wall, 3),
        **{f"core{k}_busy": round(v / wall, 3) for k, v in cores.items()},
    }
    result["wrk_text"] = "\n".join(x for x in out.stdout.splitlines() if not x.startswith("WRK_"))
    errors = result["errors"]
    if result["non200"] or any(errors.values()):
        raise BenchError(
            f"{path}: {result['non200']} answers other than 200 (first: "
            f"{result['first_non200']}), socket errors {errors}\n{result['wrk_text']}"
        )
    if "Non-2xx or 3xx responses" in out.stdout:  # belt and braces: wrk's own count
        raise BenchError(f"wrk reports non-2xx/3xx responses:\n{out.stdout}")
    return result


def summary(r: dict[str, Any]) -> str:
    lat = r["latency_us"]
    return (
        f"{r['rps']:>9,.0f} req/s  p50 {lat['p50'] / 1000:6.2f} ms  "
        f"p99 {lat['p99'] / 1000:6.2f} ms  {r['bytes_per_response']:,.0f} B/resp  "
        f"cpu server {r['cpu_share']['server']:.2f} wrk {r['cpu_share']['wrk']:.2f}"
    )


# --- the benchmark --------------------------------------------------------------------------


def fresh_token(data_dir: Path, database_url: str | None, subdomain: str) -> str:
    """The dataset's token if it is valid for another hour, else a newly minted one."""
    path = data_dir / TOKEN_FILE
    if path.exists():
        token = path.read_text().strip()
        with contextlib.suppress(ValueError, IndexError, KeyError):
            payload = token.split(".")[1]
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            if int(claims["exp"]) > time.time() + 3600:
                return token
    return mint_token(data_dir, database_url, subdomain, path)


def pick_ceiling_lead(target: Target, ids: list[str], seed: int) -> tuple[str, bytes, int]:
    """Fetch a sample of leads (each must answer 200 with a body) and take the one of median
    size, so the ceiling answers as many bytes as a typical lead."""
    rnd = random.Random(seed)
    sample = rnd.sample(ids, min(PREFLIGHT_SAMPLE, len(ids)))
    answers = []
    for lead_id in sample:
        status, body = http_get(target.base + LEAD_PATH.format(id=lead_id), target.token)
        if status != 200 or not body.startswith(b"{"):
            raise BenchError(f"lead {lead_id} answered {status}: {body[:300]!r}")
        answers.append((len(body), lead_id, body))
    answers.sort()
    _, lead_id, body = answers[len(answers) // 2]
    mean = statistics.fmean(a[0] for a in answers)
    return lead_id, body, round(mean)


def bench_server(
    target: Target, server: str, ids: list[str], args: argparse.Namespace, round_no: int,
    log_dir: Path,
) -> dict[str, Any]:  # fmt: skip
    """One round for one server: capture the ceiling bytes, restart serving them, run wrk."""
    ceiling_path = target.data_dir / CEILING_FILE
    if not ceiling_path.exists():  # the app reads it at start-up whenever the flag is on
        ceiling_path.write_bytes(b"{}")
    log = log_dir / f"server-{server}-{round_no}.log"
    proc = start_server(target, server, log)
    try:
        lead_id, body, sample_mean = pick_ceiling_lead(target, ids, args.seed + round_no)
    finally:
        stop_server(proc)
    ceiling_path.write_bytes(body)

    proc = start_server(target, server, log)
    try:
        status, served = http_get(target.base + CEILING_PATH, target.token)
        if status != 200 or served != body:
            raise BenchError("the ceiling route does not serve the captured lead's bytes")
        status, again = http_get(target.base + LEAD_PATH.format(id=lead_id), target.token)
        if again != body:
            raise BenchError(f"lead {lead_id} answered other bytes on a second read")
        runs: dict[str, Any] = {}
        for name, path, ids_file in (
            ("ceiling", CEILING_PATH, None),
            ("real", LEAD_PATH, target.data_dir / IDS_FILE),
        ):
            seed = 1000 * round_no + 2 * args.seed
            if args.warmup:
                run_wrk(target, path, ids_file, seed + 1, args.warmup, args.connections, proc.pid)
            runs[name] = run_wrk(
                target, path, ids_file, seed, args.duration, args.connections, proc.pid
            )
            print(f"  {server:8} round {round_no} {name:8} {summary(runs[name])}", flush=True)
            shares = runs[name]["cpu_share"]
            if shares.get(f"core{SERVER_CPU}_busy", 0) - shares["server"] > INTERFERENCE:
                print(f"  warning: other processes used core {SERVER_CPU} during this run")
            if shares["wrk"] > WRK_SATURATED:
                print("  warning: wrk was near a full core; the figure may be wrk's limit")
    finally:
        stop_server(proc)
    ratio = runs["real"]["rps"] / runs["ceiling"]["rps"]
    p99_ms = runs["real"]["latency_us"]["p99"] / 1000
    print(f"  {server:8} round {round_no} real/ceiling {ratio:.3f}", flush=True)
    return {
        "server": server,
        "round": round_no,
        "ceiling_lead_id": int(lead_id),
        "ceiling_bytes": len(body),
        "sample_mean_bytes": sample_mean,
        "ceiling": runs["ceiling"],
        "real": runs["real"],
        "ratio_rps": round(ratio, 4),
        "goals": {"ratio_ge_0_5": ratio >= GOAL_RATIO, "p99_lt_10ms": p99_ms < GOAL_P99_MS},
    }


def server_source() -> dict[str, str]:
    """Where the server imports kommodore from: this checkout, or a snapshot put first on
    PYTHONPATH (``git archive COMMIT src``, with the commit in a ``COMMIT`` file beside it),
    which keeps figures tied to one commit while the checkout is being edited."""
    out = subprocess.run(
        [sys.executable, "-c", "import kommodore; print(kommodore.__file__)"],
        capture_output=True, text=True, check=True, env=os.environ.copy(),
    )  # fmt: skip
    package = Path(out.stdout.strip()).parent
    source = {"package": str(package)}
    commit_file = package.parent.parent / "COMMIT"
    if commit_file.exists():
        source["snapshot_commit"] = commit_file.read_text().strip()
    return source


def environment() -> dict[str, Any]:
    """What the figures depend on: code state, package versions, machine."""

    def git(*a: str) -> str:
        out = subprocess.run(["git", *a], cwd=REPO, capture_output=True, text=True, check=False)
        return out.stdout.strip()

    model = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")), platform.processor())  # fmt: skip
    packages = ("starlette", "uvicorn", "granian", "uvloop", "httptools", "msgspec", "asyncpg")
    versions = {}
    for name in packages:
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[name] = metadata.version(name)
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    return {
        "git_commit": git("rev-parse", "HEAD"),
        "git_dirty": git("status", "--porcelain", "--", "src").splitlines(),
        "server_source": server_source(),
        "python": platform.python_version(),
        "packages": versions,
        "wrk": (wrk_version.stdout or wrk_version.stderr).splitlines()[0],
        "cpu": model,
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "loadavg_before": os.getloadavg(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data-dir",
        type=Path,
        required=True,
        help="the dataset's directory (bench/dataset.py --data-dir)",
    )
    parser.add_argument(
        "--database-url", default=None, help="postgresql://... as given to bench/dataset.py"
    )
    parser.add_argument(
        "--server", action="append", choices=["uvicorn", "granian"], help="repeatable; default both"
    )
    parser.add_argument("--rounds", type=int, default=1, help="each server this many times")
    parser.add_argument("--duration", type=int, default=15, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=5, help="seconds of warm-up per run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--subdomain", default="bench")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--label", default="", help="added to the results file name")
    args = parser.parse_args(argv)

    data_dir: Path = args.data_dir.resolve()
    ids_path = data_dir / IDS_FILE
    if not ids_path.exists():
        parser.error(f"{ids_path} is missing: run bench/dataset.py --data-dir {data_dir} first")
    if not port_is_free(args.port):
        parser.error(f"something already answers on 127.0.0.1:{args.port}")
    ids = ids_path.read_text().split()
    servers = args.server or ["uvicorn", "granian"]
    token = fresh_token(data_dir, args.database_url, args.subdomain)
    target = Target(data_dir, args.database_url, args.port, token)
    url = resolved_url(data_dir, args.database_url)
    dialect = "postgresql" if url.startswith("postgres") else "sqlite"

    stamp = time.strftime("%Y%m%d-%H%M%S")
    label = f"-{args.label}" if args.label else ""
    name = f"get_lead-{dialect}-{len(ids)}ids{label}-{stamp}"
    RESULTS.mkdir(exist_ok=True)
    log_dir = RESULTS / name
    log_dir.mkdir()
    print(f"{dialect}, {len(ids):,} visible leads, servers {servers}, {args.rounds} round(s)")

    report: dict[str, Any] = {
        "benchmark": "GET /api/v4/leads/{id}?with=" + WITH,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "dataset": {"dialect": dialect, "data_dir": str(data_dir), "visible_leads": len(ids)},
        "params": {"connections": args.connections, "threads": 1, "duration_s": args.duration,
                   "warmup_s": args.warmup, "server_core": SERVER_CPU, "wrk_core": WRK_CPU},
        "environment": environment(),
        "runs": [],
    }  # fmt: skip
    print(f"server code: {report['environment']['server_source']}")
    failed: BenchError | None = None
    try:
        for round_no in range(1, args.rounds + 1):
            for server in servers:
                report["runs"].append(bench_server(target, server, ids, args, round_no, log_dir))
    except BenchError as exc:
        failed = exc
        report["failed"] = str(exc)
    report["loadavg_after"] = os.getloadavg()
    report["medians"] = {
        server: {
            "ratio_rps": statistics.median(r["ratio_rps"] for r in runs),
            "real_rps": statistics.median(r["real"]["rps"] for r in runs),
            "ceiling_rps": statistics.median(r["ceiling"]["rps"] for r in runs),
            "real_p50_ms": statistics.median(r["real"]["latency_us"]["p50"] for r in runs) / 1000,
            "real_p99_ms": statistics.median(r["real"]["latency_us"]["p99"] for r in runs) / 1000,
        }
        for server in servers
        if (runs := [r for r in report["runs"] if r["server"] == server])
    }
    out = RESULTS / f"{name}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    for server, m in report["medians"].items():
        print(
            f"{server:8} median real/ceiling {m['ratio_rps']:.3f}  real {m['real_rps']:,.0f} "
            f"req/s (ceiling {m['ceiling_rps']:,.0f})  p50 {m['real_p50_ms']:.2f} ms  "
            f"p99 {m['real_p99_ms']:.2f} ms"
        )
    print(f"results: {out.relative_to(REPO)}")
    if failed is not None:
        print(f"BENCHMARK FAILED: {failed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
