"""The attempt's deadline: a time budget read against an injectable monotonic clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]
"""Monotonic seconds, `time.monotonic` unless a test injects another."""


@dataclass(frozen=True)
class Deadline:
    """A budget of `budget_ms` that started at `started_at` on `clock`."""

    started_at: float
    budget_ms: int
    clock: Clock = time.monotonic

    @classmethod
    def start(cls, budget_ms: int, clock: Clock = time.monotonic) -> Deadline:
        """A deadline `budget_ms` from now."""
        return cls(started_at=clock(), budget_ms=budget_ms, clock=clock)

    @property
    def expires_at(self) -> float:
        """The clock reading at which the budget is spent."""
        return self.started_at + self.budget_ms / 1000

    def remaining_s(self) -> float:
        """Seconds left, never negative."""
        return max(0.0, self.expires_at - self.clock())

    def elapsed_ms(self) -> int:
        """Whole milliseconds since the deadline started."""
        return int((self.clock() - self.started_at) * 1000)
