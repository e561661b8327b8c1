"""A clock the tests move by hand, so windows and blocks never depend on timing."""

from __future__ import annotations


class FakeClock:
    def __init__(self, now: float = 1_900_000_000.25) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
