"""Targets and their capabilities: what a scenario may rely on where it runs.

http     the Supabase-compatible HTTP surface (always)
db       SQL access to the target's database
faults   the fake DeepSeek is under the harness's control
clock    rows can be aged (needs db)
workers  worker processes can be started, stopped and killed
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

CAPABILITIES = frozenset({"http", "db", "faults", "clock", "workers"})
TARGET_NAMES = ("local", "staging", "url")


@dataclass(frozen=True)
class Target:
    """A target's name, what it can do, and for each missing capability why not."""

    name: str
    capabilities: frozenset[str]
    missing_reasons: Mapping[str, str] = field(default_factory=dict)

    def lacks(self, needed: set[str] | frozenset[str]) -> list[str]:
        return sorted(needed - self.capabilities)

    def skip_reason(self, needed: set[str] | frozenset[str]) -> str | None:
        missing = self.lacks(needed)
        if not missing:
            return None
        details = "; ".join(
            f"{capability}: {self.missing_reasons.get(capability, 'not available')}" for capability in missing
        )
        return f"target {self.name} lacks {', '.join(missing)} ({details})"


def local_target() -> Target:
    return Target("local", CAPABILITIES)


def remote_target(name: str, *, has_database: bool) -> Target:
    capabilities = {"http"}
    reasons = {
        "faults": "the harness does not control the target's DeepSeek",
        "workers": "the platform runs the workers; the harness cannot kill them",
    }
    if has_database:
        capabilities |= {"db", "clock"}
    else:
        reasons["db"] = "no DATABASE_URL given"
        reasons["clock"] = "ageing rows needs DATABASE_URL"
    return Target(name, frozenset(capabilities), reasons)
