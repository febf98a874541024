"""Capabilities: what a scenario may rely on where it runs, and why a missing one is missing.

http     an endpoint and the anon and service keys
db       SQL access to the target's database (a DSN)
clock    rows can be aged, so time can pass in a scenario (needs db)
faults   a fake DeepSeek the harness controls, which the target's DeepSeek base URL points at
workers  processes the harness started and may kill

They come from what the run has (options, environment, env file), never from a target's name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

CAPABILITIES = frozenset({"http", "db", "faults", "clock", "workers"})
ORDER = ("http", "db", "clock", "faults", "workers")


@dataclass(frozen=True)
class Capabilities:
    """The capabilities a run has, and for each one it lacks the reason why."""

    present: frozenset[str]
    missing_reasons: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        unknown = (self.present | set(self.missing_reasons)) - CAPABILITIES
        if unknown:
            raise ValueError(f"unknown capabilities {sorted(unknown)}; known: {sorted(CAPABILITIES)}")
        absent = CAPABILITIES - self.present
        if set(self.missing_reasons) != absent:
            raise ValueError(f"every missing capability needs a reason: {sorted(absent)}")

    @classmethod
    def of(cls, reasons_for_missing: Mapping[str, str | None]) -> Capabilities:
        """From every capability mapped to None (present) or the reason it is missing."""
        present = frozenset(name for name, reason in reasons_for_missing.items() if reason is None)
        missing = {name: reason for name, reason in reasons_for_missing.items() if reason is not None}
        return cls(present, MappingProxyType(missing))

    def has(self, capability: str) -> bool:
        return capability in self.present

    def lacks(self, needed: Iterable[str]) -> list[str]:
        return [name for name in ORDER if name in set(needed) - self.present]

    def skip_reason(self, target_label: str, needed: Iterable[str]) -> str | None:
        """`target url lacks workers (workers: ...)`, or None when nothing is missing."""
        missing = self.lacks(needed)
        if not missing:
            return None
        details = "; ".join(f"{name}: {self.missing_reasons[name]}" for name in missing)
        return f"target {target_label} lacks {', '.join(missing)} ({details})"

    def describe(self) -> str:
        """One line for the header: what is present, then what is missing and why."""
        present = ", ".join(name for name in ORDER if name in self.present)
        missing = "; ".join(
            f"{name} ({self.missing_reasons[name]})" for name in ORDER if name not in self.present
        )
        return f"{present}; lacks {missing}" if missing else f"{present} (all)"
