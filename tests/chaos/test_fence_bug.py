"""A whole chaos run catches a real planted bug: with a fence that checks the job's status but
not the claim token, a paused worker that wakes after its attempt was recovered and claimed
again gets its result accepted; the run reports late writes accepted. The same run on the
reference migrations reports none (the control)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.chaos import ChaosSettings, LocalChaosStack, run_chaos
from harness.db.migrations import MigrationSet, reference_migrations_dir
from harness.db.providers import DatabaseRequest
from tests.selfcheck.mutants import FUNCTIONS, Edit, Mutant

pytestmark = pytest.mark.slow

FENCE_IGNORES_THE_TOKEN = Mutant(
    name="fence_ignores_the_token",
    description="complete/fail check that the job is processing, not that the caller holds it",
    edits=(
        Edit(
            FUNCTIONS,
            "if v_job.status <> 'processing' or v_job.claim_token is distinct from p_claim_token then",
            "if v_job.status <> 'processing' then",
        ),
    ),
    caught_by=(),
)
# Only pauses, longer than the stuck threshold most of the time. Every DeepSeek call takes 800 ms,
# so every attempt runs into its 1.5 s deadline: a paused worker nearly always holds one, and
# after its recovery the job is held by the next attempts for seconds, while the paused worker
# wakes up and writes (with this seed, about ten such writes a run). The deadlines are this
# test's own: with the local stack's shorter ones (docs/decisions.md H30) the next attempts
# end, and the job with them, before the paused worker wakes.
SETTINGS = ChaosSettings(seed=5, duration_s=20, jobs=80, workers=3, nemeses=("pause",), settle_s=30)
FAKE_LATENCY_MS = 800
ATTEMPTS_HOLD_THE_JOB = {
    "INTERNAL_TIMEOUT_MS": "1500",
    "DEEPSEEK_CALL_TIMEOUT_MS": "1200",
    "PLAN_JOB_RETRY_BASE_MS": "100",
    "PLAN_JOB_RETRY_CAP_MS": "800",
}


@pytest.mark.parametrize("planted", [False, True], ids=["reference", "fence_ignores_the_token"])
def test_a_chaos_run_reports_late_writes_only_when_the_fence_is_broken(planted: bool, tmp_path: Path) -> None:
    migrations = MigrationSet.reference()
    if planted:
        FENCE_IGNORES_THE_TOKEN.write(reference_migrations_dir(), tmp_path / "migrations")
        migrations = MigrationSet.from_folder(tmp_path / "migrations", label="fence_ignores_the_token")
    stack = LocalChaosStack(
        database=DatabaseRequest(spec="embedded"),
        migrations=migrations,
        workers=SETTINGS.workers,
        stuck_after_ms=SETTINGS.stuck_after_ms,
        seed=SETTINGS.seed,
        workdir=tmp_path / "stack",
        service_settings=ATTEMPTS_HOLD_THE_JOB,
    )
    with stack:
        stack.start()
        with stack.fake_control() as fake:
            fake.settings(latency_ms=FAKE_LATENCY_MS)
        outcome = run_chaos(SETTINGS, stack, tmp_path / "run", name="fence", replay="", say=lambda _: None)

    figures = outcome.summary.figures
    assert figures.nemesis_events.get("pause", 0) >= 3
    if planted:
        assert figures.late_writes_accepted > 0, outcome.result.details["late_writes_refused"]
        assert outcome.result.valid is False
    else:
        assert outcome.violations == 0, outcome.failures()
        assert figures.late_writes_refused > 0  # the stale workers were there, and were refused
