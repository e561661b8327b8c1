"""Without PostgreSQL and Redis (and CI unset), ``pytest -ra`` stays readable: one summary
line per skipped group, not one per test."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_one_skip_line_per_unreachable_service() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env.update(
        KOMMODORE_TEST_POSTGRES_URL=f"postgresql://postgres@127.0.0.1:{closed}/test",
        KOMMODORE_TEST_REDIS_URL=f"redis://127.0.0.1:{closed}/0",
    )
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-ra", "-p", "no:cacheprovider", "-q",
         "tests/ratelimit/test_counters.py", "tests/tags/test_list_tags.py"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    skipped = [line for line in done.stdout.splitlines() if line.startswith("SKIPPED")]
    assert len(skipped) == 2, done.stdout
    assert any("PostgreSQL unreachable" in line for line in skipped)
    assert any("Redis unreachable" in line for line in skipped)
