"""Requests generated from a seeded ``random.Random``: every route of the app, its path
parameters filled with known, foreign, unknown and junk ids, and its body a valid one mutated.

Same seed and same routes, same requests (ids aside, which the seeded accounts decide).
"""

from __future__ import annotations

import copy
import json
import os
import random
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from starlette.applications import Starlette
from starlette.routing import Route

from tests.fuzz.bodies import FORM_ROUTES, refresh_grant, valid_body
from tests.fuzz.world import World

SEED = int(os.environ.get("KOMMODORE_FUZZ_SEED", "20261206"))
COUNT = int(os.environ.get("KOMMODORE_FUZZ_COUNT", "10000"))
"""Requests per database in process; the raw-socket list is fixed, its choices seeded."""
WRITE_METHODS = {"POST", "PATCH", "PUT", "DELETE"}


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    """The route's path template, e.g. ``/api/v4/leads/{lead_id:int}``."""


@dataclass
class FuzzRequest:
    method: str
    path: str
    """Path and query string, percent-encoded as sent."""
    headers: list[tuple[str, str]]
    body: bytes
    endpoint: Endpoint
    mutations: list[str] = field(default_factory=list)


def endpoints(app: Starlette) -> list[Endpoint]:
    """Every (method, path) the app routes; HEAD is GET's twin and left to the raw layer."""
    found: list[Endpoint] = []
    for route in app.routes:
        if isinstance(route, Route) and route.methods:
            found.extend(Endpoint(m, route.path) for m in sorted(route.methods) if m != "HEAD")
    return found


PARAM = re.compile(r"\{(\w+)(?::(\w+))?\}")
KINDS = {
    "lead_id": ["lead", "lead2"],
    "user_id": ["user"],
    "pipeline_id": ["pipeline", "pipeline2"],
    "status_id": ["status", "status2", "status_other"],
    "reason_id": ["loss_reason"],
    "source_id": ["source"],
    "field_id": ["field", "text_field"],
    "catalog_id": ["catalog"],
    "element_id": ["element"],
    "contact_id": ["contact"],
    "company_id": ["company"],
    "entity_id": ["lead", "contact", "company"],
    "note_id": ["note"],
}
JUNK_IDS = [
    "0", "-1", "00001", "1e3", "abc", "%00", "%FF", "1%20", "%D9%A1", "9" * 40,
    str(2**31), str(2**63), str(2**64), "999999999999", "1.0", "%2e%2e", "",
]  # fmt: skip
JUNK_STRINGS = ["x", "%00", "%FF%FE", "a" * 300, "..%2F..%2Fetc", "01HZZZZZZZZZZZZZZZZZZZZZZZ", " "]


def fill(rng: random.Random, template: str, world: World, other: World) -> str:
    def one(match: re.Match[str]) -> str:
        name, convertor = match.group(1), match.group(2)
        if convertor == "str" or name not in KINDS:
            if rng.random() < 0.5 and convertor != "int":
                return quote(rng.choice(JUNK_STRINGS), safe="%")
            return str(rng.choice(list(world.ids.values())))
        r = rng.random()
        if r < 0.6:
            return str(world.ids[rng.choice(KINDS[name])])
        if r < 0.7:
            return str(rng.choice(list(world.ids.values())))
        if r < 0.8:
            return str(other.ids[rng.choice(KINDS[name])])
        return rng.choice(JUNK_IDS)

    return PARAM.sub(one, template)


QUERIES = [
    "with=contacts,loss_reason,source_id,catalog_elements,is_price_modified_by_robot",
    "with=contacts", "page=2", "limit=250", "limit=-1", "limit=0", "page=0", "page=-5",
    "limit=99999999999999999999", "page=1e400", "filter[id][]={lead}", "filter[id]={lead}",
    "filter[statuses][0][pipeline_id]={pipeline}&filter[statuses][0][status_id]={status}",
    "filter[created_at][from]=1&filter[created_at][to]=2", "filter[created_at]=x",
    "order[created_at]=asc", "order[id]=sideways", "order=id", "query=abc", "query=%FF",
    "query=%00", "filter[name]=%00", "filter[%5B]=1", "a[[[[[[b]=1", "%", "%zz", "&&&==",
    "filter[id]=1e400", "filter[price][from]=-1&filter[price][to]=NaN", "page=1&page=2",
    "filter[custom_fields_values][{field}][]=1", "filter[responsible_user_id][]=-1",
    "filter[type]=lead_added", "filter[entity][]=lead", "filter[pipeline_id]={pipeline}",
    "with=" + "x," * 500, "filter" + "[x]" * 400 + "=1", "limit=" + "9" * 400,
    "filter[updated_at][from]=%E2%80%AE", "filter[id][]=" + "&filter[id][]=".join(["1"] * 300),
    "client_id=x&state=s&mode=post_message", "next=%2F%2Fevil.example", "next=javascript:1",
    "client_id={client_id}&state=s&mode=popup", "client_id={client_id}&mode=post_message",
    "client_id={client_id}&state=" + "s" * 5000, "client_id={client_id}&mode=x",
    "filter[tags][]=%F0%9F%98%80", "filter[entity_id][]={lead}", "filter[id][]={other_lead}",
    "filter[loss_reason_id]=x",
]  # fmt: skip


def query(rng: random.Random, world: World, other: World) -> str:
    parts = rng.sample(QUERIES, rng.choice([1, 1, 2, 3]))
    text = "&".join(parts)
    for name, value in world.ids.items():
        text = text.replace("{" + name + "}", str(value))
    text = text.replace("{client_id}", world.client_id)
    return text.replace("{other_lead}", str(other.ids["lead"]))


SCALARS: list[Any] = [
    None, True, False, 0, -1, 1, -(2**31), 2**31, 2**53 + 1, 2**63, 2**64, 2**70, -(2**70),
    1.5, -0.0, 1e308, "", " ", "x", "1", "\u0000", "null", "true", "12abc",
    "\ud800", "\udfff", "\u202eRTL", "😀" * 3, "e\u0301", "\ufeff", "\uffff", "a\u200bb",
    "<script>", "' OR 1=1 --", "%00", "x" * 300,
]  # fmt: skip
KEYS = [
    "id", "name", "price", "status_id", "pipeline_id", "responsible_user_id", "created_by",
    "created_at", "closed_at", "loss_reason_id", "custom_fields_values", "_embedded", "values",
    "value", "enum_id", "field_id", "field_code", "tags", "contacts", "companies", "metadata",
    "to_entity_id", "to_entity_type", "entity_id", "request_id", "is_main", "sort", "color",
    "enums", "settings", "destination", "grant_type", "code", "refresh_token", "__proto__",
    "note_type", "params", "text", "phone", "duration", "call_status", "file_uuid",
    "", "\u0000", "😀",
]  # fmt: skip
FRAGMENTS: list[bytes] = [
    b'"\xff"', b'"\xc3\x28"', b'"\xed\xa0\x80"', b'"\xf8\x88\x80\x80\x80"', b'"\x80abc"',
    b"1e400", b"-1e400", b"1E999999", b"-0", b"NaN", b"Infinity", b"-Infinity",
    b"123456789012345678901234567890123456789", b"0.000000000000000000000000000001e-400",
    b"0x10", b"01", b"+1", b".5", b"1.", b'{"name":"a","name":1}', b'{"id":1,"id":"x"}',
    b'"\\ud800"', b'"\\udc00\\ud800"', b'"\\u0000"', b'"\\uZZZZ"', b"'single'", b"[1,]",
    b'{"a":1,}', b"undefined", b"true false", b'"' + b"\\" * 7 + b'"',
]  # fmt: skip
SENTINEL = "\x00fuzz-fragment-{}\x00"


def deep(depth: int, rng: random.Random) -> bytes:
    if rng.random() < 0.5:
        return b"[" * depth + b"1" + b"]" * depth
    return b'{"a":' * depth + b"1" + b"}" * depth


def _nodes(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The paths of every node of a JSON value, the root included."""
    found = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            found.extend(_nodes(child, (*path, key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.extend(_nodes(child, (*path, index)))
    return found


def _set(root: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    parent = root
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = new
    return root


def _get(root: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        root = root[step]
    return root


def _short(value: Any, fragments: list[bytes]) -> str:
    if isinstance(value, str) and value.startswith("\x00fuzz-fragment-"):
        return repr(fragments[int(value.strip("\x00").rsplit("-", 1)[1])][:24])
    return repr(value)[:24]


def nesting(body: bytes) -> int:
    """The deepest nesting of brackets outside strings: how deep a JSON parser must recurse."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def cause(body: bytes) -> str | None:
    """A class of body every endpoint should refuse alike, or None."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return "invalid UTF-8"
    if nesting(body) >= 500:
        return "nesting >= 500"
    return None


class Mutator:
    """Applies random mutations to a JSON value; raw fragments (invalid UTF-8, huge numbers,
    duplicated keys, deep nesting) go in as sentinels replaced after encoding."""

    def __init__(self, rng: random.Random, world: World, other: World) -> None:
        self.rng = rng
        self.world = world
        self.other = other
        self.fragments: list[bytes] = []
        self.log: list[str] = []

    def _fragment(self, raw: bytes) -> str:
        self.fragments.append(raw)
        return SENTINEL.format(len(self.fragments) - 1)

    def value(self) -> Any:
        rng = self.rng
        r = rng.random()
        if r < 0.45:
            return rng.choice(SCALARS)
        if r < 0.55:
            return rng.choice([{}, [], [{}], [None], {"id": 1}, [[[]]], {"": {}}])
        if r < 0.7:
            pool = [*self.world.ids.values(), *self.other.ids.values()]
            return rng.choice([rng.choice(pool), -rng.choice(pool), str(rng.choice(pool))])
        if r < 0.8:
            return "x" * rng.choice([1_000, 70_000, 300_000])
        return self._fragment(rng.choice(FRAGMENTS))

    def mutate(self, body: Any) -> Any:
        rng = self.rng
        kind = rng.choice(
            ["swap", "swap", "swap", "drop", "add", "fragment", "deep", "huge_array", "id"]
        )
        nodes = _nodes(body)
        path = rng.choice(nodes)
        self.log.append(f"{kind}@{'/'.join(map(str, path))}")
        if kind == "swap":
            new = self.value()
            self.log[-1] += f"={_short(new, self.fragments)}"
            return _set(body, path, new)
        if kind == "fragment":
            return _set(body, path, self._fragment(rng.choice(FRAGMENTS)))
        if kind == "deep":
            depth = rng.choice([64, 500, 973, 1200, 5000, 100_000])
            self.log[-1] += f":{depth}"
            return _set(body, path, self._fragment(deep(depth, rng)))
        if kind == "id":
            pool = [*self.world.ids.values(), *self.other.ids.values(), 0, -1, 2**63, 2**64]
            return _set(body, path, rng.choice(pool))
        dicts = [p for p in nodes if isinstance(_get(body, p), dict)]
        lists = [p for p in nodes if isinstance(_get(body, p), list)]
        if kind == "drop" and dicts:
            target = _get(body, rng.choice(dicts))
            if target:
                del target[rng.choice(list(target))]
            return body
        if kind == "add" and dicts:
            _get(body, rng.choice(dicts))[rng.choice(KEYS)] = self.value()
            return body
        if kind == "huge_array" and lists:
            target = _get(body, rng.choice(lists))
            seed = target[0] if target else {}
            target.extend(copy.deepcopy(seed) for _ in range(rng.choice([251, 251, 501, 2000])))
            return body
        return _set(body, path, self.value())

    def encode(self, body: Any) -> bytes:
        text = json.dumps(body, ensure_ascii=rng_bool(self.rng), separators=(",", ":"))
        raw = text.encode("utf-8", "surrogatepass")
        for index, fragment in enumerate(self.fragments):
            marker = json.dumps(SENTINEL.format(index), ensure_ascii=False).encode()
            raw = raw.replace(marker, fragment)
            raw = raw.replace(json.dumps(SENTINEL.format(index)).encode(), fragment)
        return raw


def rng_bool(rng: random.Random) -> bool:
    return rng.random() < 0.5


WHOLE_BODIES: list[bytes] = [
    b"", b" ", b"null", b"[]", b"{}", b"[null]", b"[[]]", b"0", b'"x"', b"true",
    b"\xff\xfe", b'{"grant_type":"\xff"}', b'[{"name":"\xff"}]', b"\xef\xbb\xbf[{}]",
    '[{"name":"x"}]'.encode("utf-16"), b"[" * 973 + b"]" * 973, b"{" * 50, b"[{" * 2000,
    b"\x00" * 64, b"name=x&price=1", b"a[0][name]=x", b"--x\r\nContent-Disposition: form-data",
]  # fmt: skip
CONTENT_TYPES: list[list[str]] = [
    ["application/json"], ["application/json"], ["application/json"], ["application/json"],
    [], ["text/plain"], ["application/x-www-form-urlencoded"], ["multipart/form-data"],
    ["multipart/form-data; boundary=x"], ["application/json; charset=latin-1"],
    ["application/json", "text/plain"], ["application/json", "application/json"],
    ["application/hal+json"], ["*/*"], ["application/json; boundary="],
]  # fmt: skip


def form_body(rng: random.Random, fields: dict[str, Any]) -> bytes:
    """A form with mutations: bad percent-encoding, NUL, repeated and extra fields."""
    pairs = [(k, str(v)) for k, v in fields.items()]
    raw = urlencode(pairs).encode()
    choice = rng.random()
    if choice < 0.2:
        raw += rng.choice([b"&%zz=1", b"&email=%FF", b"&csrf=%00", b"&=", b"&&&", b"&a=%"])
    elif choice < 0.3:
        raw += b"".join(b"&f%d=1" % n for n in range(rng.choice([21, 1000])))
    elif choice < 0.4:
        raw += b"&password=" + b"p" * rng.choice([5_000, 300_000])
    elif choice < 0.5:
        raw = raw[: rng.randrange(len(raw) + 1)] + b"\xff"
    return raw


def generate(rng: random.Random, routes: list[Endpoint], world: World, other: World) -> FuzzRequest:
    """One request: a route (the writes twice as likely: their bodies hold the most rules),
    its path filled, a query, a token or not, and a body that starts valid."""
    writes = [e for e in routes if e.method in WRITE_METHODS]
    endpoint = rng.choice(routes + writes)
    path = fill(rng, endpoint.path, world, other)
    method = endpoint.method
    if rng.random() < 0.02:
        method = rng.choice(["PUT", "OPTIONS", "TRACE", "PATCH", "DELETE", "FOO"])
    mutations: list[str] = []
    if endpoint.method == "GET" or rng.random() < 0.1:
        path += "?" + query(rng, world, other)
    headers: list[tuple[str, str]] = []
    r = rng.random()
    if r < 0.85:
        headers.append(("authorization", f"Bearer {world.token}"))
    elif r < 0.9:
        headers.append(("authorization", f"Bearer {other.token}"))
        mutations.append("other-token")
    elif r < 0.95:
        junk = rng.choice(
            ["Bearer", "Bearer ", "Bearer a.b.c", "Basic Og==", "Bearer \xff", "Bearer \x00"]
        )
        headers.append(("authorization", junk))
        mutations.append(f"auth={junk!r}")
    r = rng.random()
    if r < 0.1:
        headers.append(("host", f"{world.subdomain}.kommo.test"))
    elif r < 0.15:
        headers.append(("host", f"{other.subdomain}.kommo.test"))
        mutations.append("other-host")
    body = b""
    start = valid_body(endpoint.method, endpoint.path, world)
    if endpoint.path == "/oauth2/access_token" and rng.random() < 0.4:
        start = refresh_grant(world)
    csrf = ""
    if endpoint.path.startswith("/oauth/") or endpoint.path == "/oauth":
        r = rng.random()
        name = "signed_in" if r < 0.5 else "anonymous" if r < 0.8 else ""
        if name in world.sessions:
            cookie, csrf = world.sessions[name]
            headers.append(("cookie", cookie))
            mutations.append(f"session={name}")
    if endpoint.path in FORM_ROUTES:
        headers.append(("content-type", "application/x-www-form-urlencoded"))
        fields = dict(start or {})
        # a sign-in that passes the CSRF check runs argon2 (0.1 s here): a few per run
        good = 0.15 if endpoint.path == "/oauth/login" else 0.9
        fields["csrf_token"] = csrf if rng.random() < good else rng.choice(["", "x", csrf[:-2]])
        if "password" in fields and rng.random() < 0.5:
            fields["password"] = "wrong password"
        if "decision" in fields and rng.random() < 0.3:
            fields["decision"] = "deny"
        body = form_body(rng, fields)
    elif method in WRITE_METHODS or rng.random() < 0.03:
        r = rng.random()
        mutator = Mutator(rng, world, other)
        if r < 0.08:
            body = rng.choice(WHOLE_BODIES)
            mutations.append(f"whole={body[:40]!r}")
        else:
            value = copy.deepcopy(start) if start is not None else mutator.value()
            for _ in range(0 if r < 0.2 else rng.choice([1, 1, 1, 2, 3])):
                value = mutator.mutate(value)
            body = mutator.encode(value)
            mutations.extend(mutator.log)
            if rng.random() < 0.05:
                body = body[: rng.randrange(len(body) + 1)]
                mutations.append("truncated-json")
        for content_type in rng.choice(CONTENT_TYPES):
            headers.append(("content-type", content_type))
    return FuzzRequest(method, path, headers, body, endpoint, mutations)
