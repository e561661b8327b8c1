"""Print a Markdown table of ``bench/get_lead.py`` results, so docs quote the files verbatim.

.venv/bin/python bench/summarize.py bench/results/get_lead-*.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any


def rows(path: Path) -> list[str]:
    """One line per server: medians over the rounds, with the spread of the ratio."""
    report: dict[str, Any] = json.loads(path.read_text())
    env = report["environment"]
    commit = env.get("server_source", {}).get("snapshot_commit") or env["git_commit"]
    uvloop = env["packages"].get("uvloop", "?")
    dataset = report["dataset"]
    out = []
    for server in sorted({r["server"] for r in report["runs"]}):
        runs = [r for r in report["runs"] if r["server"] == server]
        ratios = [r["ratio_rps"] for r in runs]

        def med(kind: str, key: str, runs: list[dict[str, Any]] = runs) -> float:
            if key == "rps":
                return float(statistics.median(r[kind]["rps"] for r in runs))
            return float(statistics.median(r[kind]["latency_us"][key] for r in runs)) / 1000

        out.append(
            f"| {dataset['dialect']} | {dataset['visible_leads']:,} | {server} | {uvloop} "
            f"| **{statistics.median(ratios):.3f}** ({min(ratios):.3f}-{max(ratios):.3f}) "
            f"| {med('real', 'rps'):,.0f} | {med('ceiling', 'rps'):,.0f} "
            f"| {med('real', 'p50'):.1f} | {med('real', 'p99'):.1f} "
            f"| {med('ceiling', 'p99'):.1f} | {len(runs)} | {commit[:7]} | {path.name} |"
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args(argv)
    print(
        "| db | visible leads | server | uvloop | real/ceiling median (range) | real req/s "
        "| ceiling req/s | real p50 ms | real p99 ms | ceiling p99 ms | rounds | commit | file |"
    )
    print("|---|---:|---|---|---|---:|---:|---:|---:|---:|---:|---|---|")
    for path in args.files:
        for line in rows(path):
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
