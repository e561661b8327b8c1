"""A lead read's statements on one asyncpg connection, in a loop: the three statements a GET by
id made before (token, lead, parts), the one statement it makes now (the parts as a
``record[]`` column), and the same one statement with the parts as JSON text instead (the
variant not chosen); then that one statement as it is sent behind PgBouncer
(``KOMMODORE_DATABASE_POOLER=pgbouncer``, on a connection of its own): unnamed, planned on every
read, and unnamed through the PL/pgSQL function that keeps its plan (``db/kept_plans.py``).
Times are per read, client and server on this machine, medians of three runs; the client's
CPU per read says what decoding costs the app.

    .venv/bin/python bench/round_trips.py --data-dir /tmp/kommodore-bench-pg10k \\
        --database-url postgresql://postgres@127.0.0.1:5432/kommodore_bench

The data dir and database are ``bench/dataset.py``'s (its ids file and admin token).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
import jwt
import msgspec

from kommodore.auth import store as auth_store
from kommodore.db.database import sql
from kommodore.db.kept_plans import KeptPlans
from kommodore.db.postgres import (
    PooledConnection,
    PostgresConnection,
    UnnamedStatements,
    asyncpg_dsn,
)
from kommodore.leads import store

COLUMNS = "kind, lead_id, id, n1, n2, num, o1, o2, o3, t1, t2, t3, t4, t5, t6, t7"


def json_variant() -> str:
    """``TOKEN_AND_LEAD`` with its ``record[]`` column replaced by ``json_agg`` text."""
    text = store.TOKEN_AND_LEAD[True, True, False].postgresql
    start, end = text.index("ARRAY(SELECT ROW(p.*)"), text.index(" FROM accounts a")
    union = text[start + len("ARRAY(SELECT ROW(p.*) FROM (") : text.index(") AS p(")]
    parts = (
        f"(SELECT COALESCE(json_agg(json_build_array({COLUMNS}) ORDER BY kind, o1, o2, o3), "  # noqa: S608 (the statement's own fragments)
        f"'[]') FROM ({union}) AS p({COLUMNS}))::text"
    )
    return text[:start] + parts + text[end:]


async def measure(url: str, data_dir: Path, reads: int, seed: int) -> None:
    claims = jwt.decode(
        (data_dir / "bench-token.txt").read_text().strip(), options={"verify_signature": False}
    )
    account_id, jti = int(claims["account_id"]), str(claims["jti"])
    ids = [int(x) for x in (data_dir / "bench-lead-ids.txt").read_text().split()]
    rng = random.Random(seed)
    raw = await asyncpg.connect(asyncpg_dsn(url))
    conn = PostgresConnection(raw)
    as_json = sql(json_variant())
    unnamed_raw = await asyncpg.connect(
        asyncpg_dsn(url), statement_cache_size=0, connection_class=UnnamedStatements
    )
    plain_plans, kept_plans = KeptPlans(), KeptPlans()
    plain_plans.calls[store.TOKEN_AND_LEAD[True, True, False].postgresql] = None  # sent as it is
    unnamed = PooledConnection(unnamed_raw, plain_plans)
    kept = PooledConnection(unnamed_raw, kept_plans)

    async def three(lead_id: int) -> None:
        await auth_store.find_account_token(conn, account_id, jti)
        await store.get_lead(conn, account_id, lead_id)
        await store.lead_parts(conn, account_id, [lead_id], contacts=True, elements=True)

    async def one(lead_id: int) -> None:
        await store.token_and_lead(conn, account_id, jti, lead_id, contacts=True, elements=True)

    async def one_json(lead_id: int) -> None:
        row = await raw.fetchrow(as_json.postgresql, account_id, jti, lead_id)
        assert row is not None
        store.LeadParts().add_rows(msgspec.json.decode(row[-1]))

    async def one_unnamed(lead_id: int) -> None:
        await store.token_and_lead(unnamed, account_id, jti, lead_id, contacts=True, elements=True)

    async def one_kept(lead_id: int) -> None:
        await store.token_and_lead(kept, account_id, jti, lead_id, contacts=True, elements=True)

    ways: dict[str, Callable[[int], Awaitable[None]]] = {
        "three statements (before)": three,
        "one statement, record[] (now)": one,
        "one statement, json text": one_json,
        "pgbouncer: unnamed, plain": one_unnamed,
        "pgbouncer: unnamed, its function": one_kept,
    }
    for way in ways.values():  # prepared, and past asyncpg's switch to a generic plan
        for _ in range(50):
            await way(rng.choice(ids))
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in ways}
    for _ in range(3):
        for name, way in ways.items():
            sample = [rng.choice(ids) for _ in range(reads)]
            wall, cpu = time.perf_counter(), time.process_time()
            for lead_id in sample:
                await way(lead_id)
            runs[name].append(
                (
                    (time.perf_counter() - wall) / reads * 1e6,
                    (time.process_time() - cpu) / reads * 1e6,
                )
            )
    await raw.close()
    await unnamed_raw.close()
    for name, found in runs.items():
        wall_us = statistics.median(w for w, _ in found)
        cpu_us = statistics.median(c for _, c in found)
        spread = ", ".join(f"{w:.0f}" for w, _ in found)
        print(f"{name:34} {wall_us:6.0f} us a read  (client CPU {cpu_us:4.0f} us; runs {spread})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--reads", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    asyncio.run(measure(args.database_url, args.data_dir, args.reads, args.seed))


if __name__ == "__main__":
    main()
