"""Latency of six lead list queries (issue: finding leads), at limit 250 with ``with=contacts``.

Runs against a dataset made by ``bench/dataset.py``: starts ``kommodore serve`` pinned to core 0,
then, from core 1, sends each query sequentially (warm-up first) and records every request's
wall time. Reports p50 and p99 per query; run it on two dataset sizes to get the scaling ratio.

    .venv/bin/python bench/list_leads.py --data-dir /tmp/kommodore-bench-1m --requests 40
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from dataset import DEFAULT_SUBDOMAIN, TOKEN_FILE, resolved_url
from get_lead import BenchError, Target, http_get, port_is_free, start_server, stop_server
from kommodore.db import sqlalchemy_url

CLIENT_CPU = 1
RESULTS = Path(__file__).parent / "results"


def queries(url: str, subdomain: str) -> dict[str, str]:
    """The six queries of the issue, with values taken from the dataset itself. ``query_text``
    searches what people search for (an order number: a handful of leads); a seventh query,
    ``query_common_word``, searches a word in one lead name out of twelve, for contrast."""
    engine = sa.create_engine(sqlalchemy_url(url), poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        account = conn.execute(
            sa.text("SELECT id FROM accounts WHERE subdomain = :s"), {"s": subdomain}
        ).scalar_one()

        def one(statement: str) -> Any:
            return conn.execute(sa.text(statement), {"a": account}).first()

        pipeline, status = one(
            "SELECT pipeline_id, id FROM statuses WHERE account_id = :a AND type = 0 "
            "AND id NOT IN (142, 143) ORDER BY pipeline_id, sort LIMIT 1"
        )
        (user,) = one("SELECT id FROM users WHERE account_id = :a AND NOT is_admin "
                      "AND NOT is_free ORDER BY id LIMIT 1")  # fmt: skip
        (field_id, enum_id) = one(
            "SELECT f.id, e.id FROM custom_fields f JOIN custom_field_enums e ON "
            "e.account_id = f.account_id AND e.field_id = f.id WHERE f.account_id = :a "
            "AND f.type = 'select' ORDER BY e.sort LIMIT 1"
        )
        (latest,) = one("SELECT max(updated_at) FROM leads WHERE account_id = :a")
    engine.dispose()
    base = "limit=250&with=contacts"
    return {
        "status_pair": f"{base}&filter[statuses][0][pipeline_id]={pipeline}"
        f"&filter[statuses][0][status_id]={status}",
        "responsible": f"{base}&filter[responsible_user_id]={user}",
        "updated_range_desc": f"{base}&filter[updated_at][from]={latest - 30 * 86400}"
        f"&filter[updated_at][to]={latest}&order[updated_at]=desc",
        "custom_field": f"{base}&filter[custom_fields_values][{field_id}][]={enum_id}",
        "query_text": f"{base}&query=ord-0123",
        "query_common_word": f"{base}&query=consulting",
        "page40_id_desc": f"{base}&page=40&order[id]=desc",
    }


def measure(target: Target, query: str, requests: int, warmup: int) -> dict[str, Any]:
    url = f"{target.base}/api/v4/leads?{query}"
    times: list[float] = []
    items = 0
    for i in range(warmup + requests):
        began = time.perf_counter()
        status, body = http_get(url, target.token, timeout=30)
        elapsed = time.perf_counter() - began
        if status != 200:
            raise BenchError(f"{query}: status {status}: {body[:200]!r}")
        if i >= warmup:
            times.append(elapsed * 1000)
            items = len(json.loads(body)["_embedded"]["leads"])
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 2),
        "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))], 2),
        "min_ms": round(times[0], 2),
        "max_ms": round(times[-1], 2),
        "items": items,
        "requests": requests,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--subdomain", default=DEFAULT_SUBDOMAIN)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--label", default="")
    args = parser.parse_args(argv)

    data_dir: Path = args.data_dir.resolve()
    url = resolved_url(data_dir, args.database_url)
    token = (data_dir / TOKEN_FILE).read_text().strip()
    if not port_is_free(args.port):
        raise BenchError(f"port {args.port} is busy")
    os.sched_setaffinity(0, {CLIENT_CPU})
    target = Target(data_dir, args.database_url, args.port, token)
    ceiling = data_dir / "bench-ceiling.json"  # start_server serves the ceiling route too
    if not ceiling.exists():
        ceiling.write_bytes(b"{}")
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    proc = start_server(target, "uvicorn", RESULTS / f"list-server-{stamp}.log")
    try:
        results = {
            name: measure(target, query, args.requests, args.warmup)
            for name, query in queries(url, args.subdomain).items()
        }
    finally:
        stop_server(proc)
    backend = "postgresql" if args.database_url else "sqlite"
    report = {"backend": backend, "label": args.label, "data_dir": str(data_dir),
              "results": results}  # fmt: skip
    out = RESULTS / f"list_leads-{backend}-{args.label or 'run'}-{stamp}.json"
    out.write_text(json.dumps(report, indent=2))
    width = max(len(n) for n in results)
    print(f"{backend} {args.label}: p50 / p99 ms (items per page)")
    for name, r in results.items():
        print(f"  {name:<{width}}  {r['p50_ms']:>8.2f} / {r['p99_ms']:>8.2f}  ({r['items']})")
    print(f"written {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
