"""End to end: the deployment of docs/operations.md, "Several app servers". Two ``kommodore
serve`` processes on their own ports and data dirs, sharing one PostgreSQL through a real
PgBouncer (transaction pooling, ``deploy/pgbouncer``), one Redis for the limiter's counters
and one signing key, behind a real HAProxy started from ``deploy/haproxy/haproxy.cfg``.

Each proof goes through the balancer and to each server directly: a token revoked is refused by
every server on the next request; the per-second limit counts requests to both as one; a
webhook is delivered once although both servers run a delivery worker; a write on one is read
on the other at once, byte for byte.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from tests.processes import (
    KOMMODORE,
    demo_account,
    free_port,
    pgbouncer,
    require_program,
    running,
    serving,
)
from tests.ratelimit.conftest import redis_url  # noqa: F401 (a fixture, used by name)
from tests.webhooks.helpers import Receiver

pytestmark = pytest.mark.e2e

HAPROXY_CFG = Path(__file__).resolve().parents[2] / "deploy" / "haproxy" / "haproxy.cfg"
BASE_DOMAIN = "kommo.test"
PER_SECOND = 30
"""The limit the servers run with: above what the other tests send in a second, so only the
limiter's test meets it."""


def haproxy_config(listen: int, servers: list[int]) -> str:
    """The shipped config with the test's listen port and servers' ports."""
    text = HAPROXY_CFG.read_text()
    text = re.sub(r"(?m)^(\s*bind )127\.0\.0\.1:\d+", rf"\g<1>127.0.0.1:{listen}", text)
    shipped = re.findall(r"(?m)^\s*server (\S+) 127\.0\.0\.1:\d+$", text)
    assert len(shipped) == len(servers), shipped
    for name, port in zip(shipped, servers, strict=True):
        text = re.sub(
            rf"(?m)^(\s*server {name} )127\.0\.0\.1:\d+$", rf"\g<1>127.0.0.1:{port}", text
        )
    return text


@dataclass
class Deployment:
    env: dict[str, str]
    balancer: str
    servers: list[str]
    subdomain: str
    token: str
    limited_subdomain: str
    limited_token: str
    receiver: Receiver

    @property
    def everywhere(self) -> list[str]:
        """The balancer, then each server directly."""
        return [self.balancer, *self.servers]

    def client(
        self, base: str, token: str | None = None, subdomain: str | None = None
    ) -> httpx.Client:
        """A client whose Host names the account, so ``_links`` are the same whichever port
        answers."""
        return httpx.Client(
            base_url=base, timeout=30,
            headers={
                "Authorization": f"Bearer {token or self.token}",
                "Host": f"{subdomain or self.subdomain}.{BASE_DOMAIN}",
            },
        )  # fmt: skip

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [*KOMMODORE, *args], env=self.env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout


@pytest.fixture(scope="module")
def deployment(
    postgres_database: str,
    redis_url: str,  # noqa: F811 (the fixture imported above)
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Deployment]:
    haproxy = require_program("haproxy")
    tmp = tmp_path_factory.mktemp("scale-out")
    with ExitStack() as stack:
        pooled = stack.enter_context(pgbouncer(postgres_database, tmp / "pgbouncer"))
        receiver = Receiver()
        stack.callback(receiver.close)
        env = dict(os.environ)
        env.update(
            KOMMODORE_DATA_DIR=str(tmp / "setup"),
            KOMMODORE_DATABASE_URL=pooled,
            KOMMODORE_DATABASE_POOLER="pgbouncer",
            KOMMODORE_BASE_DOMAIN=BASE_DOMAIN,
            KOMMODORE_REDIS_URL=redis_url,
            KOMMODORE_RATE_LIMIT_REDIS_PREFIX=f"kommodore-test:{uuid.uuid4().hex[:12]}:",
            KOMMODORE_RATE_LIMIT_ENABLED="true",
            KOMMODORE_RATE_LIMIT_PER_SECOND=str(PER_SECOND),
            KOMMODORE_WEBHOOK_WORKER_IN_PROCESS="true",  # both servers deliver
            KOMMODORE_WEBHOOK_POLL_INTERVAL_SECONDS="0.1",
            KOMMODORE_WEBHOOK_RETRY_SCALE="0.001",
            KOMMODORE_OUTBOUND_ALLOW_LOOPBACK="true",  # the receiver is on 127.0.0.1
            KOMMODORE_LOG_LEVEL="warning",
            KOMMODORE_ACCESS_LOG="false",
        )
        subdomain, limited = f"scale{uuid.uuid4().hex[:8]}", f"limit{uuid.uuid4().hex[:8]}"
        token, _ = demo_account(env, subdomain, 5)
        limited_token, _ = demo_account(env, limited, 5)
        # one signing key for every server, as the operations guide says; data dirs their own
        env["KOMMODORE_JWT_PRIVATE_KEY"] = (tmp / "setup" / "jwt-signing-key.pem").read_text()
        ports = [free_port(), free_port()]
        for n, port in enumerate(ports, 1):
            own = {**env, "KOMMODORE_DATA_DIR": str(tmp / f"app{n}")}
            stack.enter_context(
                serving(
                    [*KOMMODORE, "serve", "--host", "127.0.0.1", "--port", str(port)], port, own
                )
            )
        listen = free_port()
        cfg = tmp / "haproxy.cfg"
        cfg.write_text(haproxy_config(listen, ports))
        stack.enter_context(running([haproxy, "-db", "-f", str(cfg)], listen, tmp / "haproxy.log"))
        yield Deployment(
            env, f"http://127.0.0.1:{listen}", [f"http://127.0.0.1:{p}" for p in ports],
            subdomain, token, limited, limited_token, receiver,
        )  # fmt: skip


def _served_by(response: httpx.Response) -> str:
    return response.headers.get("x-kommodore-server", "")


def test_the_balancer_spreads_requests_over_both_servers(deployment: Deployment) -> None:
    with deployment.client(deployment.balancer) as http:
        answers = [http.get("/api/v4/leads", params={"limit": 2}) for _ in range(6)]
    assert {a.status_code for a in answers} == {200}
    assert {_served_by(a) for a in answers} == {"app1", "app2"}
    assert len({a.content for a in answers}) == 1


def test_a_write_on_one_server_is_read_on_the_other_at_once(deployment: Deployment) -> None:
    one, other = deployment.servers
    with deployment.client(one) as first, deployment.client(other) as second:
        added = first.post("/api/v4/leads", json=[{"name": "Written on one", "price": 10}])
        assert added.status_code == 200, added.text
        lead_id = added.json()["_embedded"]["leads"][0]["id"]
        read = second.get(f"/api/v4/leads/{lead_id}")
        assert read.status_code == 200, read.text
        assert read.json()["name"] == "Written on one"
        assert read.content == first.get(f"/api/v4/leads/{lead_id}").content
        edited = second.patch(f"/api/v4/leads/{lead_id}", json={"name": "Edited on the other"})
        assert edited.status_code == 200, edited.text
        answers = []
        for base in deployment.everywhere:
            with deployment.client(base) as http:
                answers.append(http.get(f"/api/v4/leads/{lead_id}"))
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert answers[0].json()["name"] == "Edited on the other"
    assert answers[0].json()["_links"]["self"]["href"] == (
        f"http://{deployment.subdomain}.{BASE_DOMAIN}/api/v4/leads/{lead_id}"
    )
    assert len({a.content for a in answers}) == 1


def _jti(token: str) -> str:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return str(claims["jti"])


def test_a_token_revoked_is_refused_by_every_server_on_the_next_request(
    deployment: Deployment,
) -> None:
    token = deployment.cli(
        "token", "create", "--subdomain", deployment.subdomain, "--admin"
    ).strip()
    before = []
    for base in deployment.everywhere:
        with deployment.client(base, token) as http:
            before.append(http.get("/api/v4/leads", params={"limit": 1}).status_code)
    assert before == [200, 200, 200]
    deployment.cli("token", "revoke", _jti(token))
    after = []
    for base in [*deployment.servers, deployment.balancer]:
        with deployment.client(base, token) as http:
            after.append(http.get("/api/v4/leads", params={"limit": 1}))
    assert [a.status_code for a in after] == [401, 401, 401]
    assert len({a.content for a in after}) == 1
    with deployment.client(deployment.balancer) as http:  # the account's other token still works
        assert http.get("/api/v4/leads", params={"limit": 1}).status_code == 200


def _burst(deployment: Deployment, count: int) -> list[httpx.Response] | None:
    """``count`` requests of one integration, alternating between the two servers, within one
    second of the clock (the limiter's windows are whole seconds); None if the burst straddled
    a second's boundary."""
    while time.time() % 1 > 0.2:  # start early in a second: the burst takes well under 0.8 s
        time.sleep(0.01)
    one, other = deployment.servers
    with (
        deployment.client(one, deployment.limited_token, deployment.limited_subdomain) as a,
        deployment.client(other, deployment.limited_token, deployment.limited_subdomain) as b,
    ):
        start = int(time.time())
        answers = [(a, b)[i % 2].get("/api/v4/leads", params={"limit": 1}) for i in range(count)]
        end = int(time.time())
    return answers if start == end else None


def test_the_rate_limit_counts_requests_to_both_servers_as_one(deployment: Deployment) -> None:
    """Each server alone would let all of them through (each sees fewer than the limit);
    together they let exactly the limit through and answer 429 to the rest."""
    count = PER_SECOND + 10
    answers = None
    for _ in range(5):
        answers = _burst(deployment, count)
        if answers is not None:
            break
        time.sleep(1)  # a new window, and a new try at fitting in one second
    assert answers is not None, "no burst fitted in one second"
    statuses = [a.status_code for a in answers]
    assert statuses.count(200) == PER_SECOND, statuses
    assert statuses.count(429) == count - PER_SECOND, statuses
    assert statuses[:PER_SECOND] == [200] * PER_SECOND
    refused = {a.url.port for a in answers if a.status_code == 429}
    assert len(refused) == 2  # both servers refuse once the shared count is reached


def _fields(body: bytes) -> dict[str, str]:
    return dict(parse_qsl(body.decode(), strict_parsing=True))


def test_a_webhook_is_delivered_once_while_both_servers_run_a_worker(
    deployment: Deployment,
) -> None:
    receiver = deployment.receiver
    with deployment.client(deployment.balancer) as http:
        hook = http.post(
            "/api/v4/webhooks", json={"destination": receiver.url, "settings": ["add_lead"]}
        )
        assert hook.status_code == 201, hook.text
    names = [f"Hooked {n}" for n in range(4)]
    ids = []
    for n, name in enumerate(names):  # writes on both servers, by turns
        with deployment.client(deployment.servers[n % 2]) as http:
            added = http.post("/api/v4/leads", json=[{"name": name}])
            assert added.status_code == 200, added.text
            ids.append(str(added.json()["_embedded"]["leads"][0]["id"]))
    receiver.wait_for(len(names))
    time.sleep(1.5)  # fifteen polls of each worker later, nothing more arrives
    delivered = [_fields(r.body) for r in receiver.requests]
    assert sorted(f["leads[add][0][id]"] for f in delivered) == sorted(ids)
    assert sorted(f["leads[add][0][name]"] for f in delivered) == sorted(names)
