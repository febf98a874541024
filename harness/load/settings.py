"""`plan-load`'s settings: the target (URL and keys) and the bounds of a run, checked at once.

The target comes from the flags, else the `--env-file`, else the environment (a file named
on the command line wins over whatever the shell exported). A run is always bounded: in
users, journeys per user (so in jobs) and in time; a setting outside its bounds is refused
with the flag that set it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from harness.env_file import EnvFileMissing, read_env_file
from harness.estimator import HARD_CAP_SECONDS
from harness.load.protocol import SIGNUP_MODES
from harness.seeds import DEFAULT_SEED

MAX_USERS = 2000
MAX_SPAWN_RATE = 100.0
MAX_RUN_TIME_S = 3600.0
MAX_JOBS_PER_USER = 100
MAX_JOBS = 20_000
MAX_WORKERS = 16
TARGET_ENV_NAMES = ("SUPABASE_URL", "SUPABASE_ANON_KEY", "SUPABASE_SERVICE_ROLE_KEY")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


class LoadSettingsError(ValueError):
    """A setting is wrong; `flag` names where it came from."""

    def __init__(self, flag: str, message: str) -> None:
        super().__init__(f"{flag}: {message}")
        self.flag = flag


def parse_duration(flag: str, text: str) -> float:
    """Seconds from `90`, `90s`, `1.5m`, `1h` or `500ms`."""
    match = _DURATION.match(text)
    if match is None:
        raise LoadSettingsError(flag, f"{text!r} is not a duration (e.g. 90s, 5m, 1h)")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


@dataclass(frozen=True)
class LoadTarget:
    """Where the load goes. The keys are secrets: never printed, logged or written."""

    url: str
    anon_key: str = field(repr=False)
    service_role_key: str = field(repr=False)

    @property
    def secrets(self) -> tuple[str, str]:
        return (self.anon_key, self.service_role_key)

    @classmethod
    def resolve(
        cls,
        *,
        url: str | None,
        anon_key: str | None,
        service_role_key: str | None,
        env_file: Path | None,
        environ: Mapping[str, str] = os.environ,
    ) -> LoadTarget:
        from_file: dict[str, str] = {}
        if env_file is not None:
            try:
                from_file = read_env_file(env_file, option="--env-file")
            except EnvFileMissing:
                raise LoadSettingsError("--env-file", f"{env_file}: no such file") from None

        def pick(given: str | None, flag: str, name: str) -> str:
            value = given or from_file.get(name) or environ.get(name, "")
            if not value:
                where = f"{flag}, the --env-file or the environment"
                raise LoadSettingsError(flag, f"no {name}: give it with {where}")
            return value

        base_url = pick(url, "--url", "SUPABASE_URL").rstrip("/")
        if not base_url.startswith(("http://", "https://")):
            raise LoadSettingsError("--url", f"must start with http:// or https://, got {base_url!r}")
        return cls(
            url=base_url,
            anon_key=pick(anon_key, "--anon-key", "SUPABASE_ANON_KEY"),
            service_role_key=pick(service_role_key, "--service-role-key", "SUPABASE_SERVICE_ROLE_KEY"),
        )


@dataclass(frozen=True)
class PollSettings:
    """The plan-building screen's polling (harness.poller.PollPolicy), in the same units."""

    initial_interval_ms: float = 1000.0
    backoff_factor: float = 1.5
    max_interval_ms: float = 10_000.0
    max_wait_s: float | None = None  # None: from the app's estimator, capped at 15 minutes

    def __post_init__(self) -> None:
        if not self.initial_interval_ms > 0:
            raise LoadSettingsError("--poll-initial-ms", f"must be > 0, got {self.initial_interval_ms:g}")
        if not self.backoff_factor >= 1:
            raise LoadSettingsError("--poll-backoff", f"must be >= 1, got {self.backoff_factor:g}")
        if not self.max_interval_ms >= self.initial_interval_ms:
            raise LoadSettingsError(
                "--poll-max-interval-ms",
                f"must be >= --poll-initial-ms ({self.initial_interval_ms:g}), got {self.max_interval_ms:g}",
            )
        if self.max_wait_s is not None and not 0 < self.max_wait_s <= HARD_CAP_SECONDS:
            raise LoadSettingsError(
                "--max-wait", f"must be in (0, {HARD_CAP_SECONDS:g}] seconds, got {self.max_wait_s:g}"
            )


def _within(flag: str, value: float, low: float, high: float, why: str = "") -> None:
    if not low <= value <= high:
        raise LoadSettingsError(flag, f"must be from {low:g} to {high:g}{why}, got {value:g}")


@dataclass(frozen=True)
class LoadSettings:
    """One bounded run: how many users, how fast they arrive, how long at most, what they do."""

    users: int
    spawn_rate: float
    run_time_s: float
    jobs_per_user: int = 1
    workers: int = 0  # 0: one standalone Locust process; N: a master and N local workers
    signup: str = "signup"
    seed: int = DEFAULT_SEED
    poll: PollSettings = field(default_factory=PollSettings)
    health_interval_s: float = 2.0
    startup_allowance_s: float = 60.0  # for Locust (and its workers) to start, beyond the run time

    def __post_init__(self) -> None:
        _within("--users", self.users, 1, MAX_USERS)
        if not 0 < self.spawn_rate <= MAX_SPAWN_RATE:
            raise LoadSettingsError(
                "--spawn-rate", f"must be > 0 and at most {MAX_SPAWN_RATE:g} users/s, got {self.spawn_rate:g}"
            )
        if self.run_time_s <= 0:
            raise LoadSettingsError(
                "--run-time", "must be > 0: a load run is bounded in time (e.g. --run-time 2m)"
            )
        _within("--run-time", self.run_time_s, 1, MAX_RUN_TIME_S, " seconds")
        _within("--jobs-per-user", self.jobs_per_user, 1, MAX_JOBS_PER_USER)
        if self.users * self.jobs_per_user > MAX_JOBS:
            raise LoadSettingsError(
                "--jobs-per-user",
                f"--users x --jobs-per-user is {self.users * self.jobs_per_user} jobs; at most {MAX_JOBS}",
            )
        _within("--workers", self.workers, 0, MAX_WORKERS)
        if self.workers > self.users:
            raise LoadSettingsError(
                "--workers", f"{self.workers} workers for {self.users} users: some would have no user"
            )
        if self.signup not in SIGNUP_MODES:
            raise LoadSettingsError("--signup", f"{self.signup!r} is not one of {', '.join(SIGNUP_MODES)}")
        _within("--health-interval", self.health_interval_s, 0.2, 300, " seconds")

    @property
    def max_jobs(self) -> int:
        return self.users * self.jobs_per_user
