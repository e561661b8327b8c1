"""``kommodore reset``, ``snapshot``, ``seed`` and ``export``, with the server stopped, on both
databases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from kommodore.auth.keys import load_signing_key
from kommodore.cli import main as cli
from tests.conftest import BASE_DOMAIN, Backend
from tests.factories import Factory

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "seed.yaml"


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
    assert (name, revision) == ("cli-one", "0017") and int(created_at) > 0 and len(size) == 1

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


def test_seed_then_export_then_seed_again_round_trips(env: Factory, tmp_path: Path) -> None:
    run = CliRunner().invoke
    assert run(cli, ["reset"]).exit_code == 0
    seeded = run(cli, ["seed", str(EXAMPLE)])
    assert seeded.exit_code == 0, seeded.output
    lines = seeded.output.splitlines()
    assert lines[:4] == [
        "account acme (id 31000001)",
        "  user 9001\talice@acme.example.com",
        "  user 9002\tbob@acme.example.com",
        "  user 9003\tcarol@acme.example.com",
    ]
    assert [line.split("\t")[0] for line in lines[4:]] == [
        "  token 6f1c2a4e-0000-4000-8000-000000000001",
        "  token 6f1c2a4e-0000-4000-8000-000000000002",
        "  token 6f1c2a4e-0000-4000-8000-000000000003",
    ]
    assert _leads(env) == 4

    first = tmp_path / "acme.yaml"
    exported = run(cli, ["export", "--subdomain", "acme", "-o", str(first)])
    assert exported.exit_code == 0, exported.output
    again = run(cli, ["seed", "--reset", str(first)])
    assert again.exit_code == 0, again.output
    second = run(cli, ["export", "--subdomain", "acme", "--format", "json"])
    assert second.exit_code == 0
    assert json.loads(second.output) == yaml.safe_load(first.read_text())


def test_seed_refuses_a_bad_file_naming_every_path_and_writes_nothing(
    env: Factory, tmp_path: Path
) -> None:
    run = CliRunner().invoke
    assert run(cli, ["reset"]).exit_code == 0
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps({"accounts": [{"subdomain": "x", "users": [], "leads": [{"status": "Won"}]}]})
    )
    refused = run(cli, ["seed", str(bad)])
    assert refused.exit_code == 1
    assert refused.output.splitlines() == [
        f"Error: {bad}: 2 problem(s), nothing was written",
        "  $.accounts[0].leads[0].responsible_user: the account has no user to be responsible",
        "  $.accounts[0].leads[0].status: no stage of pipeline 'Sales' with name 'Won' in this "
        "account",
    ]
    missing = run(cli, ["export", "--subdomain", "x"])
    assert (missing.exit_code, missing.output) == (1, "Error: no account x\n")
