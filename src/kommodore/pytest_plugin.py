"""kommodore as a pytest fixture: a real server for an integration's test suite.

Installed with the package (a ``pytest11`` entry point), so a suite only asks for a fixture:

- ``kommodore_server`` (session): one ``kommodore serve`` process on a free port with a data
  dir of its own (SQLite; PostgreSQL with ``--kommodore-database-url``), its control plane on,
  the demo account loaded (or a seed file, ``--kommodore-seed-file`` or the ini option
  ``kommodore_seed_file``), a Kommo admin token minted, and that state saved as a snapshot;
- ``kommodore`` (function): the same server, restored to that snapshot (faults and journal
  cleared) before the test, so every test starts from the same ids and tokens.

The plugin talks to the server over HTTP only, as the suite's own client does.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

CLEAN = "kommodore-clean"
"""The snapshot every ``kommodore`` test starts from."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("kommodore", "a kommodore server for the tests")
    group.addoption(
        "--kommodore-database-url",
        default=None,
        help="PostgreSQL for the server (default: SQLite in a temporary dir)",
    )
    group.addoption(
        "--kommodore-leads",
        type=int,
        default=200,
        help="leads in the demo account the tests start from (default 200)",
    )
    group.addoption("--kommodore-seed", type=int, default=1, help="the demo account's seed")
    group.addoption("--kommodore-rate-limit", action="store_true",
                    help="keep Kommo's 7 requests a second (off by default in tests)")  # fmt: skip
    group.addoption(
        "--kommodore-seed-file",
        default=None,
        help="a seed file (YAML or JSON) to start from instead of the demo account",
    )
    parser.addini(
        "kommodore_seed_file",
        "a seed file to start from instead of the demo account (relative to the rootdir)",
        default="",
    )


def _seed_file(config: pytest.Config) -> Path | None:
    """The seed file: the command line's, else the ini file's (relative to the rootdir)."""
    given = config.option.kommodore_seed_file
    if given:
        return Path(given).resolve()
    configured = str(config.getini("kommodore_seed_file") or "")
    return (config.rootpath / configured).resolve() if configured else None


class Kommodore:
    """A running kommodore: where it is, a Kommo token, and its control plane."""

    def __init__(self, base_url: str, control_token: str, process: subprocess.Popen[bytes]):
        self.base_url = base_url
        self.process = process
        self.control = httpx.Client(
            base_url=f"{base_url}/_kommodore",
            headers={"Authorization": f"Bearer {control_token}"},
            timeout=120,
        )
        self.token = ""
        """A Kommo admin token of the first account, valid in the clean state."""
        self.account: dict[str, Any] = {}
        self.users: dict[str, int] = {}
        """The demo's user ids by role ("admin", "mine", ...), or a seed's by e-mail."""
        self.tokens: dict[str, str] = {}
        """A seed file's long-lived tokens by their jti (every account's)."""
        self.accounts: list[dict[str, Any]] = []
        """What a seed file made: each account's id, subdomain, users and tokens."""

    def client(self, token: str | None = None) -> httpx.Client:
        """An HTTP client for the Kommo API with a bearer token (the admin's by default)."""
        return httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {token or self.token}"},
            timeout=30,
        )

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.control.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise AssertionError(
                f"kommodore {method} /_kommodore{path}: {response.status_code} {response.text}"
            )
        return response.json() if response.content else None

    def reset(self, to: str = "empty", *, seed: int = 1, leads: int = 200) -> Any:
        return self._call("POST", "/reset", json={"to": to, "seed": seed, "leads": leads})

    def seed(self, source: Path | str | dict[str, Any], *, reset: bool = False) -> Any:
        """Load a seed document (a file's path, or the document itself); all or nothing."""
        query = "?reset=true" if reset else ""
        if isinstance(source, dict):
            return self._call("POST", f"/seed{query}", json=source)
        return self._call("POST", f"/seed{query}", content=Path(source).read_bytes(),
                          headers={"Content-Type": "application/yaml"}
                          if str(source).endswith((".yaml", ".yml")) else {})  # fmt: skip

    def export(self, subdomain: str | None = None) -> Any:
        """An account as a seed document (the first account's by default)."""
        return self._call("GET", "/export", params={"subdomain": subdomain or self.subdomain})

    @property
    def subdomain(self) -> str:
        return str(self.account.get("subdomain", "demo"))

    def new_token(self, user_id: int | None = None, subdomain: str | None = None) -> str:
        body = {"subdomain": subdomain or self.subdomain, "user_id": user_id}
        token: str = self._call("POST", "/tokens", json=body)["token"]
        return token

    def snapshot(self, name: str) -> Any:
        return self._call("POST", "/snapshots", json={"name": name})

    def restore(self, name: str) -> Any:
        return self._call("POST", f"/snapshots/{name}/restore")

    def delete_snapshot(self, name: str) -> None:
        self._call("DELETE", f"/snapshots/{name}")

    def add_fault(self, **rule: Any) -> int:
        """A fault rule (docs/control-api.md), e.g. ``add_fault(status=429, times=2)``."""
        fault_id: int = self._call("POST", "/faults", json=rule)["id"]
        return fault_id

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def requests(self, **filters: Any) -> list[dict[str, Any]]:
        """The request journal, oldest first (filters: method, path, status, since, after)."""
        found: list[dict[str, Any]] = self._call("GET", "/requests", params=filters)["requests"]
        return found

    def clear_requests(self) -> None:
        self._call("DELETE", "/requests")

    def webhook_deliveries(self, **filters: Any) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._call("GET", "/webhook-deliveries", params=filters)[
            "deliveries"
        ]
        return found

    def retry_delivery(self, delivery_id: int) -> Any:
        return self._call("POST", f"/webhook-deliveries/{delivery_id}/retry")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_healthy(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"kommodore did not start:\n{log.read_text(errors='replace')}")


@pytest.fixture(scope="session")
def kommodore_server(request: pytest.FixtureRequest) -> Iterator[Kommodore]:
    options = request.config.option
    with tempfile.TemporaryDirectory(prefix="kommodore-") as data_dir:
        port = _free_port()
        control_token = secrets.token_urlsafe(24)
        env = {
            **os.environ,
            "KOMMODORE_DATA_DIR": data_dir,
            "KOMMODORE_CONTROL_API": "true",
            "KOMMODORE_CONTROL_TOKEN": control_token,
            "KOMMODORE_RATE_LIMIT_ENABLED": "true" if options.kommodore_rate_limit else "false",
            "KOMMODORE_ACCESS_LOG": "false",
        }
        if options.kommodore_database_url:
            env["KOMMODORE_DATABASE_URL"] = options.kommodore_database_url
        log = Path(data_dir) / "server.log"
        with log.open("wb") as out:
            process = subprocess.Popen(  # noqa: S603 (this interpreter, fixed arguments)
                [sys.executable, "-m", "kommodore", "serve", "--port", str(port)],
                env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
            base_url = f"http://127.0.0.1:{port}"
            server = Kommodore(base_url, control_token, process)
            try:
                _wait_healthy(base_url, process, log)
                seed_file = _seed_file(request.config)
                if seed_file is None:
                    state = server.reset(
                        "demo", seed=options.kommodore_seed, leads=options.kommodore_leads
                    )
                    server.account, server.users = state["account"], state["users"]
                else:
                    server.accounts = server.seed(seed_file, reset=True)["accounts"]
                    first = server.accounts[0] if server.accounts else {}
                    server.account = {k: first[k] for k in ("id", "subdomain") if k in first}
                    server.users = first.get("users", {})
                    server.tokens = {j: t for a in server.accounts for j, t in a["tokens"].items()}
                if server.account:
                    server.token = server.new_token()
                server.snapshot(CLEAN)
                yield server
            finally:
                server.control.close()
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=15)


@pytest.fixture
def kommodore(kommodore_server: Kommodore) -> Kommodore:
    """The server in its clean state: the demo account (or the seed file's accounts) and its
    admin token, no fault rules, an empty journal."""
    kommodore_server.restore(CLEAN)
    kommodore_server.clear_faults()
    kommodore_server.clear_requests()
    return kommodore_server
