"""Shared fixtures: every test that takes ``backend`` runs on SQLite and on PostgreSQL.

PostgreSQL tests create their own database on the server named by
``KOMMODORE_TEST_POSTGRES_URL`` (default: the local ``test`` database) and drop it afterwards.
Under ``CI=true`` an unreachable PostgreSQL fails the run; elsewhere those tests skip and say why.

``KOMMODORE_TEST_POOLER=pgbouncer`` puts a real PgBouncer (transaction pooling) between the
apps and servers under test and that database (``.ci/run`` reruns the PostgreSQL end-to-end
tests so); fixtures that write rows themselves (``Factory``) still connect directly.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from starlette.testclient import TestClient

from kommodore.app import create_app
from kommodore.auth.keys import SigningKey, load_signing_key
from kommodore.db.migrate import upgrade
from kommodore.settings import Settings
from tests.factories import Factory

# The session's app must not run a webhook worker: webhook tests run their own, with their own
# schedule and clock, and it would claim their deliveries (set before any app is built).
os.environ.setdefault("KOMMODORE_WEBHOOK_WORKER_IN_PROCESS", "false")

POSTGRES_URL = os.environ.get(
    "KOMMODORE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
BASE_DOMAIN = "kommo.test"
POOLER = os.environ.get("KOMMODORE_TEST_POOLER", "none")


@dataclass(frozen=True)
class Backend:
    name: str
    url: str
    data_dir: Path
    app_url: str = ""
    """What apps and servers under test connect to: ``url``, or PgBouncer in front of it."""
    pooler: str = "none"

    @property
    def served_url(self) -> str:
        return self.app_url or self.url

    def settings(self, **overrides: object) -> Settings:
        values: dict[str, object] = {
            "database_url": self.served_url,
            "database_pooler": self.pooler,
            "data_dir": self.data_dir,
            "base_domain": BASE_DOMAIN,
            # the suite makes many requests a second with one token; the limiter's own tests
            # build apps with it on
            "rate_limit_enabled": False,
        }
        values.update(overrides)
        return Settings(**values)  # type: ignore[arg-type]


def _admin_url(database: str) -> str:
    base, _, _ = POSTGRES_URL.rpartition("/")
    return f"{base}/{database}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    """A service fixture's skip (PostgreSQL or Redis unreachable) is reported at the fixture,
    on one line: ``pytest -ra`` then prints one line per skipped group, not one per test."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if call.when != "setup" or not report.skipped or call.excinfo is None:
        return
    if not isinstance(report.longrepr, tuple):
        return
    for entry in reversed(call.excinfo.traceback):
        if entry.path.name == "conftest.py":
            reason = str(report.longrepr[2]).splitlines()[0]
            where = Path(entry.path).relative_to(item.config.rootpath)
            report.longrepr = (str(where), entry.lineno + 1, reason)
            return


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh, migrated database on the PostgreSQL server, dropped at the end."""
    try:
        admin = psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required under CI=true and is unreachable: {exc}")
        first = str(exc).strip().splitlines()[0]
        pytest.skip(
            f"PostgreSQL unreachable at {POSTGRES_URL} ({first}); set CI=true to require it"
        )
    name = f"kommodore_test_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = _admin_url(name)
    try:
        upgrade(url)
        yield url
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Backend:
    data_dir = tmp_path_factory.mktemp(f"data-{request.param}")
    if request.param == "sqlite":
        url = f"sqlite:///{data_dir / 'kommodore.db'}"
        upgrade(url)
    else:
        url = request.getfixturevalue("postgres_database")
        if POOLER == "pgbouncer":
            pooled = request.getfixturevalue("pgbouncer_url")
            return Backend(request.param, url, data_dir, pooled, POOLER)
    return Backend(request.param, url, data_dir)


@pytest.fixture(scope="session")
def pgbouncer_url(
    postgres_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The test database through a real PgBouncer in transaction pooling mode."""
    from tests.processes import pgbouncer

    with pgbouncer(postgres_database, tmp_path_factory.mktemp("pgbouncer")) as url:
        yield url


@pytest.fixture(scope="session")
def signing_key(backend: Backend) -> SigningKey:
    """The key the app under test signs and verifies with (generated in its data dir)."""
    return load_signing_key(None, backend.data_dir)


@pytest.fixture(scope="session")
def factory(backend: Backend, signing_key: SigningKey) -> Factory:
    return Factory(backend.url, signing_key, BASE_DOMAIN)


@pytest.fixture(scope="session")
def client(backend: Backend) -> Iterator[TestClient]:
    """One app per backend for the session; tests isolate themselves by account."""
    with TestClient(create_app(backend.settings())) as test_client:
        yield test_client


@pytest.fixture(autouse=True, scope="session")
def _loggers_follow_later_configuration() -> Iterator[None]:
    """Commands run in process (``kommodore worker``, ``token purge``) configure logging as
    they do in production, where loggers are cached on first use; a cached module logger
    would then ignore the log-capturing configuration of a later test. Keep the real
    configuration, uncached, for the whole session."""
    import structlog

    import kommodore.logging as kommodore_logging

    real = kommodore_logging.configure_logging

    def configure(fmt: str = "console", level: str = "info") -> None:
        real(fmt, level)
        structlog.configure(cache_logger_on_first_use=False)

    kommodore_logging.configure_logging = configure
    try:
        yield
    finally:
        kommodore_logging.configure_logging = real
