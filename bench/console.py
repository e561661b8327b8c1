"""The console's board at size: its pages against the API's own list page, in one process.

Builds (or reuses) a demo account of ``--leads`` leads on SQLite in ``--data-dir``, signs in to
the console with the control token, then for ``--rounds`` rounds times, as medians of
``--requests`` requests each:

- the reference: ``GET /api/v4/leads?limit=50`` (the API's list page);
- the board (every column's count and price sum, 50 cards each);
- "Show more" at ``--offset`` in the pipeline's third stage;
- the board with a search (``query=Website``).

Figures: milliseconds and each page over the reference measured in the same round
(docs/console.md, "Speed at 100,000 leads").

    .venv/bin/python bench/console.py --leads 100000
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from starlette.testclient import TestClient

from kommodore.app import create_app
from kommodore.db.migrate import upgrade
from kommodore.settings import Settings

TOKEN = "bench-console"  # noqa: S105 (the throwaway server's control token)
CONTROL = {"Authorization": f"Bearer {TOKEN}"}


def _median_ms(call: Callable[[], httpx.Response], count: int) -> float:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        answer = call()
        times.append(time.perf_counter() - started)
        assert answer.status_code == 200, answer.status_code
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=15)
    parser.add_argument("--offset", type=int, default=5000)
    parser.add_argument(
        "--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "kommodore-bench-console"
    )
    args = parser.parse_args()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{args.data_dir / 'kommodore.db'}"
    upgrade(url)
    settings = Settings(
        database_url=url, data_dir=args.data_dir, control_api=True,
        control_token=TOKEN, rate_limit_enabled=False, access_log=False,
    )  # fmt: skip
    with TestClient(create_app(settings)) as c:
        built = c.post(
            "/_kommodore/reset", json={"to": "demo", "leads": args.leads}, headers=CONTROL
        )
        assert built.status_code == 200, built.text
        token = c.post("/_kommodore/tokens", json={}, headers=CONTROL).json()["token"]
        api = {"Authorization": f"Bearer {token}"}
        login = c.get("/_kommodore/console/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
        assert csrf is not None
        signed = c.post(
            "/_kommodore/console/login",
            data={"csrf_token": csrf.group(1), "control_token": TOKEN},
        )
        assert signed.status_code == 200, signed.status_code
        board = c.get("/_kommodore/console/board")
        pipeline = re.search(r'class="board" data-pipeline="(\d+)"', board.text)
        stages = re.findall(r'data-status="(\d+)" data-pipeline', board.text)
        assert pipeline is not None and len(stages) > 2
        more = {"pipeline": pipeline.group(1), "status": stages[2], "offset": args.offset}
        for n in range(args.rounds):
            ref = _median_ms(lambda: c.get("/api/v4/leads?limit=50", headers=api), args.requests)
            pages = {
                "board": lambda: c.get("/_kommodore/console/board"),
                "more": lambda: c.get("/_kommodore/console/board/cards", params=more),
                "search": lambda: c.get("/_kommodore/console/board", params={"query": "Website"}),
            }
            line = [f"round {n}: list page of 50 (API) {ref:.1f} ms"]
            for name, call in pages.items():
                took = _median_ms(call, args.requests)
                line.append(f"{name} {took:.1f} ms ({took / ref:.2f}x)")
            print("; ".join(line))


if __name__ == "__main__":
    main()
