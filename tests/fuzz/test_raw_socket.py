"""Hand-built request bytes against ``kommodore serve``: what no HTTP client library sends.

A complete request must get a whole response with a status below 500 (no reset, no hang);
an incomplete one (a body cut short, then the write side closed) may be dropped, but not
answered with a 5xx. A refused request leaves the database as it was, and the server still
answers at the end.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import httpx
import pytest

from tests.conftest import Backend
from tests.fuzz.cases import Case, save
from tests.fuzz.conftest import Served
from tests.fuzz.generate import FRAGMENTS, SEED, cause
from tests.fuzz.wire import exchange
from tests.fuzz.world import Fingerprint, World, changed

pytestmark = pytest.mark.e2e
MAX_SAVED = 10

JSON_ENDPOINTS = [
    (b"POST", b"/api/v4/leads"),
    (b"PATCH", b"/api/v4/leads"),
    (b"POST", b"/api/v4/leads/complex"),
    (b"POST", b"/api/v4/leads/tags"),
    (b"POST", b"/api/v4/leads/pipelines"),
    (b"POST", b"/api/v4/webhooks"),
    (b"POST", b"/oauth2/access_token"),
]
BODIES: list[bytes] = [
    b'{"grant_type":"\xff"}', b'[{"name":"\xff"}]', b'[{"name":"\xc3\x28"}]',
    b'[{"name":"\xed\xa0\x80"}]', b"\xff\xfe[\x00{\x00}\x00]\x00", b"\xef\xbb\xbf[{}]",
    b"[" * 973 + b"]" * 973, b"[" * 100_000, b'{"a":' * 973 + b"1" + b"}" * 973,
    b'[{"name":"a","name":1}]', b'[{"price":1e400}]', b'[{"price":2361183241434822606848}]',
    b'[{"price":-0}]', b'[{"price":NaN}]', b'[{"price":Infinity}]', b'[{"name":"\\ud800"}]',
    b"[{}]", b"{}", b"", b"null", b"name=x&grant_type=%FF", b'[{"name":"' + b"x" * 70_000 + b'"}]',
    b"[" + b",".join([b'{"name":"x"}'] * 600) + b"]",
    b'[{"name":"x","_embedded":{"contacts":[{"first_name":"a","custom_fields_values":1}]}}]',
    b'[{"name":"x","_embedded":{"companies":[{"name":"c","custom_fields_values":true}]}}]',
    *(b'[{"name":' + f + b"}]" for f in FRAGMENTS),
]  # fmt: skip
CONTENT_TYPES = [
    [b"application/json"], [], [b"text/plain"], [b"application/x-www-form-urlencoded"],
    [b"multipart/form-data; boundary=zz"], [b"application/json", b"text/html"],
    [b"application/json; charset=\xff"], [b"\x01\x02"],
]  # fmt: skip


@dataclass
class Raw:
    data: bytes
    complete: bool
    label: str


def request(
    method: bytes,
    target: bytes,
    body: bytes = b"",
    headers: list[bytes] | None = None,
    *,
    length: int | None = None,
) -> bytes:
    lines = [method + b" " + target + b" HTTP/1.1", b"Host: 127.0.0.1", b"Connection: close"]
    lines += headers or []
    if length is not None or body or method in (b"POST", b"PATCH", b"PUT"):
        lines.append(b"Content-Length: %d" % (len(body) if length is None else length))
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def raws(world: World, rng: random.Random) -> list[Raw]:
    """Every JSON endpoint with every odd body under a seeded Content-Type, then the
    framing and header oddities, then the oversized bodies."""
    auth = b"Authorization: Bearer " + world.token.encode()
    lead = str(world.ids["lead"]).encode()
    found: list[Raw] = []
    for method, path in JSON_ENDPOINTS:
        for body in BODIES:
            types = rng.choice(CONTENT_TYPES)
            headers = [auth, *(b"Content-Type: " + t for t in types)]
            label = f"{method.decode()} {path.decode()} {types} {body[:40]!r}"
            found.append(Raw(request(method, path, body, headers), True, label))
    get = b"GET /api/v4/leads/" + lead
    post = b"POST /api/v4/leads HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + auth
    specials = [
        request(b"GET", b"/api/v4/leads/%zz", headers=[auth]),
        request(b"GET", b"/api/v4/leads?query=%00&filter[name]=%FF%FE", headers=[auth]),
        request(b"GET", b"/api/v4/leads?%", headers=[auth]),
        request(b"GET", b"/api/v4/leads/" + lead + b"%00", headers=[auth]),
        request(b"GET", b"/api/v4/leads/" + lead + b"/../../account", headers=[auth]),
        request(b"GET", b"/api/v4/events/%00%FF", headers=[auth]),
        request(b"GET", b"/api/v4/leads\x00", headers=[auth]),
        request(b"GET", b"/api/v4/leads?with=" + b"contacts," * 2000, headers=[auth]),
        request(b"GET", b"/api/v4/leads?" + b"filter" + b"[x]" * 2000 + b"=1", headers=[auth]),
        request(b"GET", b"//api/v4//leads", headers=[auth]),
        request(b"GET", b"/api/v4/leads?page=1e400&limit=-0", headers=[auth]),
        request(b"GET", b"*", headers=[auth]),
        request(b"GET", b"http://other.example/api/v4/leads", headers=[auth]),
        request(b"HEAD", b"/api/v4/leads/" + lead, headers=[auth]),
        request(b"OPTIONS", b"/api/v4/leads", headers=[auth]),
        request(b"BREW", b"/api/v4/leads", headers=[auth]),
        request(b"GET", b"/api/v4/leads/" + lead, headers=[b"Authorization: Bearer \xff\xfe"]),
        request(b"GET", b"/api/v4/leads/" + lead, headers=[auth, auth]),
        request(b"GET", b"/api/v4/leads/" + lead, headers=[auth, b"Host: evil.kommo.test"]),
        request(b"GET", b"/api/v4/leads/" + lead, headers=[auth, b"Host: " + b"a" * 5000]),
        request(b"GET", b"/api/v4/leads/" + lead, headers=[auth, b"X-Long: " + b"a" * 60_000]),
        request(b"GET", b"/api/v4/leads/" + lead, headers=[auth, b"NoColonHere"]),
        request(b"GET", b"/api/v4/leads/" + lead, headers=[auth, b" folded: yes"]),
        request(b"GET", b"/api/v4/leads/" + lead, headers=[auth, b"X-Nul: a\x00b"]),
        request(b"GET", b"/api/v4/leads/" + lead, headers=[auth, b"Cookie: kommodore=\xff;;=="]),
        request(b"GET", b"/oauth?client_id=%FF&state=%00&mode=popup"),
        request(b"GET", b"/oauth/login?next=%FF%00"),
        request(b"POST", b"/oauth/login", b"email=%zz&password=%FF&csrf=\x00",
                [b"Content-Type: application/x-www-form-urlencoded"]),
        request(b"POST", b"/oauth/login", b"--zz\r\nContent-Disposition: form-data; name=a\r\n",
                [b"Content-Type: multipart/form-data; boundary=zz"]),
        request(b"POST", b"/oauth2/access_token", b"--zz\r\n",
                [b"Content-Type: multipart/form-data; boundary=zz"]),
        request(b"POST", b"/api/v4/leads", b"[{}]", [auth, b"Expect: 100-continue"]),
        request(b"POST", b"/api/v4/leads", b"[{}]", [auth], length=-1),
        post + b"\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\n[{}]]",
        post + b"\r\nContent-Length: 1e3\r\n\r\n[{}]",
        post + b"\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n[{}]\r\n0\r\n\r\n",
        post + b"\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n[{}]\r\n0\r\n\r\n",
        post + b"\r\nTransfer-Encoding: chunked\r\n\r\n-4\r\n[{}]\r\n0\r\n\r\n",
        post + b"\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFF\r\n[{}]\r\n0\r\n\r\n",
        post + b"\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n[{}]\r\n0\r\n\r\n",
        post + b"\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=\xff\r\n[{}]\r\n0\r\n\r\n",
        post + b"\r\nTransfer-Encoding: gzip, chunked\r\n\r\n4\r\n[{}]\r\n0\r\n\r\n",
        post + b"\r\nTransfer-Encoding: chunked\r\n\r\n" + b"1\r\n[\r\n" * 973
        + b"0\r\n\r\n",
        get + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + auth + b"\n\n",
        get + b" HTTP/1.0\r\n" + auth + b"\r\n\r\n",
        get + b" HTTP/2.0\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"\r\n\r\n" + request(b"GET", b"/healthz"),
        b"GARBAGE\r\n\r\n",
        b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + b"\x00" * 64,
    ]  # fmt: skip
    token = world.token.encode()
    found += [
        Raw(data, True, f"special #{n} {data.replace(token, b'{token}')[:300]!r}")
        for n, data in enumerate(specials)
    ]
    for method, path in JSON_ENDPOINTS:
        body = b'[{"name":"cut short"}]'
        found.append(
            Raw(
                request(method, path, body[:7], [auth], length=len(body)),
                False,
                f"truncated {method.decode()} {path.decode()}",
            )
        )
    cut = post + b"\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n[{"
    found.append(Raw(cut, False, "chunked body cut short"))
    nested = b"[" * 200_000 + b"]" * 200_000
    oversized = [
        (b"POST", b"/api/v4/leads", b"[" + b" " * (33 * 1024 * 1024) + b"{}]", [auth]),
        (b"POST", b"/oauth2/access_token", b'{"grant_type":"' + b"x" * 1_000_000 + b'"}', []),
        (b"POST", b"/oauth/login", b"email=" + b"x" * 1_000_000, []),
        (b"POST", b"/api/v4/leads/complex", nested, [auth]),
    ]
    for method, path, body, headers in oversized:
        label = f"oversized {method.decode()} {path.decode()} {len(body)} bytes"
        found.append(Raw(request(method, path, body, headers), True, label))
    return found


def test_raw_requests_against_a_real_server(served: Served, backend: Backend) -> None:
    rng = random.Random(SEED)
    failures: list[str] = []
    signatures: set[tuple[str, str]] = set()
    prints = Fingerprint(backend, [served.world.account_id, served.other.account_id])
    before = prints.take()
    requests = raws(served.world, rng)
    try:
        for raw in requests:
            reply = exchange(served.port, raw.data, complete=raw.complete)
            after = prints.take()
            problem = None
            if reply.status is not None and reply.status >= 500:
                problem = f"{reply.status}"
            elif raw.complete and not reply.complete:
                problem = f"no whole response ({reply.error or 'closed'}; got {reply.head[:80]!r})"
            elif (reply.status is None or reply.status >= 400) and changed(before, after):
                problem = f"{reply.status} but wrote to {changed(before, after)}"
            before = after
            if problem:
                failures.append(f"{raw.label}: {problem}")
                because = cause(raw.data.partition(b"\r\n\r\n")[2])
                signature = (problem, because or raw.label)
                small = len(raw.data) < 300_000  # the oversized ones stay in this file
                if small and signature not in signatures and len(signatures) < MAX_SAVED:
                    signatures.add(signature)
                    case = Case("raw", "", "", [], raw.data, f"{backend.name}: {failures[-1]}")
                    case.complete = raw.complete
                    save(case, served.world, served.other)
    finally:
        prints.close()
    alive = httpx.get(f"http://127.0.0.1:{served.port}/healthz", timeout=10)
    assert alive.status_code == 200
    print(f"{backend.name}: {len(requests)} raw requests")
    assert not failures, f"{len(failures)} of {len(requests)} raw requests:\n" + "\n".join(failures)


def test_what_is_too_big_or_too_deep_is_refused_whole(served: Served) -> None:
    """The limits the fuzz leans on: an oversized body is a 413 (problem+json), the
    endpoints open to anyone take only small bodies, and deep nesting is a 400."""
    auth = b"Authorization: Bearer " + served.world.token.encode()
    json_type = b"Content-Type: application/json"
    deep = b"[" * 973 + b"]" * 973
    expected = [
        (b"POST", b"/api/v4/leads", b"[" + b" " * (33 * 1024 * 1024) + b"{}]", [auth], 413),
        (b"POST", b"/oauth2/access_token", b'{"code":"' + b"x" * 100_000 + b'"}', [], 413),
        (b"POST", b"/oauth/login", b"email=" + b"x" * 100_000, [], 413),
        (b"POST", b"/api/v4/leads", deep, [auth, json_type], 400),
        (b"POST", b"/oauth2/access_token", b'{"grant_type":' + deep + b"}", [json_type], 400),
    ]
    wrong = []
    for method, path, body, headers, status in expected:
        reply = exchange(served.port, request(method, path, body, headers))
        problem_json = b"application/problem+json" in reply.head.lower()
        if reply.status != status or (path.startswith(b"/api/") and not problem_json):
            wrong.append(f"{method!r} {path!r} {len(body)} bytes: {reply.head[:120]!r}")
    assert not wrong, "\n".join(wrong)
