"""``kommodore reset`` and ``kommodore snapshot``, with the server stopped, on both databases."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from kommodore.auth.keys import load_signing_key
from kommodore.cli import main as cli
from tests.conftest import BASE_DOMAIN, Backend
from tests.factories import Factory


@pytest.fixture
def env(own_backend: Backend, monkeypatch: pytest.MonkeyPatch) -> Factory:
    monkeypatch.setenv("KOMMODORE_DATABASE_URL", own_backend.url)
    monkeypatch.setenv("KOMMODORE_DATA_DIR", str(own_backend.data_dir))
    return Factory(own_backend.url, load_signing_key(None, own_backend.data_dir), BASE_DOMAIN)


def _leads(factory: Factory) -> int:
    with factory.engine.begin() as conn:
        return int(conn.exec_driver_sql("SELECT count(*) FROM leads").scalar_one())


def test_snapshot_save_list_restore_delete(env: Factory) -> None:
    run = CliRunner().invoke
    account = env.account()
    env.lead(account)
    before = _leads(env)
    saved = run(cli, ["snapshot", "save", "cli-one"])
    assert (saved.exit_code, saved.output) == (0, "saved cli-one\n")
    env.lead(account)
    assert _leads(env) == before + 1

    listed = run(cli, ["snapshot", "list"])
    assert listed.exit_code == 0
    line = next(row for row in listed.output.splitlines() if row.startswith("cli-one\t"))
    name, created_at, revision, *size = line.split("\t")
    assert (name, revision) == ("cli-one", "0008") and int(created_at) > 0 and len(size) == 1

    restored = run(cli, ["snapshot", "restore", "cli-one"])
    assert (restored.exit_code, restored.output) == (0, "restored cli-one\n")
    assert _leads(env) == before

    deleted = run(cli, ["snapshot", "delete", "cli-one"])
    assert (deleted.exit_code, deleted.output) == (0, "deleted cli-one\n")
    again = run(cli, ["snapshot", "restore", "cli-one"])
    assert (again.exit_code, again.output) == (1, "Error: no snapshot named 'cli-one'\n")
    bad = run(cli, ["snapshot", "save", "../x"])
    assert bad.exit_code == 1 and bad.output.startswith("Error: a snapshot name is 1 to 64")


def test_reset_to_empty_and_to_the_demo_account(env: Factory) -> None:
    run = CliRunner().invoke
    env.lead(env.account())
    empty = run(cli, ["reset"])
    assert (empty.exit_code, empty.output, _leads(env)) == (0, "reset: empty\n", 0)
    demo = run(cli, ["reset", "--demo", "--leads", "30", "--seed", "2"])
    assert demo.exit_code == 0, demo.output
    assert demo.output.startswith("reset: demo account demo (id ") and "30 leads" in demo.output
    assert _leads(env) == 30
