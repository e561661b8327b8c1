"""Fault and latency injection: rules that make matching API requests fail as Kommo fails (a
429 with ``Retry-After``, a 401, a 5xx), answer late, or lose their connection, so a client's
retry logic can be tested. Each rule is limited to its next N matches, a probability, or a time
window; rules live in the process's memory and a reset clears them."""

from __future__ import annotations

import fnmatch
import itertools
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Literal

import msgspec

from kommodore.http.auth import TOO_MANY_DETAIL
from kommodore.http.problems import (
    PAYMENT_REQUIRED_BODY,
    PROBLEM_JSON,
    UNAUTHORIZED_BODY,
    problem_body,
)

FaultStatus = Literal[401, 402, 403, 429, 500, 502, 503, 504]


class Match(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    method: str | None = None
    path: str = "/api/v4/*"
    """A glob (``fnmatch``): ``/api/v4/leads*``, ``/api/v4/leads/[0-9]*``."""
    account_id: int | None = None
    integration_id: str | None = None


class Rule(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    match: Match = msgspec.field(default_factory=Match)
    status: FaultStatus | None = None
    """Answer this instead of the API, with Kommo's body for it."""
    delay_ms: int | None = None
    """Wait this long first (then answer ``status``, or let the API answer)."""
    drop: bool = False
    """Close the connection without a complete answer."""
    retry_after: int = 1
    """The 429's ``Retry-After`` seconds."""
    times: int | None = None
    """Only the next N matching requests."""
    probability: float = 1.0
    starts_at_ms: int | None = None
    ends_at_ms: int | None = None
    for_seconds: float | None = None
    """From now on, for this long (sets ``ends_at_ms``)."""


MAX_WINDOW_SECONDS = 366 * 86_400


class BadRule(ValueError):
    pass


@dataclass(slots=True)
class ActiveRule:
    id: int
    rule: Rule
    matched: int = 0

    @property
    def remaining(self) -> int | None:
        return None if self.rule.times is None else self.rule.times - self.matched


def check(rule: Rule) -> Rule:
    if rule.status is None and rule.delay_ms is None and not rule.drop:
        raise BadRule("a rule needs an action: status, delay_ms or drop")
    if rule.drop and rule.status is not None:
        raise BadRule("drop and status exclude each other")
    if rule.delay_ms is not None and not 0 <= rule.delay_ms <= 120_000:
        raise BadRule("delay_ms: from 0 to 120000")
    if rule.times is not None and rule.times < 1:
        raise BadRule("times: at least 1")
    if not 0 < rule.probability <= 1:
        raise BadRule("probability: more than 0, at most 1")
    if not 0 <= rule.retry_after <= 86_400:
        raise BadRule("retry_after: from 0 to 86400")
    if rule.for_seconds is not None:
        if not 0 < rule.for_seconds <= MAX_WINDOW_SECONDS:
            raise BadRule(f"for_seconds: more than 0, at most {MAX_WINDOW_SECONDS}")
        now = int(time.time() * 1000)
        rule = msgspec.structs.replace(
            rule,
            starts_at_ms=rule.starts_at_ms or now,
            ends_at_ms=now + int(rule.for_seconds * 1000),
            for_seconds=None,
        )
    return rule


@dataclass
class Faults:
    rules: list[ActiveRule] = field(default_factory=list)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _random: random.Random = field(default_factory=random.Random)

    def add(self, rule: Rule) -> ActiveRule:
        active = ActiveRule(next(self._ids), check(rule))
        self.rules.append(active)
        return active

    def delete(self, rule_id: int) -> bool:
        kept = [r for r in self.rules if r.id != rule_id]
        found = len(kept) != len(self.rules)
        self.rules = kept
        return found

    def clear(self) -> None:
        self.rules = []

    def needs_claims(self, method: str, path: str) -> bool:
        return any(
            (r.rule.match.account_id is not None or r.rule.match.integration_id is not None)
            and _route_matches(r.rule.match, method, path)
            for r in self.rules
        )

    def pick(
        self, method: str, path: str, account_id: int | None, integration_id: str | None
    ) -> ActiveRule | None:
        """The first live rule matching the request, counted as used; spent rules go."""
        now = int(time.time() * 1000)
        for active in self.rules:
            rule, match = active.rule, active.rule.match
            if not _route_matches(match, method, path):
                continue
            if match.account_id is not None and match.account_id != account_id:
                continue
            if match.integration_id is not None and match.integration_id != integration_id:
                continue
            if rule.starts_at_ms is not None and now < rule.starts_at_ms:
                continue
            if rule.ends_at_ms is not None and now >= rule.ends_at_ms:
                continue
            if rule.probability < 1 and self._random.random() >= rule.probability:
                continue
            active.matched += 1
            if active.remaining == 0:
                self.rules.remove(active)
            return active
        return None


def _route_matches(match: Match, method: str, path: str) -> bool:
    return (match.method is None or match.method.upper() == method) and fnmatch.fnmatchcase(
        path, match.path
    )


def answer(rule: Rule) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Kommo's answer for the rule's status: status, headers, body."""
    status = rule.status
    assert status is not None
    headers = [(b"content-type", PROBLEM_JSON.encode())]
    if status == 401:
        body = UNAUTHORIZED_BODY
    elif status == 402:
        body = PAYMENT_REQUIRED_BODY
    elif status == 429:
        body = problem_body(429, TOO_MANY_DETAIL, retry_after=rule.retry_after)
        headers.append((b"retry-after", str(rule.retry_after).encode()))
    elif status == 403:
        body = problem_body(403, "Access denied")
    elif status == 500:
        body = problem_body(500, "Internal server error").replace(
            b'"title":"Internal Server Error"', b'"title":"ErrInternalServer"'
        )
    else:
        body = problem_body(status, HTTPStatus(status).phrase)
    headers.append((b"content-length", str(len(body)).encode()))
    return status, headers, body
