"""What the rate limiter costs: ``GET /api/v4/leads/{id}`` with the limiter off and on.

Reuses bench/get_lead.py's wrk driver (same endpoint, same random ids, server pinned to core 0
and wrk to core 1) and measures, in one run, rounds of three servers in turn:

* ``off``: ``KOMMODORE_RATE_LIMIT_ENABLED=false``;
* ``redis``: the limiter on, counters in Redis (``--redis-url``), limit 1,000,000 a second;
* ``database``: the limiter on, counters in the dataset's database, limit 1,000,000 a second.

All requests carry one token, so every one of them is counted against one (account,
integration) key, as a busy integration would be. The figure is each "on" variant's req/s over
the "off" req/s (medians over rounds); the goal is a cost under 5%. After each "on" run the
counters are read back to prove the limiter counted the requests (and did not fail open).

    .venv/bin/python bench/dataset.py --data-dir /tmp/kommodore-bench-10k --leads 10000
    .venv/bin/python bench/limiter.py --data-dir /tmp/kommodore-bench-10k --rounds 3
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import redis
import sqlalchemy as sa

from dataset import IDS_FILE, resolved_url, server_env
from get_lead import (
    LEAD_PATH,
    RESULTS,
    SERVER_CPU,
    BenchError,
    Target,
    environment,
    fresh_token,
    http_get,
    port_is_free,
    run_wrk,
    stop_server,
    summary,
)
from kommodore.db import sqlalchemy_url

HIGH_LIMIT = 1_000_000
GOAL_COST = 0.05
VARIANTS = ("off", "redis", "database")


def limiter_env(variant: str, redis_url: str, prefix: str) -> dict[str, str]:
    if variant == "off":
        return {"KOMMODORE_RATE_LIMIT_ENABLED": "false"}
    env = {
        "KOMMODORE_RATE_LIMIT_ENABLED": "true",
        "KOMMODORE_RATE_LIMIT_PER_SECOND": str(HIGH_LIMIT),
    }
    if variant == "redis":
        env.update(KOMMODORE_REDIS_URL=redis_url, KOMMODORE_RATE_LIMIT_REDIS_PREFIX=prefix)
    return env


def start(target: Target, extra_env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """get_lead.start_server with the limiter's settings added to the server's environment."""
    env = server_env(target.data_dir, target.database_url)
    env.update(KOMMODORE_ACCESS_LOG="false", KOMMODORE_LOG_LEVEL="warning", **extra_env)
    kommodore = str(Path(sys.executable).parent / "kommodore")
    cmd = ["taskset", "-c", SERVER_CPU, kommodore, "serve", "--port", str(target.port),
           "--workers", "1", "--server", "uvicorn"]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=log_path.open("wb"), stderr=subprocess.STDOUT,
                            start_new_session=True, cwd=target.data_dir)  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"server exited with {proc.returncode}; see {log_path}")
        with contextlib.suppress(OSError):
            if http_get(f"{target.base}/healthz", timeout=1)[0] == 200:
                return proc
        time.sleep(0.2)
    stop_server(proc)
    raise BenchError(f"server did not answer /healthz within 60 s; see {log_path}")


def redis_cpu_seconds(redis_url: str) -> float:
    """CPU the Redis server has used (its own process: not in the app server's group)."""
    client = redis.Redis.from_url(redis_url)
    try:
        info = client.info("cpu")
        return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])
    finally:
        client.close()


def counted_hits(variant: str, url: str, redis_url: str, prefix: str, since: int) -> int:
    """Requests the counters recorded since ``since`` (Redis keeps windows 2 s: the last
    two seconds' only, enough to show it counted)."""
    if variant == "redis":
        client = redis.Redis.from_url(redis_url)
        try:
            return sum(int(client.get(k) or 0) for k in client.scan_iter(f"{prefix}*:w:*"))
        finally:
            client.close()
    engine = sa.create_engine(sqlalchemy_url(url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            query = sa.text(
                "SELECT COALESCE(SUM(hits), 0) FROM rate_limit_windows WHERE window_start >= :s"
            )
            return int(conn.execute(query, {"s": since}).scalar_one())
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--subdomain", default="bench")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    data_dir: Path = args.data_dir.resolve()
    ids_file = data_dir / IDS_FILE
    if not ids_file.exists():
        parser.error(f"{ids_file} is missing: run bench/dataset.py --data-dir {data_dir} first")
    if not port_is_free(args.port):
        parser.error(f"something already answers on 127.0.0.1:{args.port}")
    token = fresh_token(data_dir, args.database_url, args.subdomain)
    target = Target(data_dir, args.database_url, args.port, token)
    url = resolved_url(data_dir, args.database_url)
    dialect = "postgresql" if url.startswith("postgres") else "sqlite"
    prefix = f"kommodore-bench:{uuid.uuid4().hex[:8]}:"
    name = f"limiter-{dialect}-{time.strftime('%Y%m%d-%H%M%S')}"
    RESULTS.mkdir(exist_ok=True)
    log_dir = RESULTS / name
    log_dir.mkdir()
    print(f"{dialect}, limiter off vs on (limit {HIGH_LIMIT:,}/s), {args.rounds} round(s)")

    report: dict[str, Any] = {
        "benchmark": "GET " + LEAD_PATH + ", rate limiter off / on (redis) / on (database)",
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "params": vars(args) | {"data_dir": str(data_dir), "high_limit": HIGH_LIMIT},
        "environment": environment(),
        "runs": [],
    }
    failed: BenchError | None = None
    try:
        for round_no in range(1, args.rounds + 1):
            for variant in VARIANTS:
                env = limiter_env(variant, args.redis_url, prefix)
                proc = start(target, env, log_dir / f"server-{variant}-{round_no}.log")
                try:
                    seed = 1000 * round_no + 2 * args.seed
                    began = int(time.time())
                    if args.warmup:
                        run_wrk(target, LEAD_PATH, ids_file, seed + 1, args.warmup,
                                args.connections, proc.pid)  # fmt: skip
                    redis_cpu = redis_cpu_seconds(args.redis_url)
                    result = run_wrk(target, LEAD_PATH, ids_file, seed, args.duration,
                                     args.connections, proc.pid)  # fmt: skip
                    redis_cpu = redis_cpu_seconds(args.redis_url) - redis_cpu
                finally:
                    stop_server(proc)
                if variant != "off":
                    hits = counted_hits(variant, url, args.redis_url, prefix, began)
                    result["counted_hits"] = hits
                    if hits == 0:
                        raise BenchError(f"{variant}: the limiter counted nothing (failed open?)")
                wall = result["duration_us"] / 1e6
                result["server_cpu_us_per_request"] = (
                    1e6 * result["cpu_share"]["server"] * wall / result["requests"]
                )
                result["redis_cpu_us_per_request"] = 1e6 * redis_cpu / result["requests"]
                print(
                    f"  round {round_no} {variant:9} {summary(result)}  "
                    f"server {result['server_cpu_us_per_request']:.0f} us/req  "
                    f"redis {result['redis_cpu_us_per_request']:.1f} us/req",
                    flush=True,
                )
                result.pop("wrk_text", None)
                report["runs"].append({"round": round_no, "variant": variant, **result})
    except BenchError as exc:
        failed = exc
        report["failed"] = str(exc)

    medians = {
        v: statistics.median(r["rps"] for r in runs)
        for v in VARIANTS
        if (runs := [r for r in report["runs"] if r["variant"] == v])
    }
    report["median_rps"] = medians
    cpu = {
        v: statistics.median(r["server_cpu_us_per_request"] for r in runs)
        for v in VARIANTS
        if (runs := [r for r in report["runs"] if r["variant"] == v])
    }
    report["median_server_cpu_us_per_request"] = cpu
    if "off" in medians:
        report["ratio_on_off"] = {v: medians[v] / medians["off"] for v in medians if v != "off"}
        # per round, each "on" run over the "off" run of the same round
        report["ratio_by_round"] = {
            v: [
                round(on["rps"] / off["rps"], 4)
                for off in report["runs"] if off["variant"] == "off"
                for on in report["runs"] if on["variant"] == v and on["round"] == off["round"]
            ]
            for v in VARIANTS[1:]
        }  # fmt: skip
    out = RESULTS / f"{name}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print("median req/s: " + ", ".join(f"{v} {rps:,.0f}" for v, rps in medians.items()))
    for variant, ratio in report.get("ratio_on_off", {}).items():
        verdict = "met" if 1 - ratio < GOAL_COST else "MISSED"
        print(
            f"{variant:9} on/off {ratio:.3f} (cost {100 * (1 - ratio):.1f}%, goal < "
            f"{100 * GOAL_COST:.0f}%: {verdict}); by round {report['ratio_by_round'][variant]}"
        )
    if "off" in cpu:
        # CPU per request holds up better than req/s on a machine others are using too
        report["cpu_ratio_off_on"] = {v: cpu["off"] / cpu[v] for v in cpu if v != "off"}
        print(
            "median server CPU per request: " + ", ".join(f"{v} {c:.1f} us" for v, c in cpu.items())
        )
        for variant, ratio in report["cpu_ratio_off_on"].items():
            print(
                f"{variant:9} throughput by CPU per request, on/off {ratio:.3f} "
                f"(cost {100 * (1 - ratio):.1f}%)"
            )
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"results: {out}")
    if failed is not None:
        print(f"BENCHMARK FAILED: {failed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
