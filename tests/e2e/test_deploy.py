"""End to end: the deployment files under deploy/, run as shipped (ports, paths and the
certificate replaced by the test's own).

nginx terminates TLS with a certificate made here and proxies to a real server trusting the
forwarded headers: the answer comes back over HTTPS with ``_links`` on https and the Host the
client asked for, whatever forwarded headers the client tried to send. The systemd unit passes
``systemd-analyze verify`` and its ExecStart, with its environment, serves.
"""

from __future__ import annotations

import configparser
import re
import shlex
import ssl
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import Backend
from tests.e2e.test_serve import _env
from tests.processes import (
    KOMMODORE,
    demo_account,
    free_port,
    require_program,
    running,
    serving,
)

pytestmark = pytest.mark.e2e

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


@dataclass
class Served:
    base: str
    token: str
    lead_id: int
    subdomain: str
    env: dict[str, str]


@pytest.fixture
def served(backend: Backend, tmp_path: Path) -> Iterator[Served]:
    """A demo account and a server that trusts forwarded headers (it listens on loopback)."""
    env = _env(backend, tmp_path / "data")
    env["KOMMODORE_TRUST_FORWARDED_HEADERS"] = "true"
    subdomain = f"tls{uuid.uuid4().hex[:8]}"
    token, lead_id = demo_account(env, subdomain, 5)
    port = free_port()
    with serving([*KOMMODORE, "serve", "--host", "127.0.0.1", "--port", str(port)], port, env):
        yield Served(f"http://127.0.0.1:{port}", token, lead_id, subdomain, env)


def _certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and *.kommo.test."""
    openssl = require_program("openssl")
    cert, key = directory / "kommodore.pem", directory / "kommodore.key"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=kommo.test",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:kommo.test,DNS:*.kommo.test"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


def nginx_site(app_port: int, http_port: int, https_port: int, cert: Path, key: Path) -> str:
    """The shipped site with the test's ports, names and certificate."""
    text = (DEPLOY / "nginx" / "kommodore.conf").read_text()
    replacements = [
        (r"(?m)^\s*listen \[::\]:.*\n", ""),
        (r"server 127\.0\.0\.1:8000;", f"server 127.0.0.1:{app_port};"),
        (r"listen 80;", f"listen 127.0.0.1:{http_port};"),
        (r"listen 443 ssl", f"listen 127.0.0.1:{https_port} ssl"),
        (r"\.kommo\.example\.com", ".kommo.test"),
        (r"ssl_certificate \S+;", f"ssl_certificate {cert};"),
        (r"ssl_certificate_key \S+;", f"ssl_certificate_key {key};"),
    ]
    for pattern, replacement in replacements:
        text, found = re.subn(pattern, replacement, text)
        assert found, pattern
    return text


@dataclass
class Proxy:
    https: str
    http: str
    host: str
    """What the client puts in Host: the account's subdomain and nginx's port."""
    cert: Path


@pytest.fixture
def proxy(served: Served, tmp_path: Path) -> Iterator[Proxy]:
    """nginx, as root or not, in the foreground with everything under the test's directory."""
    nginx = require_program("nginx")
    root = tmp_path / "nginx"
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (root / "temp" / sub).mkdir(parents=True)
        (root / "temp" / sub).chmod(0o777)  # its workers may run as nobody
    cert, key = _certificate(root)
    app_port = int(served.base.rsplit(":", 1)[1])
    http_port, https_port = free_port(), free_port()
    (root / "kommodore.conf").write_text(nginx_site(app_port, http_port, https_port, cert, key))
    temp = root / "temp"
    (root / "nginx.conf").write_text(
        f"""worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {root}/kommodore.conf;
}}
"""
    )
    args = [nginx, "-p", str(root), "-c", str(root / "nginx.conf"), "-g", "daemon off;"]
    with running(args, https_port, root / "nginx.log"):
        yield Proxy(
            f"https://127.0.0.1:{https_port}", f"http://127.0.0.1:{http_port}",
            f"{served.subdomain}.kommo.test:{https_port}", cert,
        )  # fmt: skip


def test_https_through_nginx_links_back_to_https_and_the_clients_host(
    served: Served, proxy: Proxy
) -> None:
    path = f"/api/v4/leads/{served.lead_id}"
    auth = {"Authorization": f"Bearer {served.token}"}
    trusted = ssl.create_default_context(cafile=str(proxy.cert))
    with httpx.Client(verify=trusted, timeout=30) as http:
        through = http.get(f"{proxy.https}{path}", headers={**auth, "Host": proxy.host})
        # what a client sends to fool the links is overwritten by nginx
        spoofed = http.get(
            f"{proxy.https}{path}",
            headers={**auth, "Host": proxy.host, "X-Forwarded-Proto": "http",
                     "X-Forwarded-Host": "evil.example"},
        )  # fmt: skip
    direct_host = f"{served.subdomain}.kommo.test"
    direct = httpx.get(f"{served.base}{path}", headers={**auth, "Host": direct_host}, timeout=30)
    assert (through.status_code, direct.status_code) == (200, 200), through.text
    assert through.http_version == "HTTP/1.1"
    assert through.json()["_links"]["self"]["href"] == f"https://{proxy.host}{path}"
    assert through.content == direct.content.replace(
        f"http://{direct_host}/".encode(), f"https://{proxy.host}/".encode()
    )
    assert spoofed.content == through.content


def test_plain_http_is_sent_to_https(served: Served, proxy: Proxy) -> None:
    answer = httpx.get(
        f"{proxy.http}/api/v4/leads?limit=1", headers={"Host": f"{served.subdomain}.kommo.test"}
    )
    assert answer.status_code == 301
    assert (
        answer.headers["location"] == f"https://{served.subdomain}.kommo.test/api/v4/leads?limit=1"
    )


def _unit() -> configparser.ConfigParser:
    unit = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string(_merged((DEPLOY / "systemd" / "kommodore.service").read_text()))
    return unit


def _merged(text: str) -> str:
    """Repeated keys (Environment=) joined with newlines, as configparser takes them."""
    out: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    section = ""
    for line in text.splitlines():
        if line.startswith("["):
            section = line
        key = line.split("=", 1)[0] if "=" in line and not line.startswith("#") else None
        if key and (section, key) in seen:
            out[seen[(section, key)]] += "\n" + line.split("=", 1)[1]
            continue
        if key:
            seen[(section, key)] = len(out)
        out.append(line)
    return "\n".join(out)


def test_the_systemd_unit_verifies_and_its_exec_start_serves(
    backend: Backend, tmp_path: Path
) -> None:
    """``systemd-analyze verify`` on the unit with ExecStart pointed at this interpreter's
    kommodore (the unit's /opt path does not exist here), then that command line run with the
    unit's environment and the test's database, port and data dir."""
    text = (DEPLOY / "systemd" / "kommodore.service").read_text()
    unit = _unit()
    exec_start = shlex.split(unit["Service"]["ExecStart"])
    assert exec_start[0] == "/opt/kommodore/venv/bin/kommodore" and exec_start[1] == "serve"
    analyze = require_program("systemd-analyze")
    local = Path(sys.executable).parent / "kommodore"  # the entry point pip installed
    assert local.exists(), local
    copy = tmp_path / "kommodore.service"
    copy.write_text(text.replace(exec_start[0], str(local)))
    verified = subprocess.run(
        [analyze, "verify", str(copy)], capture_output=True, text=True, timeout=60
    )
    assert (verified.returncode, verified.stderr) == (0, ""), verified.stderr
    env = _env(backend, tmp_path / "data")
    for assignment in unit["Service"]["Environment"].splitlines():
        name, value = assignment.split("=", 1)
        env.setdefault(name, value)
    env.pop("KOMMODORE_DATA_DIR", None)
    port = free_port()
    env.update(PORT=str(port), KOMMODORE_DATA_DIR=str(tmp_path / "data"))
    assert env["KOMMODORE_ENV"] == "production"
    command = [*KOMMODORE, *exec_start[1:]]
    with serving(command, port, env):
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
    assert health.status_code == 200
