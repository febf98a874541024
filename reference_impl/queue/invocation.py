"""One invocation of process-plan-queue: recovery pass, then claim and run up to maxJobs.

`claim_invocation` returns once the invocation's jobs are claimed, its attempts running,
so the background loop can start the next invocation's claims while they run (each
waiting for a free attempt slot); `run_invocation` also waits for the attempts.

Each claimed job gets one attempt. Whatever happens in it, the job leaves through
`complete_plan_job` or `fail_plan_job` (a `finally`-style guarantee), except when the
process itself dies: then the job stays `processing` for stuck recovery, as on the
platform. A failure passes the backoff settings and the wait DeepSeek asked for, so the
next attempt is scheduled after both (docs/contract.md, backoff). A result refused with
PT409 (the attempt was recovered or cancelled meanwhile) is dropped and logged, never
retried.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from pgcaller import Caller
from reference_impl.database import Database
from reference_impl.logs import log_transition
from reference_impl.pipeline import json_codec
from reference_impl.pipeline.attempt import run_attempt
from reference_impl.pipeline.errors import ErrorCode, PipelineError
from reference_impl.pipeline.settings import PipelineSettings
from reference_impl.queue.http_clients import DeepSeekClients
from reference_impl.queue.outcome import InvocationOutcome, ProcessedJob
from reference_impl.settings import QueueSettings

logger = logging.getLogger(__name__)
SERVICE = Caller.service()
MAX_BATCH_CLAIM = 100  # claim_next_plan_jobs's p_limit bound (docs/contract.md)


@dataclass(frozen=True)
class WorkerContext:
    """What an invocation needs: the database, the HTTP client for DeepSeek, settings."""

    database: Database
    # the recovery pass and the claims, on connections of their own: a slot freed while
    # the attempts' completions queue for `database` claims its next job at once
    # (docs/decisions.md S8)
    claims: Database
    http: DeepSeekClients
    pipeline: PipelineSettings
    queue: QueueSettings
    worker_id: str
    # attempts in flight in this process, over all invocations: WORKER_CONCURRENCY
    slots: asyncio.Semaphore


@dataclass(frozen=True)
class ClaimedInvocation:
    """An invocation whose jobs are all claimed and whose attempts are running."""

    recovered_stuck: int
    recovered_stale: int
    attempts: tuple[asyncio.Task[ProcessedJob], ...]
    killed: bool = False

    @property
    def claimed(self) -> int:
        return len(self.attempts)

    async def outcome(self) -> InvocationOutcome:
        """Waits for every attempt of the invocation."""
        processed = await asyncio.gather(*self.attempts)
        return InvocationOutcome(
            recovered_stuck=self.recovered_stuck,
            recovered_stale=self.recovered_stale,
            processed=tuple(processed),
            claimed=self.claimed,
        )


async def run_invocation(context: WorkerContext, max_jobs: int) -> InvocationOutcome:
    """One whole invocation: recovery, claims, and every attempt's end."""
    claimed = await claim_invocation(context, max_jobs)
    return await claimed.outcome()


async def claim_invocation(context: WorkerContext, max_jobs: int) -> ClaimedInvocation:
    """Recovery pass, then claim up to `max_jobs` jobs as attempt slots free up; returns
    once the last is claimed (or the queue is empty), with the attempts running.

    A job is claimed only when an attempt slot is free, so no attempt's deadline runs
    while it waits for a connection; each attempt starts as soon as its job is claimed.
    When several slots are free at once they are filled with one batch claim.
    """
    queue = context.queue
    stuck = await _scalar(
        context,
        "select public.reset_stuck_plan_jobs(p_stuck_after => %s, p_retry_base => %s, p_retry_cap => %s)",
        (queue.stuck_after, queue.retry_base, queue.retry_cap),
    )
    stale = await _scalar(
        context, "select public.expire_stale_pending_jobs(%s)", (context.queue.stale_pending_after,)
    )
    if stuck or stale:
        logger.info("recovery pass", extra={"event": "queue.recovered", "stuck": stuck, "stale": stale})
    attempts: list[asyncio.Task[ProcessedJob]] = []
    try:
        while len(attempts) < max_jobs:
            wanted = await _free_slots(context.slots, min(max_jobs - len(attempts), MAX_BATCH_CLAIM))
            try:
                rows = await _claim(context, wanted)
            except BaseException:
                for _ in range(wanted):
                    context.slots.release()
                raise
            for _ in range(wanted - len(rows)):
                context.slots.release()
            for row in rows:
                log_transition("job.claimed", row, worker=context.worker_id)
                attempts.append(asyncio.create_task(_attempt_in_slot(context, dict(row))))
            if len(rows) < wanted:
                break
    except BaseException:
        await asyncio.gather(*attempts, return_exceptions=True)  # the claimed jobs still end
        raise
    return ClaimedInvocation(stuck, stale, tuple(attempts))


async def _free_slots(slots: asyncio.Semaphore, most: int) -> int:
    """Waits for one attempt slot, then takes the others free right now (up to `most`)."""
    await slots.acquire()
    taken = 1
    while taken < most and not slots.locked():
        await slots.acquire()  # free: returns at once
        taken += 1
    return taken


async def _claim(context: WorkerContext, count: int) -> list[dict[str, Any]]:
    if count == 1:
        row = await context.claims.fetch_one(
            SERVICE, "select * from public.claim_next_plan_job(%s)", (context.worker_id,)
        )
        return [dict(row)] if row is not None else []
    rows = await context.claims.fetch_all(
        SERVICE, "select * from public.claim_next_plan_jobs(%s, %s)", (context.worker_id, count)
    )
    return [dict(row) for row in rows]


async def _attempt_in_slot(context: WorkerContext, job: dict[str, Any]) -> ProcessedJob:
    """One attempt holding a slot; a failure of the bookkeeping itself is logged, and the
    job is left `processing` for stuck recovery, without losing the other results."""
    started = time.monotonic()
    try:
        return await process_claimed_job(context, job)
    except Exception:
        logger.exception(
            "the attempt's outcome could not be recorded; the job stays processing for stuck recovery",
            extra={"event": "job.outcome_unrecorded", "jobId": str(job["id"])},
        )
        return ProcessedJob(str(job["id"]), "processing", None, job["retry_count"], _ms(started))
    finally:
        context.slots.release()


async def process_claimed_job(context: WorkerContext, job: dict[str, Any]) -> ProcessedJob:
    """One attempt for a claimed job, ending in complete_plan_job or fail_plan_job."""
    started = time.monotonic()
    try:
        with context.http.lease() as client:
            result = await run_attempt(job["id"], job["user_id"], job["input"], client, context.pipeline)
    except PipelineError as error:
        return await _fail(context, job, error, started)
    except Exception as error:  # run_attempt wraps its own; this is a guard for the unforeseen
        return await _fail(context, job, _unexpected(error), started)
    try:
        row = await context.database.fetch_one(
            SERVICE,
            "select * from public.complete_plan_job(%s, %s, %s)",
            (job["id"], job["claim_token"], Jsonb(result.plan, dumps=json_codec.dumps)),
        )
    except psycopg.Error as error:
        if error.sqlstate == "PT409":
            return await _dropped(
                context, job, started, "completion refused: the attempt was recovered or cancelled"
            )
        return await _fail(context, job, _unexpected(error), started)
    assert row is not None
    log_transition(
        "job.completed", row, worker=context.worker_id, attempt_ms=_ms(started), fixes=list(result.fixes)
    )
    return ProcessedJob(str(row["id"]), row["status"], None, row["retry_count"], _ms(started))


async def _fail(
    context: WorkerContext, job: dict[str, Any], error: PipelineError, started: float
) -> ProcessedJob:
    try:
        row = await context.database.fetch_one(
            SERVICE,
            "select * from public.fail_plan_job(p_job_id => %s, p_claim_token => %s, p_error_code => %s,"
            " p_error_message => %s, p_retryable => %s, p_retry_after => %s, p_retry_base => %s,"
            " p_retry_cap => %s)",
            (
                job["id"],
                job["claim_token"],
                error.code.value,
                error.message,
                error.retryable,
                None if error.retry_after_s is None else timedelta(seconds=error.retry_after_s),
                context.queue.retry_base,
                context.queue.retry_cap,
            ),
        )
    except psycopg.Error as db_error:
        if db_error.sqlstate == "PT409":
            return await _dropped(
                context,
                job,
                started,
                f"failure ({error.code}) refused: the attempt was recovered or cancelled",
            )
        logger.error(
            "could not record the failure; the job stays processing for stuck recovery",
            extra={
                "event": "job.fail_unrecorded",
                "jobId": str(job["id"]),
                "error_code": error.code.value,
                "sqlstate": db_error.sqlstate,
            },
        )
        return ProcessedJob(str(job["id"]), "processing", error.code.value, job["retry_count"], _ms(started))
    assert row is not None
    event = "job.requeued" if row["status"] == "pending" else "job.failed"
    next_attempt = {"run_after": row["run_after"].isoformat()} if row.get("run_after") else {}
    log_transition(
        event,
        row,
        worker=context.worker_id,
        attempt_ms=_ms(started),
        error_message=row["error_message"],
        **next_attempt,
    )
    return ProcessedJob(str(row["id"]), row["status"], row["error_code"], row["retry_count"], _ms(started))


async def _dropped(context: WorkerContext, job: dict[str, Any], started: float, reason: str) -> ProcessedJob:
    """The attempt's result was refused; report the job as it is now."""
    now = await context.database.fetch_one(
        SERVICE, "select * from public.plan_generation_jobs where id = %s", (job["id"],)
    )
    current = dict(now) if now is not None else job
    log_transition("job.result_dropped", current, worker=context.worker_id, reason=reason)
    return ProcessedJob(
        str(job["id"]),
        current["status"],
        current["error_code"],
        current["retry_count"],
        _ms(started),
        dropped=True,
    )


def _unexpected(error: BaseException) -> PipelineError:
    return PipelineError(
        ErrorCode.UNEXPECTED_ERROR, f"{type(error).__name__} while processing the job: {error}"
    )


async def _scalar(context: WorkerContext, query: str, params: tuple[Any, ...]) -> int:
    row = await context.claims.fetch_one(SERVICE, query, params)
    assert row is not None
    return int(next(iter(row.values())))


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
