"""Chaos (docs/chaos.md): about 100 jobs of users creating, regenerating, cancelling and reading
while a nemesis kills workers (kill -9), pauses them past the stuck threshold (stale workers),
restarts PostgreSQL and the fake DeepSeek, and switches fault rules; then the history and the
database are checked. Replay a failure with the same `--seed`."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harness import NEMESES, ChaosOutcome

pytestmark = [pytest.mark.needs("workers", "faults", "db"), pytest.mark.slow]


def test_chaos_keeps_every_invariant(chaos_run: Callable[..., ChaosOutcome]) -> None:
    outcome = chaos_run(jobs=100, duration_s=20, workers=3, settle_s=45)
    figures = outcome.summary.figures

    assert outcome.violations == 0, outcome.failures()
    assert outcome.result.valid is True, outcome.failures()
    # the nemesis really broke things, and the run really worked through them
    ran = set(outcome.summary.nemeses)
    assert {"kill", "pause", "fake-restart", "faults"} <= ran, outcome.summary.refused_nemeses
    assert ran <= set(NEMESES)
    assert sum(figures.nemesis_events.values()) >= 5, figures.nemesis_events
    assert figures.jobs_completed > 0 and figures.claims_seen >= figures.jobs_completed
    assert figures.job_requests > 50
