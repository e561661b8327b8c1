"""Create the benchmark account: N leads with tags, contacts and custom field values.

Writes, next to the database (in the data directory), what ``bench/get_lead.py`` needs: the ids
of the leads the admin can see (``bench-lead-ids.txt``, one per line, for wrk to pick from) and
a one-day admin token (``bench-token.txt``).

    .venv/bin/python bench/dataset.py --data-dir /tmp/kommodore-bench-1m --leads 1000000
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from kommodore.db import sqlalchemy_url
from kommodore.db.migrate import upgrade
from kommodore.demo.generator import create_demo
from kommodore.settings import Settings

IDS_FILE = "bench-lead-ids.txt"
TOKEN_FILE = "bench-token.txt"  # noqa: S105 (a file name)
DEFAULT_SUBDOMAIN = "bench"


def server_env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    """The environment the CLI and the server run with; explicit so a stray ``.env`` or shell
    variable cannot point a run at another database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOMMODORE_")}
    env["KOMMODORE_DATA_DIR"] = str(data_dir)
    # Kommo's 7 requests a second would be the figure measured; bench/limiter.py turns it on
    env["KOMMODORE_RATE_LIMIT_ENABLED"] = "false"
    if database_url:
        env["KOMMODORE_DATABASE_URL"] = database_url
    return env


def resolved_url(data_dir: Path, database_url: str | None) -> str:
    """The URL the server will resolve from the same settings (SQLite in the data dir by
    default)."""
    return Settings(data_dir=data_dir, database_url=database_url).resolved_database_url


def analyze(url: str) -> None:
    """Planner statistics for the freshly loaded tables. PostgreSQL plans lead reads badly
    without them (measured: the lead's parts statement took 725 us before, 309 us after), and
    autovacuum, which would gather them in production, may be off or not have run yet."""
    if not url.startswith("postgres"):
        return  # SQLite plans these point lookups by primary key without statistics
    engine = sa.create_engine(sqlalchemy_url(url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("ANALYZE"))
    finally:
        engine.dispose()


def write_visible_ids(url: str, subdomain: str, path: Path) -> int:
    """Ids of the account's non-deleted leads (all of which the admin sees), one per line."""
    engine = sa.create_engine(sqlalchemy_url(url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT l.id FROM leads l JOIN accounts a ON a.id = l.account_id "
                    "WHERE a.subdomain = :s AND NOT l.is_deleted ORDER BY l.id"
                ),
                {"s": subdomain},
            )
            ids = [str(r[0]) for r in rows]
    finally:
        engine.dispose()
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(ids) + "\n")
    tmp.replace(path)
    return len(ids)


def mint_token(data_dir: Path, database_url: str | None, subdomain: str, path: Path) -> str:
    """A one-day admin token through the public CLI, kept in a 0600 file."""
    token = subprocess.run(
        [sys.executable, "-m", "kommodore", "token", "create", "--subdomain", subdomain,
         "--admin", "--days", "1"],
        env=server_env(data_dir, database_url),
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()  # fmt: skip
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(token + "\n")
    return token


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data-dir",
        type=Path,
        required=True,
        help="holds the SQLite file, signing key, lead ids and token",
    )
    parser.add_argument(
        "--database-url", default=None, help="postgresql://... (default: SQLite in --data-dir)"
    )
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--subdomain", default=DEFAULT_SUBDOMAIN)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    data_dir: Path = args.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    url = resolved_url(data_dir, args.database_url)
    upgrade(url)

    began = time.perf_counter()
    summary = create_demo(url, args.subdomain, args.leads, args.seed)
    took = time.perf_counter() - began
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if summary.created:
        print(
            f"created {summary.leads:,} leads in {took:.1f} s: "
            f"{summary.leads / took:,.0f} leads/s (peak RSS {peak_mib:,.0f} MiB)"
        )
    else:
        print(f"account {args.subdomain!r} already exists with {summary.leads:,} leads; reused")
        if summary.leads != args.leads:
            print(f"warning: asked for {args.leads:,} leads", file=sys.stderr)

    analyze(url)
    visible = write_visible_ids(url, args.subdomain, data_dir / IDS_FILE)
    mint_token(data_dir, args.database_url, args.subdomain, data_dir / TOKEN_FILE)
    print(f"{visible:,} visible lead ids in {data_dir / IDS_FILE}")
    print(f"admin token (1 day) in {data_dir / TOKEN_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
