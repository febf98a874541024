"""What a run's target is, resolved once from options and environment: a frozen description.

The description is the same in the controlling process and in every xdist worker, so the
capability skips decided at collection agree with what the fixtures find. Live parts (the
local stack, a fake the harness started) are attached per process by `harness.target.live`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from fake_llm.environment import ADMIN_TOKEN_ENV
from harness.capabilities import Capabilities
from harness.client import ApiKeys
from harness.estimator import HARD_CAP_SECONDS
from harness.poller import PollPolicy
from harness.target.fake import FakeGiven, FakeToStart
from harness.target.settings import TargetSettings

LOOPBACK_MAX_WAIT_S = 60.0
NO_WORKERS = "the target's workers are not processes this run started"
NO_DATABASE = "no database DSN for the target (DATABASE_URL, or --db postgresql://...)"
NO_CLOCK = "ageing rows needs the target's database (DATABASE_URL, or --db postgresql://...)"
NO_FAULTS = (
    "no fake DeepSeek under the harness's control (--fake-llm serve[:HOST:PORT], or --fake-llm-url "
    f"with {ADMIN_TOKEN_ENV}; the target's DEEPSEEK_BASE_URL must point at it)"
)


@dataclass(frozen=True)
class Endpoint:
    """A Supabase-shaped service: its base URL and its API keys (secrets, never printed)."""

    url: str
    keys: ApiKeys = field(repr=False)

    @property
    def on_loopback(self) -> bool:
        return is_loopback_host(urlsplit(self.url).hostname or "")


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def poll_defaults(*, on_loopback: bool, max_wait_s: float | None) -> PollPolicy:
    """How the plan-building poller waits: fast and with a one-minute guard on this machine
    (a poll is a loopback request of a few ms; backing off to 100 ms, a scenario sees its job
    end at most 100 ms late), like the app (1 s to 10 s, the 15-minute cap) against a remote
    host (docs/decisions.md H14)."""
    if on_loopback:
        wait = max_wait_s or LOOPBACK_MAX_WAIT_S
        return PollPolicy(
            initial_interval_ms=20, backoff_factor=1.5, max_interval_ms=100, max_wait_ms=wait * 1000
        )
    wait = max_wait_s or HARD_CAP_SECONDS
    return PollPolicy(
        initial_interval_ms=1000, backoff_factor=1.5, max_interval_ms=10_000, max_wait_ms=wait * 1000
    )


@dataclass(frozen=True)
class TargetSpec:
    """Where the suite runs and what it may do there."""

    label: str
    capabilities: Capabilities
    settings: TargetSettings
    poll_defaults: PollPolicy
    destructive_allowed: bool
    endpoint: Endpoint | None = None  # None: the local stack's, known once it started
    database_dsn: str | None = field(default=None, repr=False)  # a deployed target's own database
    fake: FakeToStart | FakeGiven | None = None  # None on the local target: each stack has its own
    service_log: Path | None = None  # a file the target's service writes its log to
    queue_schedule_ms: int | None = None  # the harness invokes process-plan-queue this often
    jobs_ahead: int = 1  # a scenario's cases whose jobs may run at once (harness.jobs_ahead)

    @property
    def is_local_stack(self) -> bool:
        """The harness starts the whole target itself (one stack per xdist worker)."""
        return self.endpoint is None


def local_spec(*, settings: TargetSettings, max_wait_s: float | None, jobs_ahead: int) -> TargetSpec:
    return TargetSpec(
        label="local",
        capabilities=Capabilities.of({name: None for name in ("http", "db", "clock", "faults", "workers")}),
        settings=settings,
        poll_defaults=poll_defaults(on_loopback=True, max_wait_s=max_wait_s),
        destructive_allowed=True,  # every stack has a database of its own
        jobs_ahead=jobs_ahead,
    )


def deployed_spec(
    label: str,
    endpoint: Endpoint,
    *,
    env: Mapping[str, str],
    database_dsn: str | None,
    fake: FakeToStart | FakeGiven | None,
    service_log: Path | None,
    queue_schedule_ms: int | None,
    allow_destructive: bool,
    max_wait_s: float | None,
    jobs_ahead: int,
) -> TargetSpec:
    capabilities = Capabilities.of(
        {
            "http": None,
            "db": None if database_dsn else NO_DATABASE,
            "clock": None if database_dsn else NO_CLOCK,
            "faults": None if fake is not None else NO_FAULTS,
            "workers": NO_WORKERS,
        }
    )
    return TargetSpec(
        label=label,
        capabilities=capabilities,
        settings=TargetSettings.from_env(env),
        poll_defaults=poll_defaults(on_loopback=endpoint.on_loopback, max_wait_s=max_wait_s),
        destructive_allowed=allow_destructive,
        endpoint=endpoint,
        database_dsn=database_dsn,
        fake=fake,
        service_log=service_log,
        queue_schedule_ms=queue_schedule_ms,
        jobs_ahead=jobs_ahead,
    )
