"""Configuration of a fake server: start-up settings and the run-time settings."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

Quality = Literal["exact", "realistic"]
ADMIN_TOKEN_MIN_CHARS = 16


def is_loopback_host(host: str) -> bool:
    """Whether `host` names only this machine: `localhost`, 127.0.0.0/8 or ::1."""
    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def same_secret(given: str, expected: SecretStr) -> bool:
    """Constant-time comparison (of digests, so neither content nor length leaks by timing)."""
    return hmac.compare_digest(
        hashlib.sha256(given.encode("utf-8", "surrogatepass")).digest(),
        hashlib.sha256(expected.get_secret_value().encode("utf-8", "surrogatepass")).digest(),
    )


def admin_token_problem(token: str) -> str | None:
    """Why `token` cannot be an admin token (never quoting it), or None when it can."""
    if len(token) < ADMIN_TOKEN_MIN_CHARS:
        return f"too short: an admin token needs at least {ADMIN_TOKEN_MIN_CHARS} characters"
    if not (token.isascii() and token.isprintable()) or " " in token:
        return "an admin token must be printable ASCII without spaces"
    return None


class RuntimeSettings(BaseModel):
    """What `/__admin/settings` reads and changes while the server runs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int = Field(
        default=0,
        ge=-(2**63),
        le=2**63 - 1,
        description="seed of every hash-derived id, plan and random draw (a signed 64-bit integer)",
    )
    latency_ms: float = Field(
        default=0.0, ge=0, le=600_000, description="delay added before every chat answer"
    )
    quality: Quality = Field(
        default="exact", description="`exact`: plans valid as sent; `realistic`: needs a fixer"
    )


class SettingsPatch(BaseModel):
    """A partial update of `RuntimeSettings`; unknown fields are refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int | None = Field(default=None, ge=-(2**63), le=2**63 - 1)
    latency_ms: float | None = Field(default=None, ge=0, le=600_000)
    quality: Quality | None = None

    def apply(self, current: RuntimeSettings) -> RuntimeSettings:
        """Return `current` with the fields this patch sets replaced."""
        return current.model_copy(update=self.model_dump(exclude_none=True))


class ServerSettings(BaseModel):
    """Everything a fake DeepSeek server is started with."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=0, ge=0, le=65535, description="0 picks a free port")
    listen_fd: int | None = Field(
        default=None,
        ge=0,
        description="a listening socket inherited from the parent (bound to host) to serve on instead of "
        "binding host:port; the parent knows the URL before the fake has started",
    )
    runtime: RuntimeSettings = RuntimeSettings()
    api_keys: tuple[SecretStr, ...] = Field(
        default=(), description="accepted Bearer keys; empty accepts any non-empty key"
    )
    admin_token: SecretStr | None = Field(
        default=None,
        description="Bearer token every `/__admin` call must send; without one, loopback only",
    )
    chat_body_limit_bytes: int = Field(
        default=1024 * 1024, ge=1, description="largest chat request body (413 past it)"
    )
    admin_body_limit_bytes: int = Field(
        default=64 * 1024, ge=1, description="largest admin request body (413 past it)"
    )
    preset: str | None = Field(default=None, description="preset whose rules are loaded at start")
    faults_file: Path | None = Field(default=None, description="YAML/JSON rules loaded at start")
    journal_limit: int = Field(default=10_000, ge=1, description="newest calls the journal keeps")
    stream_chunk_chars: int = Field(
        default=48, ge=1, description="characters of content per SSE chunk"
    )
    render_cache_size: int = Field(
        default=256, ge=0, description="rendered answers kept for identical requests"
    )
    shutdown_timeout_s: float = Field(default=5.0, gt=0)

    @field_validator("admin_token")
    @classmethod
    def _usable_token(cls, token: SecretStr | None) -> SecretStr | None:
        if token is not None and (problem := admin_token_problem(token.get_secret_value())):
            raise ValueError(problem)
        return token

    @model_validator(mode="after")
    def _loopback_without_token(self) -> Self:
        if self.admin_token is None and not is_loopback_host(self.host):
            raise ValueError(
                f"host {self.host!r} is not a loopback address: serving beyond loopback needs "
                "an admin token (the admin API can reconfigure the fake)"
            )
        return self

    def accepts_key(self, key: str) -> bool:
        """Whether `key` is an accepted API key."""
        if not key:
            return False
        if not self.api_keys:
            return True
        return any(same_secret(key, accepted) for accepted in self.api_keys)
