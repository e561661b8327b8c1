"""A seed file's text into a :class:`SeedDocument`, or errors that name the path in the file."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import msgspec
import yaml

from kommodore.control.seed.document import SeedDocument

MAX_SEED_BYTES = 64 * 1024 * 1024
"""A seed file (or a ``POST /_kommodore/seed`` body) larger than this is refused unread."""


@dataclass(frozen=True, slots=True)
class SeedProblem:
    """One thing wrong with a seed file: where (``$.accounts[0].leads[3].status``), and what."""

    path: str
    detail: str


class SeedError(ValueError):
    """A seed file that cannot be loaded; nothing of it was written."""

    def __init__(self, problems: list[SeedProblem]) -> None:
        super().__init__("; ".join(f"{p.path}: {p.detail}" for p in problems))
        self.problems = problems


_AT = re.compile(r"^(?P<detail>.*?)(?: - at `(?P<path>\$[^`]*)`)?$", re.DOTALL)


def _validation_problem(exc: msgspec.MsgspecError) -> SeedProblem:
    """msgspec says ``Expected `int`, got `str` - at `$.accounts[0].leads[1].price```."""
    match = _AT.match(str(exc))
    assert match is not None  # the pattern matches any text
    return SeedProblem(match["path"] or "$", match["detail"])


def looks_like_json(raw: bytes) -> bool:
    return raw.lstrip()[:1] in (b"{", b"[")


def parse(raw: bytes, *, as_json: bool | None = None) -> SeedDocument:
    """Decode a seed file: JSON when it starts with ``{`` (or ``as_json``), else YAML."""
    if len(raw) > MAX_SEED_BYTES:
        raise SeedError([SeedProblem("$", f"a seed file is at most {MAX_SEED_BYTES} bytes")])
    if as_json is None:
        as_json = looks_like_json(raw)
    try:
        if as_json:
            return msgspec.json.decode(raw, type=SeedDocument)
        return msgspec.convert(_yaml(raw), SeedDocument)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise SeedError([_validation_problem(exc)]) from None
    except RecursionError:  # free-form values (a source's services) nested thousands deep
        raise SeedError([SeedProblem("$", "nests too deep")]) from None


def _yaml(raw: bytes) -> Any:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(raw, Loader=loader)  # noqa: S506 (a safe loader: plain data only)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise SeedError([SeedProblem("$", f"not valid YAML: {where}{problem}")]) from None
    return {} if data is None else data
