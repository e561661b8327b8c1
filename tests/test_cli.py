"""The command line: names and output are a contract scripts rely on. The commands of a domain
are tested next to it (tests/<domain>/test_commands.py, test_set_password.py, test_lifecycle.py)."""

from __future__ import annotations

import importlib.util
import os
import re
import socket
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from starlette.testclient import TestClient

from kommodore.cli import main as cli
from tests.conftest import Backend


@pytest.fixture
def env(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> Backend:
    monkeypatch.setenv("KOMMODORE_DATABASE_URL", backend.url)
    monkeypatch.setenv("KOMMODORE_DATA_DIR", str(backend.data_dir))
    monkeypatch.setenv("KOMMODORE_BASE_DOMAIN", "kommo.test")
    return backend


def test_demo_prints_a_token_and_a_working_curl_line(env: Backend, client: TestClient):
    subdomain = f"clidemo{uuid.uuid4().hex[:6]}"
    result = CliRunner().invoke(cli, ["demo", "--subdomain", subdomain, "--leads", "60",
                                      "--seed", "3"])  # fmt: skip
    assert result.exit_code == 0, result.output
    token = re.search(r"^TOKEN=(\S+)$", result.stdout, re.M)
    curl = re.search(r'^curl .*"http://127\.0\.0\.1:8000(/api/v4/leads/\d+\?[^"]+)"$',
                     result.stdout, re.M)  # fmt: skip
    assert token and curl, result.stdout
    response = client.get(curl.group(1), headers={"Authorization": f"Bearer {token.group(1)}"})
    assert response.status_code == 200
    assert response.json()["_embedded"]["contacts"] is not None


# -- a data dir that cannot be created by accident; one line for a foreseeable mistake ---------


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with no kommodore data, and no KOMMODORE_* variables."""
    for name in list(os.environ):
        if name.startswith("KOMMODORE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _one_line_error(result: Result) -> str:
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    prompts = ("Password: ", "Repeat for confirmation: ")
    lines = [line for line in result.output.strip().splitlines() if line not in prompts]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert "Traceback" not in result.output
    return lines[0]


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert re.fullmatch(r"kommodore \d+\.\d+\.\d+\S*\n", result.output)


@pytest.mark.parametrize(
    "args",
    [
        ["integration", "remove", "abc", "--subdomain", "demo"],
        ["integration", "list"],
        ["token", "create", "--subdomain", "demo", "--admin"],
        ["token", "revoke", "abc"],
        ["user", "set-password", "--subdomain", "demo", "--email", "a@b.c"],
        ["lead", "delete", "--subdomain", "demo", "1"],
        ["worker", "--until-idle"],
    ],
)
def test_commands_refuse_a_data_dir_without_a_schema(elsewhere: Path, args: list[str]) -> None:
    line = _one_line_error(CliRunner().invoke(cli, args, input="long-enough\nlong-enough\n"))
    assert "no kommodore database" in line and "kommodore migrate" in line
    assert list(elsewhere.iterdir()) == []  # nothing created, not even the data dir


def test_an_empty_sqlite_file_is_refused_too(elsewhere: Path) -> None:
    (elsewhere / "kommodore-data").mkdir()
    (elsewhere / "kommodore-data" / "kommodore.db").write_bytes(b"")
    line = _one_line_error(CliRunner().invoke(cli, ["integration", "list"]))
    assert "no kommodore database" in line


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@pytest.mark.parametrize(
    ("variables", "args", "expected"),
    [
        ({"KOMMODORE_DATABASE_URL": "mysql://u@h/db"}, ["migrate"], "unsupported database"),
        ({"KOMMODORE_DATABASE_URL": "mysql://u@h/db"}, ["integration", "list"], "unsupported"),
        ({"KOMMODORE_RATE_LIMIT_PER_SECOND": "many"}, ["migrate"], "RATE_LIMIT_PER_SECOND"),
        ({"KOMMODORE_DATABASE_URL": "postgresql://u:pw@127.0.0.1:{closed}/x"}, ["migrate"],
         "cannot reach the database postgresql://u@127.0.0.1"),
        ({"KOMMODORE_DATABASE_URL": "postgresql://u:pw@127.0.0.1:{closed}/x"},
         ["integration", "list"], "cannot reach the database postgresql://u@127.0.0.1"),
        ({"KOMMODORE_DATABASE_URL": "postgresql://u:pw@127.0.0.1:{closed}/x"},
         ["serve", "--port", "{closed}"], "cannot reach the database"),
    ],
)  # fmt: skip
def test_foreseeable_mistakes_are_one_line(
    elsewhere: Path,
    monkeypatch: pytest.MonkeyPatch,
    variables: dict[str, str],
    args: list[str],
    expected: str,
) -> None:
    closed = str(_closed_port())
    for name, value in variables.items():
        monkeypatch.setenv(name, value.replace("{closed}", closed))
    args = [a.replace("{closed}", closed) for a in args]
    line = _one_line_error(CliRunner().invoke(cli, args))
    assert expected in line
    assert "pw" not in line  # never a password


def test_serve_refuses_a_port_in_use(elsewhere: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = _one_line_error(CliRunner().invoke(cli, ["serve", "--port", str(port)]))
    assert f"cannot listen on 127.0.0.1:{port}" in line and "--port" in line


def test_an_unreadable_signing_key_is_one_line(elsewhere: Path) -> None:
    assert CliRunner().invoke(cli, ["migrate"]).exit_code == 0
    (elsewhere / "kommodore-data" / "jwt-signing-key.pem").write_text("not a key")
    line = _one_line_error(CliRunner().invoke(cli, ["token", "create", "--subdomain", "x",
                                                    "--admin"]))  # fmt: skip
    assert "cannot load the JWT signing key" in line and "jwt-signing-key.pem" in line


def test_a_missing_extra_names_the_extra(elsewhere: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, *args: object) -> object:
        return None if name == "granian" else real(name, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    line = _one_line_error(CliRunner().invoke(cli, ["serve", "--server", "granian"]))
    assert "pip install 'kommodore[granian]'" in line
