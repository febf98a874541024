"""Configuration of a fake server: start-up settings and the run-time settings."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

Quality = Literal["exact", "realistic"]


class RuntimeSettings(BaseModel):
    """What `/__admin/settings` reads and changes while the server runs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int = Field(default=0, description="seed of every hash-derived id, plan and random draw")
    latency_ms: float = Field(
        default=0.0, ge=0, le=600_000, description="delay added before every chat answer"
    )
    quality: Quality = Field(
        default="exact", description="`exact`: plans valid as sent; `realistic`: needs a fixer"
    )


class SettingsPatch(BaseModel):
    """A partial update of `RuntimeSettings`; unknown fields are refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int | None = None
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
    runtime: RuntimeSettings = RuntimeSettings()
    api_keys: tuple[SecretStr, ...] = Field(
        default=(), description="accepted Bearer keys; empty accepts any non-empty key"
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

    def accepts_key(self, key: str) -> bool:
        """Whether `key` is an accepted API key."""
        if not key:
            return False
        if not self.api_keys:
            return True
        return any(key == accepted.get_secret_value() for accepted in self.api_keys)
