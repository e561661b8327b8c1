"""Failing requests saved as files under ``cases/`` and read back by the replay test.

A case keeps the request as sent, with the seeded accounts' tokens, subdomains and ids
written as ``{name}`` placeholders, so it replays on a freshly seeded account of either
database. Each entity has its own id sequence, so two kinds' ids may be equal: a path id
takes the placeholder of its route parameter's kind, a body id the first that matches.
Ids are at least 1,000,001 (the sequences' first value), so replacing their digits never
touches a small number of the body.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.fuzz.generate import KINDS, PARAM
from tests.fuzz.world import World

CASES = Path(__file__).parent / "cases"
EXPECTED = "a full response with status < 500; a refused request leaves the database unchanged"


@dataclass
class Case:
    kind: str
    """``http``: method, path, headers, body; ``raw``: bytes written to a socket as is."""
    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes
    note: str
    complete: bool = True
    """A raw request sent whole; False: cut short and the write side closed."""

    def dump(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "method": self.method,
            "path": self.path,
            "headers": [list(pair) for pair in self.headers],
            "body_b64": base64.b64encode(self.body).decode(),
            "body_start": self.body[:160].decode("latin-1"),  # for the reader; b64 is sent
            "expected": EXPECTED,
            "complete": self.complete,
            "note": self.note,
        }


def _swaps(world: World, other: World) -> list[tuple[bytes, bytes]]:
    """(value, placeholder) pairs, longest values first so no value eats part of another."""
    pairs = [
        (world.token, "token"),
        (other.token, "other_token"),
        (world.subdomain, "subdomain"),
        (other.subdomain, "other_subdomain"),
        (world.client_id, "client_id"),
        (world.email, "email"),
    ]
    pairs = [(v, n) for v, n in pairs if v]
    pairs += [(str(v), n) for n, v in world.ids.items() if v > 1_000_000]
    pairs += [(str(v), f"other.{n}") for n, v in other.ids.items() if v > 1_000_000]
    pairs.sort(key=lambda p: -len(p[0]))
    return [(v.encode(), b"{" + n.encode() + b"}") for v, n in pairs]


def _digits(value: bytes) -> re.Pattern[bytes]:
    return re.compile(rb"(?<![0-9])" + re.escape(value) + rb"(?![0-9])")


def abstract(data: bytes, world: World, other: World) -> bytes:
    for value, placeholder in _swaps(world, other):
        pattern = _digits(value) if value.isdigit() else re.compile(re.escape(value))
        data = pattern.sub(placeholder.replace(b"\\", b"\\\\"), data)
    return data


def concrete(data: bytes, world: World, other: World) -> bytes:
    for value, placeholder in _swaps(world, other):
        data = data.replace(placeholder, value)
    return data


def _path_ids(path: str, template: str, world: World, other: World) -> str:
    """Path ids as the placeholder of their own kind: ids of different kinds come from
    different sequences and may be equal, so a bare number would be ambiguous."""
    route, mark, query = path.partition("?")
    segments, slots = route.split("/"), template.split("/")
    if len(segments) != len(slots):
        return path
    for index, (segment, slot) in enumerate(zip(segments, slots, strict=True)):
        param = PARAM.fullmatch(slot)
        if not param or not segment.isdigit():
            continue
        for name in KINDS.get(param.group(1), []):
            if world.ids.get(name) == int(segment):
                segments[index] = "{" + name + "}"
            elif other.ids.get(name) == int(segment):
                segments[index] = "{other." + name + "}"
    return "/".join(segments) + mark + query


def save(case: Case, world: World, other: World, template: str = "") -> Path:
    """Write the case (placeholders in) under a name that is its request's hash."""

    def generic(text: str) -> str:
        return abstract(text.encode("utf-8", "surrogateescape"), world, other).decode(
            "utf-8", "surrogateescape"
        )

    general = Case(
        case.kind,
        case.method,
        generic(_path_ids(case.path, template, world, other) if template else case.path),
        [(k, generic(v)) for k, v in case.headers],
        abstract(case.body, world, other),
        case.note,
        case.complete,
    )
    text = json.dumps(general.dump(), indent=1).encode()
    what = general.dump() | {"note": ""}  # one file for one request, whichever run found it
    name = hashlib.sha256(json.dumps(what).encode()).hexdigest()[:16]
    CASES.mkdir(exist_ok=True)
    target = CASES / f"{name}.json"
    if not target.exists():  # a known case keeps the note of the run that found it
        target.write_bytes(text + b"\n")
    return target


def load(path: Path, world: World, other: World) -> Case:
    """A saved case with the given accounts' tokens and ids in place of its placeholders."""
    data = json.loads(path.read_text())

    def real(text: str) -> str:
        return concrete(text.encode(), world, other).decode()

    body = concrete(base64.b64decode(data["body_b64"]), world, other)
    return Case(
        kind=data["kind"],
        method=data["method"],
        path=real(data["path"]),
        headers=[(k, real(v)) for k, v in data["headers"]],
        body=body,
        note=data.get("note", ""),
        complete=data.get("complete", True),
    )


def saved() -> list[Path]:
    return sorted(CASES.glob("*.json"))
