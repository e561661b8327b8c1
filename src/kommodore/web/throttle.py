"""Sign-in throttling: password guessing slowed per e-mail, per client address and per both.

Each failed sign-in counts against three keys. The pair (this address, this e-mail) blocks
first and longest, so a person who mistypes is stopped briefly while an attacker on another
address cannot lock them out. The address key stops one client trying many e-mails; the e-mail
key stops many clients trying one e-mail, with a short block that ends by itself, so however
long an attack lasts a real user waits minutes, never forever. A blocked sign-in is refused
before its password is hashed: refusals cost no argon2 time. Counters live in the database, so
the limits hold across workers and app servers.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from kommodore.db.database import Database
from kommodore.web import store


@dataclass(frozen=True, slots=True)
class Rule:
    kind: str
    failures: int
    """Failures within ``window`` seconds that start a block."""
    window: int
    block: int
    """Seconds the key stays blocked."""


PAIR = Rule("pair", failures=5, window=900, block=900)
ADDRESS = Rule("address", failures=20, window=900, block=900)
EMAIL = Rule("email", failures=10, window=900, block=300)
RULES = (PAIR, ADDRESS, EMAIL)

TOO_MANY = "Too many login attempts. Please try again in {minutes} min."


def address_key(host: str | None) -> str:
    """The client's address; IPv6 by its /64, the block one subscriber is given."""
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:64]
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


@dataclass(frozen=True, slots=True)
class Attempt:
    """One sign-in: who it is for and where it comes from."""

    email: str
    address: str

    def keys(self) -> dict[Rule, str]:
        email = self.email.strip().lower()[:320]
        return {
            PAIR: f"pair:{self.address}|{email}",
            ADDRESS: f"address:{self.address}",
            EMAIL: f"email:{email}",
        }


async def blocked_for(db: Database, attempt: Attempt, now: int) -> int:
    """Seconds until this attempt may be made (0: now)."""
    async with db.connection() as conn:
        until = await store.blocked_until(conn, list(attempt.keys().values()))
    return max(0, until - now)


async def failed(db: Database, attempt: Attempt, now: int) -> None:
    """Count a failure against every key; a key that reaches its rule's count is blocked."""
    async with db.transaction() as conn:
        for rule, key in attempt.keys().items():
            failures = await store.count_failure(conn, key, now, now - rule.window)
            if failures >= rule.failures:
                await store.block(conn, key, now, now + rule.block)
        await store.purge_throttle(conn, now - max(r.window for r in RULES), now)


async def succeeded(db: Database, attempt: Attempt) -> None:
    """A right password clears the pair's count (not the address's: one good account must not
    reset an attacker's count of guesses at others)."""
    async with db.transaction() as conn:
        await store.forget(conn, attempt.keys()[PAIR])


def refusal(seconds: int) -> str:
    return TOO_MANY.format(minutes=max(1, -(-seconds // 60)))
