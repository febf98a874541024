"""Concurrency (docs/contract.md "Functions"): claimers on separate connections never share an
attempt, and a claim never waits for a job another transaction holds (`FOR UPDATE SKIP LOCKED`).

8 claimers work through 200 jobs (one per user, max_retries 3); job number n fails its
first n % 4 attempts (so some complete at once, some after re-queues, some fail for
good), and re-queued jobs are re-claimed (after a backoff of milliseconds) while others
are being claimed. Afterwards every attempt was claimed exactly once and every job ended
terminal with exactly as many claims as its history says.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

import pytest

from harness import Backoff, Caller, QueueDatabase, Row, as_caller

CLAIMERS = 8
JOBS = 200
MAX_RETRIES = 3
DEADLINE_SECONDS = 60.0
# re-queued jobs come due again within milliseconds, while other jobs are being claimed
RETRY_BACKOFF = Backoff(base=timedelta(milliseconds=2), cap=timedelta(milliseconds=20))


@dataclass(frozen=True)
class Claim:
    job_id: str
    attempt: int
    token: str
    worker: str


def _claimer(
    queue_db: QueueDatabase,
    name: str,
    start: threading.Barrier,
    failing_attempts: dict[str, int],
    claims: list[Claim],
    errors: list[BaseException],
) -> None:
    service = Caller.service()
    try:
        with queue_db.connect() as conn:
            start.wait()
            deadline = time.monotonic() + DEADLINE_SECONDS
            while time.monotonic() < deadline:
                with as_caller(conn, service) as tx:
                    row: Row | None = tx.execute(
                        "select * from public.claim_next_plan_job(p_worker_id => %s)", (name,)
                    ).fetchone()
                if row is None:
                    with as_caller(conn, service) as tx:
                        active = tx.execute(
                            "select count(*) as n from public.plan_generation_jobs"
                            " where status in ('pending', 'processing')"
                        ).fetchone()
                    if active is not None and active["n"] == 0:
                        return
                    time.sleep(0.002)
                    continue
                attempt = row["retry_count"] + 1
                claims.append(Claim(str(row["id"]), attempt, str(row["claim_token"]), name))
                with as_caller(conn, service) as tx:
                    if attempt <= failing_attempts[str(row["id"])]:
                        tx.execute(
                            "select * from public.fail_plan_job(p_job_id => %s, p_claim_token => %s,"
                            " p_error_code => 'AI_UPSTREAM_ERROR', p_error_message => 'injected',"
                            " p_retry_base => %s, p_retry_cap => %s)",
                            (row["id"], row["claim_token"], RETRY_BACKOFF.base, RETRY_BACKOFF.cap),
                        )
                    else:
                        tx.execute(
                            "select * from public.complete_plan_job(p_job_id => %s,"
                            " p_claim_token => %s, p_plan => %s::jsonb)",
                            (row["id"], row["claim_token"], f'{{"label": "{row["id"]}"}}'),
                        )
    except BaseException as error:  # reported by the test, not lost in the thread
        errors.append(error)


def test_eight_claimers_over_two_hundred_jobs_claim_every_attempt_exactly_once(
    queue_db: QueueDatabase,
) -> None:
    failing_attempts = {
        str(queue_db.insert_job(queue_db.create_user(), max_retries=MAX_RETRIES)["id"]): n % 4
        for n in range(JOBS)
    }
    claims: list[Claim] = []
    errors: list[BaseException] = []
    start = threading.Barrier(CLAIMERS)
    threads = [
        threading.Thread(
            target=_claimer,
            args=(queue_db, f"claimer-{n}", start, failing_attempts, claims, errors),
        )
        for n in range(CLAIMERS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(DEADLINE_SECONDS + 10)

    assert errors == []
    assert not any(thread.is_alive() for thread in threads), "claimers did not finish in time"
    per_attempt = Counter((claim.job_id, claim.attempt) for claim in claims)
    assert [key for key, n in per_attempt.items() if n > 1] == [], "an attempt was claimed twice"
    assert len({claim.token for claim in claims}) == len(claims), "a claim token was reused"

    jobs = {str(job["id"]): job for job in queue_db.jobs()}
    assert len(jobs) == JOBS
    claims_per_job = Counter(claim.job_id for claim in claims)
    plans_per_job = Counter(str(plan["job_id"]) for plan in queue_db.plans())
    for job_id, job in jobs.items():
        failures = min(failing_attempts[job_id], MAX_RETRIES)
        expected_status = "failed" if failures == MAX_RETRIES else "completed"
        assert (job["status"], job["retry_count"]) == (expected_status, failures), job_id
        assert claims_per_job[job_id] == min(failures + 1, MAX_RETRIES)
        assert plans_per_job[job_id] == (1 if expected_status == "completed" else 0)
        # each failed attempt is recorded under the claimer that held it
        failed_claims = sorted((c.attempt, c.worker) for c in claims if c.job_id == job_id)[:failures]
        assert [(entry["attempt"], entry["worker"]) for entry in job["errors"]] == failed_claims, job_id


@pytest.mark.parametrize("batch", [False, True], ids=["claim_next_plan_job", "claim_next_plan_jobs"])
def test_a_claim_passes_over_a_job_another_transaction_holds(queue_db: QueueDatabase, batch: bool) -> None:
    """A claimer whose transaction is still open holds the oldest job; another claim takes
    the next one at once. A claim that waited instead would hit the scenario connection's
    lock timeout, whose error names both statements."""
    held_job = queue_db.insert_job(queue_db.create_user(), created_ago=timedelta(minutes=2))
    free_job = queue_db.insert_job(queue_db.create_user(), created_ago=timedelta(minutes=1))
    service = Caller.service()
    with queue_db.connect() as conn, as_caller(conn, service) as holder:
        held = holder.execute("select * from public.claim_next_plan_job(p_worker_id => 'holder')").fetchone()
        assert held is not None and held["id"] == held_job["id"]
        if batch:
            claimed = queue_db.rpc_rows(service, "claim_next_plan_jobs", p_worker_id="claimer", p_limit=5)
        else:
            claimed = queue_db.rpc_rows(service, "claim_next_plan_job", p_worker_id="claimer")

    assert [row["id"] for row in claimed] == [free_job["id"]]
