"""The control plane empties and replaces whole databases, so its tests never share the
session's: each test module gets a database of its own, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from kommodore.auth.keys import load_signing_key
from kommodore.db.migrate import upgrade
from kommodore.settings import Settings
from tests.conftest import BASE_DOMAIN, POSTGRES_URL, Backend, _admin_url
from tests.factories import Factory

CONTROL_TOKEN = "control-token-for-tests"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def own_backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    data_dir = tmp_path_factory.mktemp(f"control-{request.param}")
    if request.param == "sqlite":
        backend = Backend("sqlite", f"sqlite:///{data_dir / 'kommodore.db'}", data_dir)
        upgrade(backend.url)
        yield backend
        return
    try:
        admin = psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required under CI=true and is unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable at {POSTGRES_URL}; set CI=true to require it")
    name = f"kommodore_control_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    backend = Backend("postgresql", _admin_url(name), data_dir)
    try:
        upgrade(backend.url)
        yield backend
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def control_settings(backend: Backend, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": backend.url,
        "data_dir": Path(backend.data_dir),
        "base_domain": "kommo.test",
        "rate_limit_enabled": False,
        "control_api": True,
        "control_token": CONTROL_TOKEN,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


AUTH = {"Authorization": f"Bearer {CONTROL_TOKEN}"}


@pytest.fixture(scope="module")
def factory(own_backend: Backend) -> Factory:
    return Factory(own_backend.url, load_signing_key(None, own_backend.data_dir), BASE_DOMAIN)
