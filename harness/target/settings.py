"""The service settings scenarios reason about, known for the local stack and read for others.

A scenario that checks a deadline needs the target's `INTERNAL_TIMEOUT_MS`; one that counts
in-call retries needs `DEEPSEEK_IN_CALL_RETRIES`; one that times the backoff between attempts
needs `PLAN_JOB_RETRY_BASE_MS` and `PLAN_JOB_RETRY_CAP_MS`. The local stack knows them (it configures
its service); for a deployed target they come from the environment or the `--env-file`, under
the same names the functions read, so a team can pass its functions' own `.env`. A setting
nobody gave is unknown, and the scenarios that need it are skipped with that reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

from harness.errors import TargetSetupError

ENV_NAMES: Mapping[str, str] = {
    "attempt_deadline_ms": "INTERNAL_TIMEOUT_MS",
    "max_retries": "PLAN_JOB_MAX_RETRIES",
    "in_call_retries": "DEEPSEEK_IN_CALL_RETRIES",
    "retry_base_ms": "PLAN_JOB_RETRY_BASE_MS",
    "retry_cap_ms": "PLAN_JOB_RETRY_CAP_MS",
}
_LIMITS: Mapping[str, tuple[int, int]] = {
    "attempt_deadline_ms": (1, 3_600_000),
    "max_retries": (1, 20),
    "in_call_retries": (0, 20),
    "retry_base_ms": (1, 86_400_000),
    "retry_cap_ms": (1, 86_400_000),
}


@dataclass(frozen=True)
class TargetSettings:
    """Each field None when the target's value is not known."""

    attempt_deadline_ms: int | None = None
    max_retries: int | None = None
    in_call_retries: int | None = None
    retry_base_ms: int | None = None
    retry_cap_ms: int | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> TargetSettings:
        values: dict[str, int | None] = {}
        for name, variable in ENV_NAMES.items():
            raw = env.get(variable, "").strip()
            if not raw:
                values[name] = None
                continue
            low, high = _LIMITS[name]
            try:
                value = int(raw)
            except ValueError:
                raise TargetSetupError(f"{variable} must be a whole number, got {raw!r}") from None
            if not low <= value <= high:
                raise TargetSetupError(f"{variable} must be from {low} to {high}, got {value}")
            values[name] = value
        return cls(**values)

    def describe(self) -> str:
        parts = []
        for item in fields(self):
            value = getattr(self, item.name)
            parts.append(f"{ENV_NAMES[item.name]}={value if value is not None else 'unknown'}")
        return ", ".join(parts)

    def missing_reason(self, name: str) -> str | None:
        """Why a scenario needing this setting cannot run, or None when it is known."""
        if getattr(self, name) is not None:
            return None
        return (
            f"the target's {ENV_NAMES[name]} is not known; give it in the environment or the "
            "--env-file (the value the target's functions run with)"
        )
