"""The service's configuration from the environment (docs/contract.md "Configuration").

Every field that the environment sets names its variable (`reference_impl.env_settings`).
Secrets (`SUPABASE_JWT_SECRET`, the service key, `DEEPSEEK_API_KEY`) are kept out of
`repr` and out of every error message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from reference_impl.env_settings import check_limits, env_var, env_var_of, settings_from_env, whole_ms

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOCAL_DEFAULT_JWT_SECRET = "super-secret-jwt-token-with-at-least-32-characters-long"
JWT_SECRET_MIN_CHARS = 32
DAY_MS = 86_400_000  # the longest backoff setting fail_plan_job accepts
COUNT_MAX = 1_000_000
PASSWORD_HASH_COST_MIN = 4


class ServiceSettingsError(ValueError):
    """A configuration value is missing or malformed; names the variable, never its value
    when it is a secret."""


@dataclass(frozen=True)
class QueueSettings:
    """Retry limits, backoff, thresholds and how the queue is worked."""

    max_retries: int = field(default=3, metadata=env_var("PLAN_JOB_MAX_RETRIES", low=1, high=20))
    stuck_after: timedelta = field(default=timedelta(minutes=10), metadata=env_var("STUCK_AFTER_MS", low=1))
    stale_pending_after: timedelta = field(
        default=timedelta(minutes=30), metadata=env_var("STALE_PENDING_AFTER_MS", low=1)
    )
    regeneration_cooldown: timedelta = field(
        default=timedelta(days=14), metadata=env_var("REGENERATION_COOLDOWN_MS", low=0)
    )
    # The wait before the next attempt after a retryable failure: the n-th retry waits
    # between min(base * 2^(n-1), cap / 2) and min(base * 2^n, cap) (docs/contract.md).
    retry_base: timedelta = field(
        default=timedelta(seconds=10), metadata=env_var("PLAN_JOB_RETRY_BASE_MS", low=1, high=DAY_MS)
    )
    retry_cap: timedelta = field(
        default=timedelta(minutes=10), metadata=env_var("PLAN_JOB_RETRY_CAP_MS", low=1, high=DAY_MS)
    )
    # 0 = no background worker loop
    worker_interval: timedelta = field(
        default=timedelta(seconds=60), metadata=env_var("WORKER_INTERVAL_MS", low=0)
    )
    # attempts in flight per invocation (maxJobs default)
    worker_concurrency: int = field(default=10, metadata=env_var("WORKER_CONCURRENCY", low=1, high=500))
    # 0 = attempts run in-process, never killed
    wall_clock_limit: timedelta = field(
        default=timedelta(seconds=150), metadata=env_var("WALL_CLOCK_LIMIT_MS", low=0)
    )

    def __post_init__(self) -> None:
        check_limits(self, ServiceSettingsError)
        if self.retry_cap < self.retry_base:
            raise ServiceSettingsError(
                f"{env_var_of(QueueSettings, 'retry_cap').name} ({whole_ms(self.retry_cap)}) must not be "
                f"shorter than {env_var_of(QueueSettings, 'retry_base').name} ({whole_ms(self.retry_base)})"
            )


@dataclass(frozen=True)
class SignInLimits:
    """How many failed password sign-ins are allowed in a window before `/auth/v1/token`
    answers 429; 0 turns a limit off."""

    max_failures_per_email: int = field(
        default=5, metadata=env_var("SIGN_IN_MAX_FAILURES_PER_EMAIL", low=0, high=COUNT_MAX)
    )
    max_failures_per_address: int = field(
        default=20, metadata=env_var("SIGN_IN_MAX_FAILURES_PER_ADDRESS", low=0, high=COUNT_MAX)
    )
    window: timedelta = field(
        default=timedelta(minutes=5), metadata=env_var("SIGN_IN_FAILURE_WINDOW_MS", low=1)
    )

    def __post_init__(self) -> None:
        check_limits(self, ServiceSettingsError)


@dataclass(frozen=True)
class ServiceSettings:
    """Everything `plan-reference serve` needs besides the pipeline's DeepSeek settings."""

    database_url: str = field(repr=False, metadata=env_var("DATABASE_URL", required=True, secret=True))
    jwt_secret: str = field(
        default=LOCAL_DEFAULT_JWT_SECRET, repr=False, metadata=env_var("SUPABASE_JWT_SECRET", secret=True)
    )
    anon_key: str | None = field(default=None, repr=False, metadata=env_var("SUPABASE_ANON_KEY", secret=True))
    service_role_key: str | None = field(
        default=None, repr=False, metadata=env_var("SUPABASE_SERVICE_ROLE_KEY", secret=True)
    )
    public_url: str | None = field(default=None, metadata=env_var("SUPABASE_URL"))
    queue: QueueSettings = field(default_factory=QueueSettings)
    max_body_bytes: int = 64 * 1024
    # a body not fully received by then is answered 408
    body_read_timeout: timedelta = field(
        default=timedelta(seconds=15), metadata=env_var("BODY_READ_TIMEOUT_MS", low=1)
    )
    sign_in: SignInLimits = field(default_factory=SignInLimits)
    # scrypt's cost (log2 of N) for new password hashes; stored hashes keep their own
    password_hash_cost: int = field(
        default=14, metadata=env_var("AUTH_PASSWORD_HASH_COST", low=PASSWORD_HASH_COST_MIN, high=20)
    )
    log_level: str = field(default="INFO", metadata=env_var("LOG_LEVEL", choices=LOG_LEVELS))

    def __post_init__(self) -> None:
        check_limits(self, ServiceSettingsError)
        if len(self.jwt_secret) < JWT_SECRET_MIN_CHARS:
            raise ServiceSettingsError(
                f"SUPABASE_JWT_SECRET must be at least {JWT_SECRET_MIN_CHARS} characters long"
            )

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ServiceSettings:
        """The settings the environment gives; unset or blank variables keep their defaults."""
        return settings_from_env(cls, env, ServiceSettingsError)
