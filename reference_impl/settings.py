"""The service's configuration from the environment (docs/contract.md "Configuration").

Secrets (`SUPABASE_JWT_SECRET`, the service key, `DEEPSEEK_API_KEY`) are kept out of
`repr` and out of every error message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOCAL_DEFAULT_JWT_SECRET = "super-secret-jwt-token-with-at-least-32-characters-long"
DAY_MS = 86_400_000  # the longest backoff setting fail_plan_job accepts


class ServiceSettingsError(ValueError):
    """A configuration value is missing or malformed; names the variable, never its value
    when it is a secret."""


@dataclass(frozen=True)
class QueueSettings:
    """Retry limits, backoff, thresholds and how the queue is worked."""

    max_retries: int = 3
    stuck_after: timedelta = timedelta(minutes=10)
    stale_pending_after: timedelta = timedelta(minutes=30)
    regeneration_cooldown: timedelta = timedelta(days=14)
    # The wait before the next attempt after a retryable failure: the n-th retry waits
    # between min(base * 2^(n-1), cap / 2) and min(base * 2^n, cap) (docs/contract.md).
    retry_base: timedelta = timedelta(seconds=10)
    retry_cap: timedelta = timedelta(minutes=10)
    worker_interval: timedelta = timedelta(seconds=60)  # 0 = no background worker loop
    worker_concurrency: int = 10  # attempts in flight per invocation (maxJobs default)
    wall_clock_limit: timedelta = timedelta(seconds=150)  # 0 = attempts run in-process, never killed

    def __post_init__(self) -> None:
        if self.retry_cap < self.retry_base:
            raise ServiceSettingsError(
                f"PLAN_JOB_RETRY_CAP_MS ({_whole_ms(self.retry_cap)}) must not be shorter than "
                f"PLAN_JOB_RETRY_BASE_MS ({_whole_ms(self.retry_base)})"
            )


@dataclass(frozen=True)
class SignInLimits:
    """How many failed password sign-ins are allowed in a window before `/auth/v1/token`
    answers 429; 0 turns a limit off."""

    max_failures_per_email: int = 5
    max_failures_per_address: int = 20
    window: timedelta = timedelta(minutes=5)


@dataclass(frozen=True)
class ServiceSettings:
    """Everything `plan-reference serve` needs besides the pipeline's DeepSeek settings."""

    database_url: str = field(repr=False)
    jwt_secret: str = field(repr=False)
    anon_key: str | None = field(default=None, repr=False)
    service_role_key: str | None = field(default=None, repr=False)
    public_url: str | None = None
    queue: QueueSettings = field(default_factory=QueueSettings)
    max_body_bytes: int = 64 * 1024
    body_read_timeout: timedelta = timedelta(seconds=15)  # a body not fully received by then is 408
    sign_in: SignInLimits = field(default_factory=SignInLimits)
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ServiceSettings:
        database_url = _required(env, "DATABASE_URL")
        jwt_secret = env.get("SUPABASE_JWT_SECRET", "").strip() or LOCAL_DEFAULT_JWT_SECRET
        if len(jwt_secret) < 32:
            raise ServiceSettingsError("SUPABASE_JWT_SECRET must be at least 32 characters long")
        queue = QueueSettings(
            max_retries=_int(env, "PLAN_JOB_MAX_RETRIES", QueueSettings.max_retries, 1, 20),
            stuck_after=_ms(env, "STUCK_AFTER_MS", QueueSettings.stuck_after, minimum=1),
            stale_pending_after=_ms(
                env, "STALE_PENDING_AFTER_MS", QueueSettings.stale_pending_after, minimum=1
            ),
            regeneration_cooldown=_ms(
                env, "REGENERATION_COOLDOWN_MS", QueueSettings.regeneration_cooldown, minimum=0
            ),
            retry_base=_ms(
                env, "PLAN_JOB_RETRY_BASE_MS", QueueSettings.retry_base, minimum=1, maximum=DAY_MS
            ),
            retry_cap=_ms(env, "PLAN_JOB_RETRY_CAP_MS", QueueSettings.retry_cap, minimum=1, maximum=DAY_MS),
            worker_interval=_ms(env, "WORKER_INTERVAL_MS", QueueSettings.worker_interval, minimum=0),
            worker_concurrency=_int(env, "WORKER_CONCURRENCY", QueueSettings.worker_concurrency, 1, 500),
            wall_clock_limit=_ms(env, "WALL_CLOCK_LIMIT_MS", QueueSettings.wall_clock_limit, minimum=0),
        )
        sign_in = SignInLimits(
            max_failures_per_email=_int(env, "SIGN_IN_MAX_FAILURES_PER_EMAIL", 5, 0, 1_000_000),
            max_failures_per_address=_int(env, "SIGN_IN_MAX_FAILURES_PER_ADDRESS", 20, 0, 1_000_000),
            window=_ms(env, "SIGN_IN_FAILURE_WINDOW_MS", SignInLimits.window, minimum=1),
        )
        log_level = env.get("LOG_LEVEL", "").strip().upper() or "INFO"
        if log_level not in LOG_LEVELS:
            raise ServiceSettingsError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {log_level!r}")
        return cls(
            log_level=log_level,
            database_url=database_url,
            jwt_secret=jwt_secret,
            anon_key=env.get("SUPABASE_ANON_KEY", "").strip() or None,
            service_role_key=env.get("SUPABASE_SERVICE_ROLE_KEY", "").strip() or None,
            public_url=env.get("SUPABASE_URL", "").strip() or None,
            queue=queue,
            body_read_timeout=_ms(env, "BODY_READ_TIMEOUT_MS", ServiceSettings.body_read_timeout, minimum=1),
            sign_in=sign_in,
        )


def _whole_ms(value: timedelta) -> int:
    return round(value.total_seconds() * 1000)


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ServiceSettingsError(f"{name} is required")
    return value


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ServiceSettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise ServiceSettingsError(f"{name} must be from {low} to {high}, got {value}")
    return value


def _ms(
    env: Mapping[str, str], name: str, default: timedelta, *, minimum: int, maximum: int | None = None
) -> timedelta:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ServiceSettingsError(f"{name} must be a whole number of milliseconds, got {raw!r}") from None
    if value < minimum:
        raise ServiceSettingsError(f"{name} must be at least {minimum} ms, got {value}")
    if maximum is not None and value > maximum:
        raise ServiceSettingsError(f"{name} must be at most {maximum} ms, got {value}")
    return timedelta(milliseconds=value)
