"""Soak: mixed reads and writes at 80% of the measured maximum rate, for a long time.

First a closed loop (``--concurrency`` clients, as fast as the server answers) measures the
maximum rate of the mix; then an open loop sends requests at ``--load`` of that rate for
``--minutes``, whatever the server does, and records per minute the requests sent, errors
(5xx, resets, timeouts), p50/p99 latency and the server's RSS. A webhook subscribed to a local
receiver makes every write go through the outbox and the delivery worker too.

    .venv/bin/python bench/soak.py --data-dir /tmp/kommodore-soak --minutes 30
    .venv/bin/python bench/soak.py --data-dir /tmp/kommodore-soak-pg --minutes 30 \\
        --database-url postgresql://postgres@127.0.0.1:5432/kommodore_soak

The mix (of 100 requests): 40 GET a lead by id, 20 GET a list page (limit 50, with contacts),
10 GET a filtered list, 15 PATCH one lead (price or stage), 10 POST 2 leads with tags, 5 PATCH
a batch of 10. Writes are 30%. Results go to ``bench/results/soak-*.json`` and as a Markdown
table to stdout. The server runs pinned to core 0, the load generator to core 1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dataset import server_env

RESULTS = Path(__file__).resolve().parent / "results"
KOMMODORE = str(Path(sys.executable).with_name("kommodore"))


@dataclass
class Minute:
    sent: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)


def rss_mb(pid: int) -> float:
    """Resident memory of the server process and its children (workers), in MB."""
    total = 0
    pids = [pid, *_children(pid)]
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            continue
    return total / 1024


def _children(pid: int) -> list[int]:
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:
        return []
    kids = [int(c) for c in found]
    return kids + [g for k in kids for g in _children(k)]


class Mix:
    """Builds the requests of the mix from the demo account's ids."""

    def __init__(self, lead_ids: list[int], statuses: list[tuple[int, int]], seed: int) -> None:
        self.lead_ids = lead_ids
        self.statuses = statuses
        self.rand = random.Random(seed)
        self.kinds: list[tuple[int, Callable[[], tuple[str, str, Any]]]] = [
            (40, self.get_lead),
            (20, self.list_page),
            (10, self.filtered_list),
            (15, self.patch_one),
            (10, self.post_two),
            (5, self.patch_batch),
        ]
        self.table = [k for weight, k in self.kinds for _ in range(weight)]

    def next(self) -> tuple[str, str, Any]:
        return self.rand.choice(self.table)()

    def lead(self) -> int:
        return self.rand.choice(self.lead_ids)

    def get_lead(self) -> tuple[str, str, Any]:
        return "GET", f"/api/v4/leads/{self.lead()}?with=contacts,loss_reason,source_id", None

    def list_page(self) -> tuple[str, str, Any]:
        page = self.rand.randint(1, 20)
        return "GET", f"/api/v4/leads?limit=50&page={page}&with=contacts", None

    def filtered_list(self) -> tuple[str, str, Any]:
        low = self.rand.randint(0, 5000)
        return "GET", f"/api/v4/leads?filter[price][from]={low}&order[id]=desc&limit=50", None

    def patch_one(self) -> tuple[str, str, Any]:
        if self.rand.random() < 0.5:
            return "PATCH", f"/api/v4/leads/{self.lead()}", {"price": self.rand.randint(0, 9999)}
        pipeline, status = self.rand.choice(self.statuses)
        body = {"pipeline_id": pipeline, "status_id": status}
        return "PATCH", f"/api/v4/leads/{self.lead()}", body

    def post_two(self) -> tuple[str, str, Any]:
        tag = f"soak-{self.rand.randint(1, 50)}"
        body = [
            {"name": f"soak {self.rand.random():.6f}", "price": self.rand.randint(0, 9999),
             "tags_to_add": [{"name": tag}]}
            for _ in range(2)
        ]  # fmt: skip
        return "POST", "/api/v4/leads", body

    def patch_batch(self) -> tuple[str, str, Any]:
        ids = self.rand.sample(self.lead_ids, 10)
        return "PATCH", "/api/v4/leads", [{"id": i, "price": self.rand.randint(0, 99)} for i in ids]


async def send(
    client: httpx.AsyncClient, request: tuple[str, str, Any], minutes: list[Minute], began: float
) -> None:
    method, path, body = request
    start = time.perf_counter()
    slot = minutes[min(int((start - began) // 60), len(minutes) - 1)]
    slot.sent += 1
    try:
        response = await client.request(method, path, json=body)
        status = response.status_code
    except httpx.HTTPError:
        status = 0
    slot.latencies.append(time.perf_counter() - start)
    slot.statuses[status] = slot.statuses.get(status, 0) + 1
    if status == 0 or status >= 500:
        slot.errors += 1


async def closed_loop(base: str, token: str, mix: Mix, seconds: float, concurrency: int) -> float:
    """Requests a second the server sustains with ``concurrency`` clients sending back to back."""
    done = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        base_url=base, headers=headers, limits=limits, timeout=30
    ) as client:

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                method, path, body = mix.next()
                await client.request(method, path, json=body)
                done += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return done / (time.perf_counter() - started)


async def open_loop(
    base: str, token: str, mix: Mix, rate: float, minutes: int, server_pid: int
) -> tuple[list[Minute], list[float]]:
    """Sends at ``rate`` a second for ``minutes``, whatever the answers take; samples RSS."""
    slots = [Minute() for _ in range(minutes)]
    rss: list[float] = []
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=64)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        base_url=base, headers=headers, limits=limits, timeout=30
    ) as client:
        began = time.perf_counter()
        end = began + minutes * 60
        interval = 1 / rate
        tasks: set[asyncio.Task[None]] = set()
        n = 0
        next_rss = began
        while (now := time.perf_counter()) < end:
            if now >= next_rss:
                rss.append(rss_mb(server_pid))
                next_rss += 60
            due = began + n * interval
            if due > now:
                await asyncio.sleep(due - now)
            task = asyncio.create_task(send(client, mix.next(), slots, began))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            n += 1
        await asyncio.gather(*tasks)
        rss.append(rss_mb(server_pid))
    return slots, rss


async def receiver(port: int) -> asyncio.Server:
    """A webhook receiver that answers 200 to everything."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = re.search(rb"content-length:\s*(\d+)", head, re.I)
                if length:
                    await reader.readexactly(int(length.group(1)))
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", port)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def prepare(args: argparse.Namespace, env: dict[str, str]) -> tuple[str, list[int]]:
    demo = subprocess.run(
        [KOMMODORE, "demo", "--subdomain", "soak", "--leads", str(args.leads)],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    token = re.search(r"^TOKEN=(\S+)$", demo.stdout, re.M)
    assert token, demo.stdout + demo.stderr
    return token.group(1), []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--database-url")
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--minutes", type=int, default=30)
    parser.add_argument("--load", type=float, default=0.8, help="share of the measured maximum")
    parser.add_argument("--probe-seconds", type=float, default=30)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--receiver-port", type=int, default=8767)
    parser.add_argument("--label", default="")
    args = parser.parse_args(argv)

    env = server_env(args.data_dir, args.database_url)
    env["KOMMODORE_OUTBOUND_ALLOW_LOOPBACK"] = "true"  # the receiver is on this machine
    env["KOMMODORE_WEBHOOK_WORKER_IN_PROCESS"] = "true"
    token, _ = prepare(args, env)
    RESULTS.mkdir(exist_ok=True)
    log = (RESULTS / f"soak-server-{args.label or 'run'}.log").open("wb")
    server = subprocess.Popen(
        ["taskset", "-c", "0", KOMMODORE, "serve", "--port", str(args.port)],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    os.sched_setaffinity(0, {1})
    base = f"http://127.0.0.1:{args.port}"
    try:
        return asyncio.run(run(args, base, token, server.pid))
    finally:
        server.terminate()
        server.wait(timeout=30)


async def run(args: argparse.Namespace, base: str, token: str, server_pid: int) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:
        for _ in range(300):
            try:
                if (await client.get("/healthz")).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
        ids: list[int] = []
        page = 1
        while len(ids) < 2000:
            answer = await client.get(f"/api/v4/leads?limit=250&page={page}")
            if answer.status_code != 200:
                break
            ids += [lead["id"] for lead in answer.json()["_embedded"]["leads"]]
            page += 1
        pipelines = (await client.get("/api/v4/leads/pipelines")).json()
        statuses = [
            (p["id"], s["id"])
            for p in pipelines["_embedded"]["pipelines"]
            for s in p["_embedded"]["statuses"]
            if s["id"] not in (142, 143) and s.get("type", 0) == 0
        ]
        hook = await client.post(
            "/api/v4/webhooks",
            json={"destination": f"http://127.0.0.1:{args.receiver_port}/hook",
                  "settings": ["add_lead", "update_lead", "status_lead"]},
        )  # fmt: skip
        assert hook.status_code in (200, 201), hook.text
    mix = Mix(ids, statuses, seed=1)
    hooks = await receiver(args.receiver_port)
    try:
        maximum = await closed_loop(base, token, mix, args.probe_seconds, args.concurrency)
        rate = maximum * args.load
        print(f"maximum {maximum:.0f} req/s; soaking at {rate:.0f} req/s", flush=True)
        slots, rss = await open_loop(base, token, mix, rate, args.minutes, server_pid)
    finally:
        hooks.close()
    rows = []
    for i, slot in enumerate(slots):
        rows.append({
            "minute": i + 1, "sent": slot.sent, "errors": slot.errors,
            "p50_ms": round(percentile(slot.latencies, 0.5) * 1000, 1),
            "p99_ms": round(percentile(slot.latencies, 0.99) * 1000, 1),
            "rss_mb": round(rss[min(i + 1, len(rss) - 1)], 1), "statuses": slot.statuses,
        })  # fmt: skip
    result = {"database": "postgresql" if args.database_url else "sqlite",
              "maximum_rps": round(maximum, 1), "rate_rps": round(rate, 1),
              "minutes": args.minutes, "rss_start_mb": round(rss[0], 1), "rows": rows}  # fmt: skip
    out = RESULTS / f"soak-{result['database']}-{int(time.time())}{args.label}.json"
    out.write_text(json.dumps(result, indent=1))
    print("| minute | sent | errors | p50 ms | p99 ms | RSS MB |\n|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['minute']} | {r['sent']} | {r['errors']} | {r['p50_ms']} | {r['p99_ms']} "
              f"| {r['rss_mb']} |")  # fmt: skip
    print(f"written {out}")
    return 1 if any(r["errors"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
