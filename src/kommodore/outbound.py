"""Where the server may send requests on a user's behalf: webhook deliveries and revocation
notices.

An account admin chooses a webhook's destination, so without a check any admin could make the
server POST to its own loopback services, the private network behind it, or a cloud metadata
endpoint. Public addresses are always allowed; loopback and private ones only when a setting
says so; link-local (cloud metadata), unspecified, multicast and reserved addresses never.

The check runs twice: when a destination is saved, on what the URL alone tells (an IP literal,
``localhost``), and when a request is made, on every address the name resolves to. The request
then connects to an address of that same resolution, so a name that answers differently the
second time (DNS rebinding) cannot reach a refused address.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from kommodore.settings import Settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Kind = Literal[
    "public", "loopback", "private", "link-local", "unspecified", "multicast", "reserved"
]
Resolver = Callable[[str, int], Awaitable[list[str]]]
"""``(host, port)`` to the addresses it resolves to, as text; tests inject their own."""


class DestinationRefused(Exception):
    """The destination is, or resolves only to, addresses the policy refuses."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"destination refused: {reason}")
        self.reason = reason


def kind_of(address: Address) -> Kind:
    """What kind of address this is, an IPv4-mapped IPv6 address judged by its IPv4 address.
    Whatever is not global and not one of the named kinds (RFC 1918, unique local, shared
    CGNAT space, documentation ranges) counts as private."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if address.is_reserved:
        return "reserved"
    if address.is_global:
        return "public"
    return "private"


def _article(kind: Kind) -> str:
    return "an" if kind == "unspecified" else "a"


async def system_resolver(host: str, port: int) -> list[str]:
    """The addresses ``getaddrinfo`` gives for a TCP connection, in its order, once each."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class OutboundPolicy:
    """Which destinations outbound requests may reach; the default refuses all but public."""

    allow_loopback: bool = False
    allow_private: bool = False
    resolver: Resolver | None = field(default=None, compare=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> OutboundPolicy:
        return cls(settings.resolved_outbound_allow_loopback, settings.outbound_allow_private)

    def refusal(self, address: Address) -> Kind | None:
        """None when the address may be reached; else its kind, which the reason names."""
        kind = kind_of(address)
        if (
            kind == "public"
            or (kind == "loopback" and self.allow_loopback)
            or (kind == "private" and self.allow_private)
        ):
            return None
        return kind

    def host_refusal(self, host: str) -> str | None:
        """Why a URL's host is refused without resolving it (an IP literal, or ``localhost``
        and its subdomains, which always mean this machine); None otherwise."""
        host = host.lower().rstrip(".")
        address = _literal(host)
        if address is None:
            if (host == "localhost" or host.endswith(".localhost")) and not self.allow_loopback:
                return f"{host} is a loopback address"
            return None
        kind = self.refusal(address)
        name = host.strip("[]")
        return None if kind is None else f"{name} is {_article(kind)} {kind} address"

    async def addresses(self, host: str, port: int) -> list[str]:
        """The addresses a connection to ``host`` may use, from one resolution, in its order;
        raises :class:`DestinationRefused` when there is none."""
        literal = _literal(host)
        if literal is not None:
            reason = self.host_refusal(host)
            if reason is not None:
                raise DestinationRefused(reason)
            return [str(literal)]
        resolved = await (self.resolver or system_resolver)(host, port)
        allowed: list[str] = []
        first: str | None = None
        for text in resolved:
            address = ipaddress.ip_address(text.partition("%")[0])
            kind = self.refusal(address)
            if kind is None:
                allowed.append(text)
            elif first is None:
                first = f"{host} resolves to {text}, {_article(kind)} {kind} address"
        if not allowed:
            raise DestinationRefused(first or f"{host} resolves to no address")
        return allowed
