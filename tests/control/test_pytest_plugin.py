"""The pytest plugin, run as an integration's suite would run it: an example suite in a fresh
directory, with pytest in a subprocess."""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

EXAMPLE = """
import pytest


def test_a_lead_added(kommodore):
    with kommodore.client() as api:
        added = api.post("/api/v4/leads", json=[{"name": "made by a test"}])
        assert added.status_code == 200
        assert api.get("/api/v4/leads", params={"query": "made by a test"}).status_code == 200


def test_every_test_starts_clean(kommodore):
    with kommodore.client() as api:
        assert api.get("/api/v4/leads", params={"query": "made by a test"}).status_code == 204
        account = api.get("/api/v4/account").json()
    assert account["id"] == kommodore.account["id"]
    assert account["current_user_id"] == kommodore.users["alice"]


def test_a_fault_and_the_journal(kommodore):
    kommodore.add_fault(status=429, times=1, match={"path": "/api/v4/account"})
    with kommodore.client() as api:
        assert api.get("/api/v4/account").status_code == 429
        assert api.get("/api/v4/account").status_code == 200
    journal = kommodore.requests()
    assert [e["status"] for e in journal] == [429, 200]
    assert journal[0]["injected"]


def test_the_journal_and_faults_start_empty(kommodore):
    assert kommodore.requests() == []
    with kommodore.client() as api:
        assert api.get("/api/v4/account").status_code == 200


def test_snapshots_of_its_own(kommodore):
    with kommodore.client() as api:
        api.post("/api/v4/leads", json=[{"name": "kept"}])
        kommodore.snapshot("mine")
        api.post("/api/v4/leads", json=[{"name": "dropped"}])
        kommodore.restore("mine")
        assert api.get("/api/v4/leads", params={"query": "kept"}).status_code == 200
        assert api.get("/api/v4/leads", params={"query": "dropped"}).status_code == 204


def test_a_users_token(kommodore):
    token = kommodore.new_token(user_id=kommodore.users["greta"])
    with kommodore.client(token) as api:
        assert api.get("/api/v4/account").json()["current_user_id"] == kommodore.users["greta"]
"""


def test_the_package_registers_the_plugin() -> None:
    found = {e.name: e.value for e in entry_points(group="pytest11")}
    assert found.get("kommodore") == "kommodore.pytest_plugin"


def test_an_example_suite_runs_against_a_real_server(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_example=EXAMPLE)
    # the plugin named explicitly, other plugins left out: the run depends on nothing else
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    for name in ("KOMMODORE_DATABASE_URL", "KOMMODORE_DATA_DIR", "KOMMODORE_CONTROL_API"):
        monkeypatch.delenv(name, raising=False)
    result = pytester.runpytest_subprocess(
        "-p", "kommodore.pytest_plugin", "-p", "no:cacheprovider", "--kommodore-leads", "20",
        "-q",
    )  # fmt: skip
    result.assert_outcomes(passed=6)


def _readme_block(language: str, marker: str) -> str:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    (block,) = [b.split("```")[0] for b in readme.split(f"```{language}\n") if marker in b]
    return block


def test_the_readme_example_with_its_seed_file(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's three blocks as a user would save them: seed file, pytest.ini, tests."""
    (pytester.path / "tests").mkdir()
    (pytester.path / "tests" / "seed.yaml").write_text(_readme_block("yaml", "tests/seed.yaml"))
    pytester.makeini(_readme_block("ini", "kommodore_seed_file"))
    pytester.makepyfile(test_my_integration=_readme_block("python", "def test_"))
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    result = pytester.runpytest_subprocess(
        "-p", "kommodore.pytest_plugin", "-p", "no:cacheprovider", "-q"
    )  # fmt: skip
    result.assert_outcomes(passed=3)
