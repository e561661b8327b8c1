"""The README's examples, run: the demo's curl line as printed, the curl that adds a lead, the
OAuth command's output keys and the Python client, against a real server process."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.processes import KOMMODORE, free_port, serving

pytestmark = pytest.mark.e2e
README = (Path(__file__).parent.parent / "README.md").read_text()
README_PORT = "8000"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", README, re.M | re.S)


def _free_port() -> str:
    return str(free_port())


def _on(port: str, text: str) -> str:
    """A README line aimed at the test's server instead of :8000."""
    return text.replace(f"127.0.0.1:{README_PORT}", f"127.0.0.1:{port}")


class Served:
    def __init__(self, work: Path, port: str, env: dict[str, str], demo_stdout: str) -> None:
        self.work, self.port, self.env, self.demo_stdout = work, port, env, demo_stdout
        self.token = re.findall(r"^TOKEN=(\S+)$", demo_stdout, re.M)[0]

    def sh(self, command: str) -> str:
        """Run a README shell line with the pasted TOKEN, as a user's shell would."""
        done = subprocess.run(
            ["sh", "-c", _on(self.port, command)], env={**self.env, "TOKEN": self.token},
            cwd=self.work, capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        return done.stdout


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`make run`'s two commands in a fresh directory: demo, then serve."""
    work = tmp_path_factory.mktemp("readme")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOMMODORE_")}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    port = _free_port()
    demo = subprocess.run(
        [*KOMMODORE, "demo", "--port", port], cwd=work, env=env, capture_output=True,
        text=True, timeout=300, check=True,
    )  # fmt: skip
    with serving([*KOMMODORE, "serve", "--no-rate-limit"], int(port), {**env, "PORT": port},
                 cwd=work):  # fmt: skip
        yield Served(work, port, env, demo.stdout)


def test_the_curl_line_is_the_one_the_demo_prints(served: Served) -> None:
    printed = [line for line in served.demo_stdout.splitlines() if line.startswith("curl ")]
    shown = [line for line in README.splitlines() if line.startswith("curl -s -H")]
    assert len(printed) == 1
    assert _on(served.port, shown[0]) == printed[0]
    lead = json.loads(served.sh(shown[0]))
    assert f"/api/v4/leads/{lead['id']}?" in shown[0]
    assert "contacts" in lead["_embedded"]


def test_adding_a_lead_with_curl(served: Served) -> None:
    (block,) = [b for b in _blocks("sh") if "-X POST" in b and "/api/v4/leads" in b]
    answer = json.loads(served.sh(block))
    (added,) = answer["_embedded"]["leads"]
    assert added["id"] > 0


def test_integration_create_prints_the_keys_the_readme_shows(served: Served) -> None:
    (block,) = [b for b in _blocks("sh") if "integration create --name" in b and "# -> " in b]
    found = re.search(r"^kommodore (integration create .*)\n# -> (.*)$", block, re.M)
    assert found, block
    command, shown = found.groups()
    done = subprocess.run(
        [*KOMMODORE, *shlex.split(command)], env=served.env, cwd=served.work,
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    created: dict[str, Any] = json.loads(done.stdout)
    keys = re.findall(r'"(\w+)":', shown)
    assert keys and set(keys) <= set(created), (keys, created)
    assert created["name"] == "My integration"


def test_the_python_example(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    (block,) = [b for b in _blocks("python") if "kommo = httpx.Client(" in b]
    monkeypatch.setenv("TOKEN", served.token)
    scope: dict[str, Any] = {}
    exec(compile(_on(served.port, block), "README.md", "exec"), scope)  # noqa: S102
    assert scope["lead"]["id"] == 1000001
    assert "contacts" in scope["lead"]["_embedded"]


def test_resetting_between_tests_with_curl(served: Served) -> None:
    """The control plane's block, with the CONTROL_TOKEN line the demo printed pasted; the
    server's state is put back afterwards for the module's other tests."""
    (block,) = [b for b in _blocks("sh") if "/_kommodore/reset" in b]
    (control,) = re.findall(r"^CONTROL_TOKEN=(\S+)$", served.demo_stdout, re.M)
    auth = f'-H "Authorization: Bearer {control}"'
    save = f"curl -s -X POST {auth} http://127.0.0.1:8000/_kommodore/snapshots"
    served.sh(f'{save} -d \'{{"name": "readme-before"}}\'')
    try:
        out = served.sh(f"CONTROL_TOKEN={control}\n{block}")
        answers = [json.loads(line) for line in out.replace("}{", "}\n{").splitlines()]
        assert [a.get("to") or a.get("name") or a.get("restored") for a in answers] == [
            "demo",
            "clean",
            "clean",
        ]
        assert answers[0]["account"]["leads"] == 2000
    finally:
        served.sh(
            f"curl -s -X POST {auth} http://127.0.0.1:8000/_kommodore/snapshots/readme-before/restore"
        )
