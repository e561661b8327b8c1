"""Contact search at size: a phone and an e-mail found through ``GET /api/v4/contacts`` (``query``
and ``filter[custom_fields_values][PHONE|EMAIL]``) among N contacts, against the same contact
read by id in the same run.

Makes the account ``contacts`` once per data dir (database): a small demo account (its users,
its PHONE and EMAIL fields), then N contacts bulk inserted, each with a mobile number and an
e-mail, then, when the code it runs has one, the party search index built in bulk
(``kommodore.search.parties.index_parties``; a checkout without it is "before": its server
scans). Then starts ``kommodore serve`` pinned to core 0 and, from core 1, sends each workload
in sequence, a different contact each request, timing each request end to end:

- ``phone_query``: ``query=8 (9xx) xxx-xx-xx``, the stored ``+7 (9xx) xxx-xx-xx`` found by its
  last 10 digits;
- ``phone_filter``: ``filter[custom_fields_values][PHONE][]=+79xxxxxxxxx``;
- ``email_query``: ``query=`` the e-mail upper-cased;
- ``email_filter``: ``filter[custom_fields_values][EMAIL][]=`` the e-mail;
- ``get_by_id`` (the reference): ``GET /api/v4/contacts/{id}`` of the same contacts.

Every answer must be a 200 holding the contact looked for. Reports p50/p99 per workload and each
p50 over the reference's.

    .venv/bin/python bench/contact_search.py --data-dir /tmp/cs-100k --contacts 100000
    PYTHONPATH=/tmp/main-src/src .venv/bin/python bench/contact_search.py \
        --data-dir /tmp/cs-100k-before --contacts 100000 --label before
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa

from dataset import analyze, mint_token, resolved_url
from get_lead import BenchError, Target, http_get, port_is_free, start_server, stop_server
from kommodore.db import sqlalchemy_url
from kommodore.db.bulk import allocate_ids, bulk_connection, insert_rows
from kommodore.db.migrate import upgrade
from kommodore.demo.generator import create_demo

CLIENT_CPU = 1
RESULTS = Path(__file__).parent / "results"
SUBDOMAIN = "contacts"
TOKEN_FILE = "contact-search-token.txt"  # noqa: S105 (a file name)
BATCH = 100_000
CONTACT_COLUMNS = ("account_id", "id", "name", "first_name", "last_name", "responsible_user_id",
                   "group_id", "created_by", "updated_by", "created_at", "updated_at",
                   "closest_task_at", "is_deleted")  # fmt: skip
VALUE_COLUMNS = ("account_id", "contact_id", "field_id", "position", "enum_id", "value_text")
FIRST = ("Ivan", "Olga", "Anna", "Pieter", "Maria", "Sam", "Yuki", "Lena", "Omar", "Chen")
LAST = ("Petrov", "de Vries", "Smith", "Garcia", "Tanaka", "Novak", "Haddad", "Kowalski")


def phone_digits(i: int) -> str:
    """A distinct Russian mobile number per contact: +7 9xx xxx xx xx (a bijection of i)."""
    return f"79{(i * 7_654_321 + 12_345) % 10**9:09d}"


def formatted(digits: str, country: str = "+7") -> str:
    d = digits[1:]
    return f"{country} ({d[:3]}) {d[3:6]}-{d[6:8]}-{d[8:]}"


def email(i: int) -> str:
    return f"{FIRST[i % len(FIRST)]}.{LAST[i % len(LAST)].replace(' ', '')}{i}@Mail{i % 37}.example"


def _field(conn: sa.Connection, account: int, code: str) -> tuple[int, int | None]:
    field_id, enum_id = conn.execute(
        sa.text(
            "SELECT f.id, min(e.id) FROM custom_fields f LEFT JOIN custom_field_enums e "
            "ON e.account_id = f.account_id AND e.field_id = f.id WHERE f.account_id = :a "
            "AND f.entity_type = 'contacts' AND f.code = :c GROUP BY f.id"
        ),
        {"a": account, "c": code},
    ).one()
    return int(field_id), enum_id


def load(url: str, contacts: int) -> dict[str, Any]:
    """The account and its N contacts, once; what was loaded and how long it took."""
    create_demo(url, SUBDOMAIN, leads=200, seed=1)
    with bulk_connection(url) as conn:
        account = conn.execute(
            sa.text("SELECT id FROM accounts WHERE subdomain = :s"), {"s": SUBDOMAIN}
        ).scalar_one()
        owner = conn.execute(
            sa.text("SELECT id FROM users WHERE account_id = :a AND is_admin ORDER BY id LIMIT 1"),
            {"a": account},
        ).scalar_one()
        loaded = conn.execute(
            sa.text("SELECT count(*) FROM contacts WHERE account_id = :a AND name LIKE 'Bench %'"),
            {"a": account},
        ).scalar_one()
    if loaded:
        return {"account": account, "contacts": loaded, "reused": True}
    began = time.perf_counter()
    ids: list[int] = []
    for start in range(0, contacts, BATCH):
        n = min(BATCH, contacts - start)
        with bulk_connection(url) as conn:
            phone, mob = _field(conn, account, "PHONE")
            mail, work = _field(conn, account, "EMAIL")
            batch = list(allocate_ids(conn, "contacts", n))
            now = int(time.time())
            rows, values = [], []
            for k, cid in enumerate(batch):
                i = start + k
                first, last = FIRST[i % len(FIRST)], LAST[i % len(LAST)]
                rows.append((account, cid, f"Bench {first} {last} {i}", first, last, owner, 0,
                             owner, owner, now, now, None, False))  # fmt: skip
                values.append((account, cid, phone, 0, mob, formatted(phone_digits(i))))
                values.append((account, cid, mail, 0, work, email(i)))
            insert_rows(conn, "contacts", CONTACT_COLUMNS, rows)
            insert_rows(conn, "contact_custom_field_values", VALUE_COLUMNS, values)
            ids += batch
    inserted = time.perf_counter() - began
    indexed = None
    try:
        from kommodore.search.parties import index_parties
    except ImportError:  # the code before the index: its server scans
        index_parties = None  # type: ignore[assignment]
    if index_parties is not None:
        began = time.perf_counter()
        with bulk_connection(url) as conn:
            index_parties(conn, "contacts", account)
        indexed = time.perf_counter() - began
    began = time.perf_counter()
    analyze(url)
    analyzed = time.perf_counter() - began
    return {"account": account, "contacts": len(ids), "reused": False,
            "insert_s": round(inserted, 1), "index_s": indexed and round(indexed, 1),
            "analyze_s": round(analyzed, 1)}  # fmt: skip


def sample(url: str, account: int, requests: int, seed: int) -> list[tuple[int, int]]:
    """(contact id, its number i) of ``requests`` random bench contacts."""
    engine = sa.create_engine(sqlalchemy_url(url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            low, high, count = conn.execute(
                sa.text("SELECT min(id), max(id), count(*) FROM contacts WHERE account_id = :a "
                        "AND name LIKE 'Bench %'"), {"a": account},
            ).one()  # fmt: skip
            picked = []
            rnd = random.Random(seed)
            while len(picked) < requests:
                cid = rnd.randint(low, high)
                name = conn.execute(
                    sa.text("SELECT name FROM contacts WHERE account_id = :a AND id = :i"),
                    {"a": account, "i": cid},
                ).scalar_one_or_none()
                if name and name.startswith("Bench "):
                    picked.append((cid, int(name.rsplit(" ", 1)[1])))
    finally:
        engine.dispose()
    assert count
    return picked


def workloads(cid: int, i: int) -> dict[str, str]:
    digits = phone_digits(i)
    f = "filter[custom_fields_values]"
    return {
        "phone_query": f"/api/v4/contacts?query={quote(formatted(digits, '8'))}",
        "phone_filter": f"/api/v4/contacts?{f}[PHONE][]={quote('+' + digits)}",
        "email_query": f"/api/v4/contacts?query={quote(email(i).upper())}",
        "email_filter": f"/api/v4/contacts?{f}[EMAIL][]={quote(email(i))}",
        "get_by_id": f"/api/v4/contacts/{cid}",
    }


def measure(target: Target, picks: list[tuple[int, int]], name: str, warmup: int) -> list[float]:
    times: list[float] = []
    for n, (cid, i) in enumerate(picks):
        url = target.base + workloads(cid, i)[name]
        began = time.perf_counter()
        status, body = http_get(url, target.token, timeout=120)
        elapsed = (time.perf_counter() - began) * 1000
        if status != 200:
            raise BenchError(f"{name}: status {status} for {url}: {body[:200]!r}")
        answer = json.loads(body)
        listed = answer.get("_embedded", {}).get("contacts", [])
        found = [answer["id"]] if "id" in answer else [c["id"] for c in listed]
        if cid not in found:
            raise BenchError(f"{name}: {url} did not find contact {cid}: {found}")
        if n >= warmup:
            times.append(elapsed)
    return times


def summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2),
        "max_ms": round(ordered[-1], 2),
        "requests": len(ordered),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--port", type=int, default=8767)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--label", default="")
    args = parser.parse_args(argv)

    data_dir: Path = args.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    url = resolved_url(data_dir, args.database_url)
    upgrade(url)
    loaded = load(url, args.contacts)
    print(f"loaded: {loaded}", flush=True)
    token = mint_token(data_dir, args.database_url, SUBDOMAIN, data_dir / TOKEN_FILE)
    if not port_is_free(args.port):
        raise BenchError(f"port {args.port} is busy")
    os.sched_setaffinity(0, {CLIENT_CPU})
    target = Target(data_dir, args.database_url, args.port, token)
    picks = sample(url, loaded["account"], args.warmup + args.requests, args.seed)
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    proc = start_server(target, "uvicorn", RESULTS / f"contact-search-server-{stamp}.log",
                        ceiling=False)  # fmt: skip
    try:
        names = ["get_by_id", "phone_query", "phone_filter", "email_query", "email_filter"]
        results = {name: summary(measure(target, picks, name, args.warmup)) for name in names}
    finally:
        stop_server(proc)
    reference = results["get_by_id"]["p50_ms"]
    for r in results.values():
        r["p50_over_get"] = round(r["p50_ms"] / reference, 2)
    backend = "postgresql" if args.database_url else "sqlite"
    report = {"backend": backend, "label": args.label, "data_dir": str(data_dir),
              "load": loaded, "load_average": os.getloadavg(), "results": results}  # fmt: skip
    out = RESULTS / f"contact_search-{backend}-{args.label or 'run'}-{stamp}.json"
    out.write_text(json.dumps(report, indent=2))
    print(f"{backend} {args.label} {loaded['contacts']:,} contacts: p50 / p99 ms (p50 / get)")
    for name, r in results.items():
        print(f"  {name:<13} {r['p50_ms']:>9.2f} / {r['p99_ms']:>9.2f}  ({r['p50_over_get']})")
    print(f"written {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
