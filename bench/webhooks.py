"""Benchmark webhook delivery against ingest: can the delivery worker keep up with writes?

One run, on one database:

1. ``ingest``: ``kommodore serve --workers 1`` (core 0, in-process worker off) takes
   ``POST /api/v4/leads`` batches as fast as one client sends them; a webhook subscribed to
   ``add_lead`` makes each batch one delivery (spec §13.2: one request per change batch).
   Measured: requests/s and leads/s; the outbox grows by one delivery per request.
2. ``drain``: the server stopped, ``kommodore worker`` (core 1) delivers that backlog to a
   local receiver that answers 200 at once. Measured: deliveries/s.
3. ``sustained``: server and worker together for ``--seconds``; the outbox's pending count is
   sampled every 0.25 s. Delivery keeps up when the backlog stays bounded (its maximum is a
   few batches, not growing with time) and is empty shortly after ingest stops.

Batches of 1 lead (``--batch 1``, the default) are the worst case for delivery: one
delivery per lead. ``--batch 250`` shows the bulk case.

    .venv/bin/python bench/webhooks.py --data-dir /tmp/kommodore-bench-hooks
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import platform
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from dataset import mint_token, resolved_url, server_env
from get_lead import BenchError, port_is_free, stop_server
from kommodore.db import sqlalchemy_url
from kommodore.db.migrate import upgrade
from kommodore.demo.generator import create_demo

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
SUBDOMAIN = "hooks"
KOMMODORE = str(Path(sys.executable).parent / "kommodore")


# --- the receiver: a minimal keep-alive HTTP/1.1 server answering 200 at once ---------------


def _receiver_main(port: int, count: Synchronized[int], ready: Any) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                await reader.readexactly(length)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                with count.get_lock():
                    count.value += 1
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
        ready.set()
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def start_receiver(port: int) -> tuple[multiprocessing.Process, Synchronized[int]]:
    count: Synchronized[int] = multiprocessing.Value("q", 0)
    ready = multiprocessing.Event()
    proc = multiprocessing.Process(target=_receiver_main, args=(port, count, ready), daemon=True)
    proc.start()
    if not ready.wait(10):
        raise BenchError("the receiver did not start")
    return proc, count


# --- processes ---------------------------------------------------------------------------


def _env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = server_env(data_dir, database_url)
    env.update(
        KOMMODORE_LOG_LEVEL="warning",
        KOMMODORE_ACCESS_LOG="false",
        KOMMODORE_WEBHOOK_WORKER_IN_PROCESS="false",
        KOMMODORE_WEBHOOK_POLL_INTERVAL_SECONDS="0.05",
    )
    return env


def start_server(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    cmd = ["taskset", "-c", "0", KOMMODORE, "serve", "--port", str(port), "--workers", "1"]
    proc = subprocess.Popen(
        cmd, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"server exited with {proc.returncode}; see {log}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        time.sleep(0.2)
    stop_server(proc)
    raise BenchError(f"server did not start; see {log}")


def start_worker(env: dict[str, str], log: Path, batch_size: int) -> subprocess.Popen[bytes]:
    env = {**env, "KOMMODORE_WEBHOOK_BATCH_SIZE": str(batch_size)}
    return subprocess.Popen(
        ["taskset", "-c", "1", KOMMODORE, "worker"],
        env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


def stop_worker(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


# --- database probes ---------------------------------------------------------------------


class Outbox:
    def __init__(self, url: str, account_id: int) -> None:
        self.engine = sa.create_engine(sqlalchemy_url(url), poolclass=sa.pool.NullPool)
        self.account_id = account_id

    def pending(self) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    sa.text("SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'")
                ).scalar_one()
            )

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT status, count(*) FROM webhook_deliveries WHERE account_id = :a "
                    "GROUP BY status"
                ),
                {"a": self.account_id},
            )
            return {r[0]: int(r[1]) for r in rows}


def prepare(url: str, data_dir: Path, database_url: str | None) -> tuple[int, str]:
    upgrade(url)
    summary = create_demo(url, SUBDOMAIN, 10, 1)
    token = mint_token(data_dir, database_url, SUBDOMAIN, data_dir / "hooks-token.txt")
    return summary.account_id, token


# --- the phases --------------------------------------------------------------------------


def _batch_bodies(count: int, batch: int, tag: str) -> list[bytes]:
    return list(_bodies(count, batch, tag))


def _bodies(count: int, batch: int, tag: str) -> Iterator[bytes]:
    for n in range(count):
        yield json.dumps([{"name": f"{tag}-{n}-{i}", "price": i} for i in range(batch)]).encode()


def ingest(
    base: str, token: str, bodies: Iterable[bytes], stop: Callable[[], bool] | None = None
) -> tuple[int, float]:
    """POST the bodies back to back on one keep-alive connection; (requests sent, seconds)."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    sent = 0
    began = time.perf_counter()
    with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
        for body in bodies:
            if stop is not None and stop():
                break
            response = http.post("/api/v4/leads", content=body)
            if response.status_code != 200:
                raise BenchError(
                    f"POST /api/v4/leads answered {response.status_code}: {response.text[:300]}"
                )
            sent += 1
    return sent, time.perf_counter() - began


def wait_drained(outbox: Outbox, timeout: float) -> float:
    began = time.perf_counter()
    while outbox.pending() > 0:
        if time.perf_counter() - began > timeout:
            raise BenchError(f"{outbox.pending()} deliveries still pending after {timeout} s")
        time.sleep(0.05)
    return time.perf_counter() - began


def run(args: argparse.Namespace) -> dict[str, Any]:
    data_dir: Path = args.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    url = resolved_url(data_dir, args.database_url)
    account_id, token = prepare(url, data_dir, args.database_url)
    env = _env(data_dir, args.database_url)
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    backend = "postgresql" if args.database_url else "sqlite"
    log = RESULTS / f"webhooks-{backend}-{stamp}.log"
    if not port_is_free(args.port):
        raise BenchError(f"port {args.port} is busy")
    receiver, received = start_receiver(args.receiver_port)
    outbox = Outbox(url, account_id)
    base = f"http://127.0.0.1:{args.port}"
    result: dict[str, Any] = {"backend": backend, "batch": args.batch, "requests": args.requests}
    try:
        server = start_server(env, args.port, log)
        try:
            hook = httpx.post(
                f"{base}/api/v4/webhooks",
                headers={"Authorization": f"Bearer {token}"},
                json={"destination": f"http://127.0.0.1:{args.receiver_port}/hook",
                      "settings": ["add_lead"]},
            )  # fmt: skip
            if hook.status_code != 201:
                raise BenchError(f"webhook: {hook.status_code} {hook.text}")
            if outbox.pending():
                raise BenchError("deliveries are pending before the run; use a fresh data dir")
            ingest(base, token, _batch_bodies(args.warmup, args.batch, "warm"))
            # 1. ingest alone
            before = received.value
            sent, took = ingest(base, token, _batch_bodies(args.requests, args.batch, "ingest"))
            result["ingest"] = {
                "requests": sent, "seconds": round(took, 3),
                "requests_per_s": round(sent / took, 1),
                "leads_per_s": round(sent * args.batch / took, 1),
                "pending_after": outbox.pending(),
            }  # fmt: skip
        finally:
            stop_server(server)
        # 2. drain the backlog with the worker alone
        backlog = outbox.pending()
        first = received.value
        worker = start_worker(env, log, args.worker_batch)
        try:
            while received.value == first:  # the worker's start-up is not delivery
                time.sleep(0.001)
            began = time.perf_counter()
            counted = received.value
            wait_drained(outbox, 300)
            took = time.perf_counter() - began
            result["drain"] = {
                "deliveries": backlog, "seconds": round(took, 3),
                "deliveries_per_s": round((backlog - (counted - first)) / took, 1),
                "received": received.value - before,
                "note": "timed from the first delivery received, so without start-up",
            }  # fmt: skip
            # 3. both at once
            server = start_server(env, args.port, log)
            try:
                samples: list[tuple[float, int]] = []
                done = threading.Event()

                def sample() -> None:
                    t0 = time.perf_counter()
                    while not done.is_set():
                        samples.append((round(time.perf_counter() - t0, 2), outbox.pending()))
                        time.sleep(0.25)

                sampler = threading.Thread(target=sample, daemon=True)
                deadline = time.perf_counter() + args.seconds
                start_count = received.value
                sampler.start()
                sent, took = ingest(
                    base, token, _bodies(10**9, args.batch, "sustained"),
                    stop=lambda: time.perf_counter() > deadline,
                )  # fmt: skip
                at_end = outbox.pending()
                settle = wait_drained(outbox, 120)
                done.set()
                sampler.join()
                delivered = received.value - start_count
                pendings = [p for _, p in samples]
                half = len(pendings) // 2
                result["sustained"] = {
                    "seconds": round(took, 3), "requests": sent,
                    "requests_per_s": round(sent / took, 1),
                    "leads_per_s": round(sent * args.batch / took, 1),
                    "delivered": delivered,
                    "pending_max": max(pendings, default=0),
                    "pending_max_first_half": max(pendings[:half], default=0),
                    "pending_max_second_half": max(pendings[half:], default=0),
                    "pending_when_ingest_stopped": at_end,
                    "drained_after_s": round(settle, 3),
                    "samples": samples,
                }  # fmt: skip
            finally:
                stop_server(server)
        finally:
            stop_worker(worker)
        result["outbox"] = outbox.counts()
    finally:
        receiver.kill()
    result["environment"] = {
        "python": platform.python_version(), "cpus": os.cpu_count(), "machine": platform.machine(),
    }  # fmt: skip
    out = RESULTS / f"webhooks-{backend}-{stamp}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    result["file"] = str(out)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--database-url")
    parser.add_argument("--batch", type=int, default=1, help="leads per POST (1..250)")
    parser.add_argument("--requests", type=int, default=2000, help="POSTs in the ingest phase")
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0, help="the sustained phase")
    parser.add_argument("--worker-batch", type=int, default=50, help="KOMMODORE_WEBHOOK_BATCH_SIZE")
    parser.add_argument("--port", type=int, default=8775)
    parser.add_argument("--receiver-port", type=int, default=8776)
    args = parser.parse_args(argv)
    try:
        result = run(args)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    i, d, s = result["ingest"], result["drain"], result["sustained"]
    print(
        "| backend | batch | ingest req/s | ingest leads/s | drain deliveries/s | "
        "sustained req/s | delivered | max pending (1st/2nd half) | left at stop | drained in |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    print(
        f"| {result['backend']} | {result['batch']} | {i['requests_per_s']} | {i['leads_per_s']} | "
        f"{d['deliveries_per_s']} | {s['requests_per_s']} | {s['delivered']}/{s['requests']} | "
        f"{s['pending_max_first_half']}/{s['pending_max_second_half']} | "
        f"{s['pending_when_ingest_stopped']} | {s['drained_after_s']} s |"
    )
    print(f"results: {result['file']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
