"""Where the server may send requests on a user's behalf: every kind of address, the defaults
per database, the settings that allow, and names that resolve to refused addresses."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Sequence
from pathlib import Path

import pytest

from kommodore.outbound import DestinationRefused, OutboundPolicy, kind_of
from kommodore.settings import Settings


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.254", "private"),
        ("192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("fd12:3456::1", "private"),
        ("100.64.0.1", "private"),
        ("100.127.255.254", "private"),
        ("::ffff:10.0.0.1", "private"),
        ("::ffff:192.168.0.1", "private"),
        ("169.254.169.254", "link-local"),
        ("169.254.0.1", "link-local"),
        ("fe80::1", "link-local"),
        ("::ffff:169.254.169.254", "link-local"),
        ("0.0.0.0", "unspecified"),  # noqa: S104
        ("::", "unspecified"),
        ("::ffff:0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("93.184.216.34", "public"),
        ("8.8.8.8", "public"),
        ("172.32.0.1", "public"),
        ("100.128.0.1", "public"),
        ("2606:2800:220:1:248:1893:25c8:1946", "public"),
        ("::ffff:8.8.8.8", "public"),
    ],
)
def test_kind_of(address: str, kind: str):
    assert kind_of(ipaddress.ip_address(address)) == kind


@pytest.mark.parametrize(
    ("loopback", "private", "allowed"),
    [
        (False, False, {"public"}),
        (True, False, {"public", "loopback"}),
        (False, True, {"public", "private"}),
        (True, True, {"public", "loopback", "private"}),
    ],
)
def test_what_each_setting_allows(loopback: bool, private: bool, allowed: set[str]):
    policy = OutboundPolicy(allow_loopback=loopback, allow_private=private)
    samples = {
        "public": "8.8.8.8", "loopback": "127.0.0.1", "private": "10.0.0.1",
        "link-local": "169.254.169.254", "unspecified": "0.0.0.0",  # noqa: S104
        "multicast": "224.0.0.1", "reserved": "240.0.0.1",
    }  # fmt: skip
    for kind, address in samples.items():
        refusal = policy.refusal(ipaddress.ip_address(address))
        assert (refusal is None) == (kind in allowed), (kind, refusal)


def test_defaults_per_database(tmp_path: Path):
    sqlite = Settings(data_dir=tmp_path, database_url=None)
    explicit_sqlite = Settings(database_url=f"sqlite:///{tmp_path}/x.db")
    postgres = Settings(database_url="postgresql://u@db/kommodore")
    assert OutboundPolicy.from_settings(sqlite) == OutboundPolicy(True, False)
    assert OutboundPolicy.from_settings(explicit_sqlite) == OutboundPolicy(True, False)
    assert OutboundPolicy.from_settings(postgres) == OutboundPolicy(False, False)
    # the settings override the default either way
    assert OutboundPolicy.from_settings(
        Settings(database_url="postgresql://u@db/k", outbound_allow_loopback=True,
                 outbound_allow_private=True)
    ) == OutboundPolicy(True, True)  # fmt: skip
    assert OutboundPolicy.from_settings(
        Settings(data_dir=tmp_path, outbound_allow_loopback=False)
    ) == OutboundPolicy(False, False)


def test_defaults_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("KOMMODORE_DATABASE_URL", "postgresql://u@db/k")
    monkeypatch.setenv("KOMMODORE_OUTBOUND_ALLOW_LOOPBACK", "true")
    monkeypatch.setenv("KOMMODORE_OUTBOUND_ALLOW_PRIVATE", "true")
    assert OutboundPolicy.from_settings(Settings()) == OutboundPolicy(True, True)


@pytest.mark.parametrize(
    ("host", "refused"),
    [
        ("127.0.0.1", "127.0.0.1 is a loopback address"),
        ("::1", "::1 is a loopback address"),
        ("localhost", "localhost is a loopback address"),
        ("hooks.LOCALHOST", "hooks.localhost is a loopback address"),
        ("10.0.0.1", "10.0.0.1 is a private address"),
        ("169.254.169.254", "169.254.169.254 is a link-local address"),
        ("::ffff:127.0.0.1", "::ffff:127.0.0.1 is a loopback address"),
        ("example.com", None),
        ("8.8.8.8", None),
    ],
)
def test_host_refusal_without_resolving(host: str, refused: str | None):
    """What a subscription can tell from the URL alone: IP literals and ``localhost``."""
    assert OutboundPolicy().host_refusal(host) == refused


def _resolver(table: dict[str, Sequence[str]]):  # type: ignore[no-untyped-def]
    async def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError(f"unknown host {host}")
        return list(table[host])

    return resolve


NAMES = {
    "private.example": ["10.0.0.7"],
    "loop.example": ["127.0.0.1"],
    "meta.example": ["169.254.169.254"],
    "mixed.example": ["10.0.0.7", "93.184.216.34"],
    "v6loop.example": ["::1"],
    "mapped.example": ["::ffff:127.0.0.1"],
    "public.example": ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"],
}


@pytest.mark.parametrize(
    ("host", "loopback", "private", "answer"),
    [
        ("private.example", False, False,
         "private.example resolves to 10.0.0.7, a private address"),
        ("private.example", True, False,
         "private.example resolves to 10.0.0.7, a private address"),
        ("private.example", False, True, ["10.0.0.7"]),
        ("loop.example", False, False, "loop.example resolves to 127.0.0.1, a loopback address"),
        ("loop.example", True, False, ["127.0.0.1"]),
        ("v6loop.example", False, True, "v6loop.example resolves to ::1, a loopback address"),
        ("mapped.example", False, False,
         "mapped.example resolves to ::ffff:127.0.0.1, a loopback address"),
        ("meta.example", True, True,
         "meta.example resolves to 169.254.169.254, a link-local address"),
        ("mixed.example", False, False, ["93.184.216.34"]),
        ("public.example", False, False, ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"]),
        ("127.0.0.1", False, False, "127.0.0.1 is a loopback address"),
        ("127.0.0.1", True, False, ["127.0.0.1"]),
    ],
)  # fmt: skip
def test_addresses_after_resolving(
    host: str, loopback: bool, private: bool, answer: str | list[str]
):
    """Names are resolved, every address checked; a connection goes to an allowed address of
    that one resolution, never to a second lookup's answer."""
    policy = OutboundPolicy(loopback, private, resolver=_resolver(NAMES))

    async def run() -> list[str]:
        return await policy.addresses(host, 80)

    if isinstance(answer, str):
        with pytest.raises(DestinationRefused) as refused:
            asyncio.run(run())
        assert str(refused.value) == f"destination refused: {answer}"
    else:
        assert asyncio.run(run()) == answer
