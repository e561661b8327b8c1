"""The CLI's help and the docs cite no document the repository does not contain."""

from __future__ import annotations

import re
from pathlib import Path

import click
from click.testing import CliRunner

from kommodore.cli import main

ROOT = Path(__file__).parent.parent
CITATION = re.compile(r"§|shared/spec|\bspec\b|wire-rules|open question \d")


def _commands(group: click.Group, prefix: list[str]) -> list[list[str]]:
    found = [prefix]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += _commands(command, [*prefix, name])
        else:
            found.append([*prefix, name])
    return found


def test_cli_help_cites_nothing_missing() -> None:
    for path in _commands(main, []):
        result = CliRunner().invoke(main, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert not CITATION.search(result.output), (path, result.output)


def test_docs_cite_nothing_missing() -> None:
    docs = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "bench/README.md"]
    for doc in docs:
        for number, line in enumerate(doc.read_text().splitlines(), 1):
            assert not CITATION.search(line), f"{doc.name}:{number}: {line}"
