"""The service settings scenarios reason about, known for the local stack and read for others.

A scenario that checks a deadline needs the target's `INTERNAL_TIMEOUT_MS`; one that counts
in-call retries needs `DEEPSEEK_IN_CALL_RETRIES`; one that times the backoff between attempts
needs `PLAN_JOB_RETRY_BASE_MS` and `PLAN_JOB_RETRY_CAP_MS`; the local stack starts as many
fault jobs ahead as its `WORKER_CONCURRENCY` (harness.jobs_ahead). The local stack knows them
(it configures its service); for a deployed target they come from the environment or the `--env-file`, under
the same names the functions read, so a team can pass its functions' own `.env`. A setting
nobody gave is unknown, and the scenarios that need it are skipped with that reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields

from harness.errors import TargetSetupError

DAY_MS = 86_400_000


@dataclass(frozen=True)
class SettingVar:
    """The environment variable a target setting is read from and the values it may take."""

    name: str
    low: int
    high: int


def _read_from(name: str, low: int, high: int) -> dict[str, SettingVar]:
    return {"env": SettingVar(name, low, high)}


@dataclass(frozen=True)
class TargetSettings:
    """Each field None when the target's value is not known; each names its variable."""

    attempt_deadline_ms: int | None = field(
        default=None, metadata=_read_from("INTERNAL_TIMEOUT_MS", 1, 3_600_000)
    )
    max_retries: int | None = field(default=None, metadata=_read_from("PLAN_JOB_MAX_RETRIES", 1, 20))
    in_call_retries: int | None = field(default=None, metadata=_read_from("DEEPSEEK_IN_CALL_RETRIES", 0, 20))
    retry_base_ms: int | None = field(default=None, metadata=_read_from("PLAN_JOB_RETRY_BASE_MS", 1, DAY_MS))
    retry_cap_ms: int | None = field(default=None, metadata=_read_from("PLAN_JOB_RETRY_CAP_MS", 1, DAY_MS))
    worker_concurrency: int | None = field(default=None, metadata=_read_from("WORKER_CONCURRENCY", 1, 500))

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> TargetSettings:
        values: dict[str, int | None] = {}
        for item in fields(cls):
            variable: SettingVar = item.metadata["env"]
            raw = env.get(variable.name, "").strip()
            if not raw:
                continue
            try:
                value = int(raw)
            except ValueError:
                raise TargetSetupError(f"{variable.name} must be a whole number, got {raw!r}") from None
            if not variable.low <= value <= variable.high:
                raise TargetSetupError(
                    f"{variable.name} must be from {variable.low} to {variable.high}, got {value}"
                )
            values[item.name] = value
        return cls(**values)

    @classmethod
    def env_names(cls) -> tuple[str, ...]:
        """The variables the settings are read from."""
        return tuple(_env_name(item.name) for item in fields(cls))

    def describe(self) -> str:
        parts = []
        for item in fields(self):
            value = getattr(self, item.name)
            parts.append(f"{_env_name(item.name)}={value if value is not None else 'unknown'}")
        return ", ".join(parts)

    def missing_reason(self, name: str) -> str | None:
        """Why a scenario needing this setting cannot run, or None when it is known."""
        if getattr(self, name) is not None:
            return None
        return (
            f"the target's {_env_name(name)} is not known; give it in the environment or the "
            "--env-file (the value the target's functions run with)"
        )


def _env_name(field_name: str) -> str:
    variable: SettingVar = next(
        item.metadata["env"] for item in fields(TargetSettings) if item.name == field_name
    )
    return variable.name
