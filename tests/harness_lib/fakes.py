"""Test doubles for the poller: a clock that moves only on sleep, and a scripted job source."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from harness.poller import JobSnapshot

Script = Sequence[tuple[float, Mapping[str, Any] | None]]


class FakeClock:
    """A monotonic clock in seconds that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class ScriptedJobSource:
    """A `JobSource` whose job row follows a script of (from_second, row) steps on a clock.

    A row of None means the job is not visible. Retry actions are recorded, not applied.
    """

    def __init__(self, clock: FakeClock, script: Script) -> None:
        self.clock = clock
        self.script = script
        self.reads = 0
        self.actions: list[tuple[str, str]] = []

    def get_job(self, job_id: str) -> JobSnapshot | None:
        self.reads += 1
        current = None
        for since, row in self.script:
            if since <= self.clock.now:
                current = row
        return None if current is None else JobSnapshot.from_row({"id": job_id, **current})

    def cancel_job(self, job_id: str) -> None:
        self.actions.append(("cancel", job_id))

    def reset_stuck_job(self, job_id: str) -> None:
        self.actions.append(("reset", job_id))
