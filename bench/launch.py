"""The command line the drivers start ``kommodore serve`` with, and which code it imported.

The server runs pinned to core 0 from the venv's interpreter. Its first log line names the
``kommodore`` package it imported: a ``PYTHONPATH`` can put a snapshot of another revision
ahead of the venv's editable install (bench/README.md, "Figures tied to one commit";
``bench/revisions.py`` runs two revisions side by side), and the line shows which one a run
measured.
"""

from __future__ import annotations

import sys
from pathlib import Path

SERVER_CPU = "0"
IMPORTED = "bench: kommodore imported from "
"""Prefix of the first line a server started by :func:`serve_command` writes to its log."""

_BOOT = (
    "import runpy, sys, kommodore; "
    f"print({IMPORTED!r} + kommodore.__file__, flush=True); "
    "runpy.run_module('kommodore', run_name='__main__', alter_sys=True)"
)


def serve_command(port: int, server: str = "uvicorn", workers: int = 1) -> list[str]:
    """``taskset -c 0 python -m kommodore serve ...``, announcing ``kommodore.__file__`` first
    (``python -m``, not the ``kommodore`` script: any revision has ``kommodore.__main__``)."""
    return ["taskset", "-c", SERVER_CPU, sys.executable, "-c", _BOOT, "serve",
            "--port", str(port), "--workers", str(workers), "--server", server]  # fmt: skip


def imported_from(log_path: Path) -> Path | None:
    """The package directory the last server start logged in ``log_path`` imported."""
    found = None
    with log_path.open("rb") as log:
        for raw in log:
            line = raw.decode(errors="replace").strip()
            if line.startswith(IMPORTED):
                found = Path(line.removeprefix(IMPORTED)).parent
    return found
