"""Fairness: how long a quick request waits while list pages saturate the server.

wrk keeps ``--connections`` connections asking ``GET /api/v4/leads?limit=250&with=contacts``
(the heaviest page) as fast as the server answers; meanwhile a probe opens a new connection
every ``--interval`` seconds and times ``GET /healthz`` and ``GET /api/v4/leads/{id}`` from
connect to the last byte. The server runs pinned to core 0, wrk and the probe to core 1.

    .venv/bin/python bench/fairness.py --data-dir /tmp/kommodore-fair
    .venv/bin/python bench/fairness.py --data-dir /tmp/kommodore-fair-pg \\
        --database-url postgresql://postgres@127.0.0.1:5432/kommodore_fair

Prints the probes' p50, p99 and maximum in milliseconds and wrk's figures for the pages.
"""

from __future__ import annotations

import argparse
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dataset import server_env

KOMMODORE = str(Path(sys.executable).with_name("kommodore"))


def probe(port: int, path: str, token: str) -> float:
    """Seconds from connect to the whole answer, on a fresh connection."""
    began = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        request = (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            "Connection: close\r\n\r\n"
        )
        sock.sendall(request.encode())
        while sock.recv(65536):
            pass
    return time.perf_counter() - began


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--database-url")
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--interval", type=float, default=0.2)
    parser.add_argument("--port", type=int, default=8768)
    args = parser.parse_args(argv)

    env = server_env(args.data_dir, args.database_url)
    demo = subprocess.run(
        [KOMMODORE, "demo", "--subdomain", "fair", "--leads", str(args.leads)],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    token_match = re.search(r"^TOKEN=(\S+)$", demo.stdout, re.M)
    lead_match = re.search(r"/api/v4/leads/(\d+)\?", demo.stdout)
    assert token_match and lead_match, demo.stdout + demo.stderr
    token, lead = token_match.group(1), lead_match.group(1)
    env["KOMMODORE_ACCESS_LOG"] = "false"
    server = subprocess.Popen(
        ["taskset", "-c", "0", KOMMODORE, "serve", "--port", str(args.port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        for _ in range(300):
            try:
                probe(args.port, "/healthz", token)
                break
            except OSError:
                time.sleep(0.1)
        url = f"http://127.0.0.1:{args.port}/api/v4/leads?limit=250&with=contacts"
        wrk = subprocess.Popen(
            ["taskset", "-c", "1", "wrk", "-t1", f"-c{args.connections}", f"-d{args.seconds}s",
             "--latency", "-H", f"Authorization: Bearer {token}", url],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        results: dict[str, list[float]] = {"/healthz": [], f"/api/v4/leads/{lead}": []}

        def probing() -> None:
            time.sleep(2)  # wrk's connections are all busy by then
            end = time.monotonic() + args.seconds - 4
            while time.monotonic() < end:
                for path, times in results.items():
                    times.append(probe(args.port, path, token))
                time.sleep(args.interval)

        thread = threading.Thread(target=probing)
        thread.start()
        out, _ = wrk.communicate()
        thread.join()
    finally:
        server.terminate()
        server.wait(timeout=30)
    database = "postgresql" if args.database_url else "sqlite"
    print(f"{database}, {args.connections} connections on list pages for {args.seconds} s")
    for path, times in results.items():
        ms = [t * 1000 for t in times]
        print(f"  {path}: {len(ms)} probes, p50 {quantile(ms, 0.5):.1f} ms, "
              f"p99 {quantile(ms, 0.99):.1f} ms, max {max(ms):.1f} ms")  # fmt: skip
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p99 = re.search(r"99%\s+(\S+)", out)
    pages = rate.group(1) if rate else "?"
    print(f"  list pages: {pages} req/s, p99 {p99.group(1) if p99 else '?'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
