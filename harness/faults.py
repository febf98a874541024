"""The fake DeepSeek as one scenario drives it, and the check that the target really uses it.

`ScenarioFake` is what the `fake_llm` fixture gives a scenario: rules it adds and presets it
loads (for its own users) are undone when the scenario ends, so scenarios on other xdist
workers sharing the same fake never see them; journal queries are by user, so they only see
their own calls. It changes nothing global: a scenario that wants realistic answers adds an
`answer` rule with that quality for its users.

`probe_fault_path` proves that a target's DeepSeek calls arrive at the fake: one throw-away
user's job must produce a call in the fake's journal. A deployment whose DEEPSEEK_BASE_URL
points elsewhere is caught before any fault scenario misreads it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fake_llm.control import FakeLLMControl
from fake_llm.journal import JournalEntry
from fake_llm.presets import load_preset
from harness.client import PlanJobs, SupabaseHttp
from harness.poller import TERMINAL_STATUSES, PollPolicy


class ScenarioFake:
    """Rules and presets of one scenario, undone by `undo()`."""

    def __init__(self, control: FakeLLMControl) -> None:
        self._control = control
        self._rule_ids: list[str] = []

    def add_fault(self, rule: Mapping[str, Any]) -> str:
        rule_id = self._control.add_fault(rule)
        self._rule_ids.append(rule_id)
        return rule_id

    def load_preset(self, name: str, *, users: Sequence[str]) -> list[str]:
        """The preset's rules, each scoped to every one of `users`."""
        if not users:
            raise ValueError("load_preset needs the users it applies to")
        added = []
        for rule in load_preset(name).rules:
            definition = rule.model_dump(mode="json", exclude_none=True)
            for user in users:
                added.append(
                    self.add_fault({**definition, "match": {**definition.get("match", {}), "user": user}})
                )
        return added

    def count(self, **wanted: Any) -> int:
        return self._control.count(**wanted)

    def journal(self, **wanted: Any) -> list[JournalEntry]:
        return self._control.journal(**wanted)

    def undo(self) -> None:
        for rule_id in reversed(self._rule_ids):
            self._control.delete_fault(rule_id)
        self._rule_ids.clear()


def probe_fault_path(
    wire: SupabaseHttp,
    control: FakeLLMControl,
    profile: Mapping[str, Any],
    policy: PollPolicy,
    fake_url: str,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> str | None:
    """None when a job of a new user produced a call at the fake; else the one-line reason."""
    session = wire.new_session()
    try:
        jobs = PlanJobs(wire, session)
        job_id = jobs.create_job_id(profile)
        max_wait_s = (policy.max_wait_ms or 60_000) / 1000
        deadline = clock() + max_wait_s
        interval_s = policy.initial_interval_ms / 1000
        while True:
            if control.count(user=session.user_id) > 0:
                return None
            job = jobs.get_job(job_id)
            if job is not None and job.status in TERMINAL_STATUSES:
                if control.count(user=session.user_id) > 0:
                    return None
                return (
                    f"the target's DeepSeek base URL is not the fake at {fake_url}: a probe job ended "
                    f"{job.status} ({job.error_code or 'no error code'}) with no call reaching the fake; "
                    "point the target's DEEPSEEK_BASE_URL at it"
                )
            if clock() >= deadline:
                return (
                    f"the target's DeepSeek base URL is not the fake at {fake_url}: no call of a probe job "
                    f"reached it within {max_wait_s:.0f} s (or nothing processed the job; is the target's "
                    "queue scheduled?)"
                )
            sleep(interval_s)
            interval_s = min(interval_s * policy.backoff_factor, policy.max_interval_ms / 1000)
    finally:
        wire.delete_user(session.user_id)
