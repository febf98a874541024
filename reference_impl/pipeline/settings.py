"""The pipeline's configuration, read from the environment names of docs/contract.md
"Configuration"; each field names its variable (`reference_impl.env_settings`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from reference_impl.env_settings import check_limits, env_var, env_var_of, settings_from_env

DEFAULT_BASE_URL = "https://api.deepseek.com"
DEFAULT_MODEL = "deepseek-chat"


class SettingsError(ValueError):
    """A configuration value is malformed; the message names the variable, never a secret."""


@dataclass(frozen=True)
class PipelineSettings:
    """How one attempt talks to DeepSeek and how long it may take.

    A missing API key is not an error here: the attempt reports it as `CONFIG_ERROR`
    on the job (docs/contract.md "HTTP surface"), without any network call.
    """

    api_key: str | None = field(default=None, repr=False, metadata=env_var("DEEPSEEK_API_KEY", secret=True))
    base_url: str = field(default=DEFAULT_BASE_URL, metadata=env_var("DEEPSEEK_BASE_URL"))
    model: str = field(default=DEFAULT_MODEL, metadata=env_var("DEEPSEEK_MODEL"))
    # The whole attempt (both stages, retries and their waits) must end within this.
    # The default stays below the 150 s wall clock of a Free-plan Edge Function.
    attempt_timeout_ms: int = field(
        default=140_000, metadata=env_var("INTERNAL_TIMEOUT_MS", low=1, high=3_600_000)
    )
    # One HTTP request to DeepSeek, body included, must end within this.
    call_timeout_ms: int = field(
        default=120_000, metadata=env_var("DEEPSEEK_CALL_TIMEOUT_MS", low=1, high=3_600_000)
    )
    max_tokens: int = field(default=8192, metadata=env_var("DEEPSEEK_MAX_TOKENS", low=1, high=65_536))
    # How many times one call is repeated after a 429 or 503.
    in_call_retries: int = field(default=2, metadata=env_var("DEEPSEEK_IN_CALL_RETRIES", low=0, high=10))
    # First wait before repeating a 429/503 that has no Retry-After; doubles each time.
    retry_backoff_ms: int = field(
        default=500, metadata=env_var("DEEPSEEK_RETRY_BACKOFF_MS", low=0, high=600_000)
    )

    def __post_init__(self) -> None:
        check_limits(self, SettingsError)
        if not self.model.strip():
            raise SettingsError(f"{env_name_of('model')} must not be blank")
        _check_base_url(self.base_url)

    @property
    def has_api_key(self) -> bool:
        """Whether an API key is configured (a blank value counts as missing)."""
        return bool(self.api_key and self.api_key.strip())

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> PipelineSettings:
        """Build settings from environment variables; unset or blank names keep defaults."""
        return settings_from_env(cls, env, SettingsError)


def env_name_of(field_name: str) -> str:
    """The environment variable that sets the `PipelineSettings` field `field_name`."""
    return env_var_of(PipelineSettings, field_name).name


def _check_base_url(base_url: str) -> None:
    name = env_name_of("base_url")
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(f"{name} must be an http(s) URL with a host, got {base_url!r}")
    if parts.username or parts.password:
        raise SettingsError(f"{name} must not contain credentials")
    if parts.query or parts.fragment:
        raise SettingsError(f"{name} must not have a query or fragment, got {base_url!r}")
