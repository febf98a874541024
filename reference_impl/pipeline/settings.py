"""The pipeline's configuration, read from the environment names of docs/contract.md "Configuration"."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any
from urllib.parse import urlsplit

DEFAULT_BASE_URL = "https://api.deepseek.com"
DEFAULT_MODEL = "deepseek-chat"


class SettingsError(ValueError):
    """A configuration value is malformed; the message names the variable, never a secret."""


def _env_name(name: str) -> dict[str, object]:
    return {"env": name}


@dataclass(frozen=True)
class PipelineSettings:
    """How one attempt talks to DeepSeek and how long it may take.

    A missing API key is not an error here: the attempt reports it as `CONFIG_ERROR`
    on the job (docs/contract.md "HTTP surface"), without any network call.
    """

    api_key: str | None = field(default=None, repr=False, metadata=_env_name("DEEPSEEK_API_KEY"))
    base_url: str = field(default=DEFAULT_BASE_URL, metadata=_env_name("DEEPSEEK_BASE_URL"))
    model: str = field(default=DEFAULT_MODEL, metadata=_env_name("DEEPSEEK_MODEL"))
    # The whole attempt (both stages, retries and their waits) must end within this.
    # The default stays below the 150 s wall clock of a Free-plan Edge Function.
    attempt_timeout_ms: int = field(default=140_000, metadata=_env_name("INTERNAL_TIMEOUT_MS"))
    # One HTTP request to DeepSeek, body included, must end within this.
    call_timeout_ms: int = field(default=120_000, metadata=_env_name("DEEPSEEK_CALL_TIMEOUT_MS"))
    max_tokens: int = field(default=8192, metadata=_env_name("DEEPSEEK_MAX_TOKENS"))
    # How many times one call is repeated after a 429 or 503.
    in_call_retries: int = field(default=2, metadata=_env_name("DEEPSEEK_IN_CALL_RETRIES"))
    # First wait before repeating a 429/503 that has no Retry-After; doubles each time.
    retry_backoff_ms: int = field(default=500, metadata=_env_name("DEEPSEEK_RETRY_BACKOFF_MS"))

    def __post_init__(self) -> None:
        _check_range(self, "attempt_timeout_ms", 1, 3_600_000)
        _check_range(self, "call_timeout_ms", 1, 3_600_000)
        _check_range(self, "max_tokens", 1, 65_536)
        _check_range(self, "in_call_retries", 0, 10)
        _check_range(self, "retry_backoff_ms", 0, 600_000)
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
        values: dict[str, Any] = {}
        for settings_field in fields(cls):
            name = env_name_of(settings_field.name)
            raw = env.get(name, "").strip()
            if not raw:
                continue
            if isinstance(settings_field.default, int):
                values[settings_field.name] = _parse_int(name, raw)
            else:
                values[settings_field.name] = raw
        return replace(cls(), **values)


def env_name_of(field_name: str) -> str:
    """The environment variable that sets the `PipelineSettings` field `field_name`."""
    for settings_field in fields(PipelineSettings):
        if settings_field.name == field_name:
            return str(settings_field.metadata["env"])
    raise KeyError(field_name)


def _parse_int(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None


def _check_range(settings: PipelineSettings, field_name: str, low: int, high: int) -> None:
    value = getattr(settings, field_name)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SettingsError(
            f"{env_name_of(field_name)} must be a whole number from {low} to {high}, got {value!r}"
        )


def _check_base_url(base_url: str) -> None:
    name = env_name_of("base_url")
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(f"{name} must be an http(s) URL with a host, got {base_url!r}")
    if parts.username or parts.password:
        raise SettingsError(f"{name} must not contain credentials")
    if parts.query or parts.fragment:
        raise SettingsError(f"{name} must not have a query or fragment, got {base_url!r}")
