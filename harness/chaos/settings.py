"""A chaos run's settings, checked at once: bounded in jobs, users, time and processes.

A setting outside its bounds is refused with the flag that set it (`ChaosSettingsError`).
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.seeds import DEFAULT_SEED

NEMESES: tuple[str, ...] = ("kill", "pause", "db-restart", "fake-restart", "faults")
MAX_JOBS = 20_000
MAX_USERS = 2_000
MAX_DURATION_S = 3_600.0
MAX_SETTLE_S = 3_600.0
MAX_WORKERS = 8


class ChaosSettingsError(ValueError):
    """A setting is wrong; `flag` names where it came from."""

    def __init__(self, flag: str, message: str) -> None:
        super().__init__(f"{flag}: {message}")
        self.flag = flag


def parse_nemeses(text: str) -> tuple[str, ...]:
    """`kill,pause,...` (in any order, each once), or `none` for a run without faults."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    if names == ["none"]:
        return ()
    unknown = [name for name in names if name not in NEMESES]
    if unknown or not names:
        raise ChaosSettingsError(
            "--nemesis",
            f"{', '.join(map(repr, unknown)) or 'nothing'} is not a nemesis; "
            f"give some of {','.join(NEMESES)}, or none",
        )
    if len(set(names)) != len(names):
        raise ChaosSettingsError("--nemesis", f"{text!r} names a nemesis twice")
    return tuple(name for name in NEMESES if name in names)


def _within(flag: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise ChaosSettingsError(flag, f"must be from {low:g} to {high:g}, got {value:g}")


@dataclass(frozen=True)
class ChaosSettings:
    """One chaos run. `nemeses` None: every nemesis the target supports; `users` None: one
    user for every five job requests (at least 3 but no more than the jobs, at most 100)."""

    seed: int = DEFAULT_SEED
    duration_s: float = 30.0
    jobs: int = 100
    users: int | None = None
    workers: int = 3
    nemeses: tuple[str, ...] | None = None
    settle_s: float = 60.0
    observe_interval_s: float = 0.05
    stuck_after_ms: int = 3000  # the local stack's STUCK_AFTER_MS (a paused worker goes stale)
    request_timeout_s: float = 10.0

    def __post_init__(self) -> None:
        _within("--jobs", self.jobs, 1, MAX_JOBS)
        _within("--duration", self.duration_s, 5, MAX_DURATION_S)
        if self.users is not None:
            _within("--users", self.users, 1, min(MAX_USERS, self.jobs))
        _within("--workers", self.workers, 1, MAX_WORKERS)
        _within("--settle", self.settle_s, 1, MAX_SETTLE_S)
        _within("--observe-interval", self.observe_interval_s, 0.01, 5)
        _within("--stuck-after", self.stuck_after_ms, 500, 600_000)
        _within("--request-timeout", self.request_timeout_s, 1, 120)
        if self.nemeses is not None:
            unknown = set(self.nemeses) - set(NEMESES)
            if unknown:
                raise ChaosSettingsError("--nemesis", f"unknown nemeses {sorted(unknown)}")

    @property
    def user_count(self) -> int:
        return self.users if self.users is not None else min(self.jobs, max(3, min(100, self.jobs // 5)))
