"""Chaos runs (`plan-chaos`, docs/chaos.md): a seeded workload against a target while a nemesis
kills, pauses and restarts its parts, recorded as a Jepsen-style history and then checked.

    settings     ChaosSettings: seed, duration, jobs, users, workers, nemeses, bounds
    schedule     the seeded schedule of user operations and nemesis events (replayable)
    targets      LocalChaosStack (its own stack: every nemesis), DeployedChaosTarget
    workload     the users: create, regenerate, cancel and read over HTTP
    nemesis      kill -9, SIGSTOP/SIGCONT, PostgreSQL and fake restarts, fault rules
    observer     claims and status changes as the database shows them; the final rows
    evidence     accepted and refused results from the service's log
    figures      the checkers, the figures, the timeline
    runner       one run, start to verdict; cli: `plan-chaos`
"""

from __future__ import annotations

from harness.chaos.runner import ChaosOutcome, run_chaos
from harness.chaos.settings import NEMESES, ChaosSettings, ChaosSettingsError
from harness.chaos.targets import ChaosTarget, DeployedChaosTarget, LocalChaosStack

__all__ = [
    "NEMESES",
    "ChaosOutcome",
    "ChaosSettings",
    "ChaosSettingsError",
    "ChaosTarget",
    "DeployedChaosTarget",
    "LocalChaosStack",
    "run_chaos",
]
