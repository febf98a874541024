"""The service's Prometheus metrics, kept with prometheus-client in a registry of its own.

Each `ServiceMetrics` owns a `CollectorRegistry`, so two applications in one process never
share a counter. Counters and the attempt histogram are updated as things happen; the job
gauges are read from the database at each scrape (`refresh_jobs`), since jobs also change
through SQL that the service never sees. Names and labels are listed in docs/playbook.md
section 7.5.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from reference_impl.queue.outcome import InvocationOutcome, ProcessedJob

JOB_STATUSES = ("pending", "processing", "completed", "failed", "cancelled")
ATTEMPT_RESULTS = ("completed", "requeued", "failed", "dropped")
INVOCATION_RESULTS = ("completed", "killed")
RECOVERY_KINDS = ("stuck", "stale")
# Attempts run from tens of milliseconds (a fast model, a refusal) to the 400 s wall clock
# of a paid plan; the top buckets leave room for a misconfigured INTERNAL_TIMEOUT_MS.
ATTEMPT_DURATION_BUCKETS_S = (
    0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 90, 120, 180, 300, 450, 600,
)  # fmt: skip


def attempt_result(job: ProcessedJob) -> str:
    """How an attempt ended, as the `result` label: requeued jobs are back to `pending`."""
    if job.dropped:
        return "dropped"
    return "requeued" if job.status == "pending" else job.status


class ServiceMetrics:
    """The metrics of one service instance and the registry `/metrics` exposes."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        registry = self.registry
        self.jobs = Gauge(
            "plan_jobs", "Plan generation jobs by status, read at scrape.", ["status"], registry=registry
        )
        self.oldest_pending_age = Gauge(
            "plan_jobs_oldest_pending_age_seconds",
            "Age of the oldest pending job since created_at, read at scrape; 0 when none is pending.",
            registry=registry,
        )
        self.jobs_created = Counter(
            "plan_jobs_created", "Jobs created by create-plan-job.", registry=registry
        )
        self.attempts = Counter(
            "plan_job_attempts", "Attempts run, by how they ended.", ["result"], registry=registry
        )
        self.attempt_errors = Counter(
            "plan_job_attempt_errors",
            "Attempts that ended with an error code, by code and by how the attempt ended.",
            ["error_code", "result"],
            registry=registry,
        )
        self.attempt_duration = Histogram(
            "plan_job_attempt_duration_seconds",
            "Duration of attempts, from claim to the job's update.",
            buckets=ATTEMPT_DURATION_BUCKETS_S,
            registry=registry,
        )
        self.invocations = Counter(
            "plan_queue_invocations",
            "process-plan-queue invocations (HTTP or the background loop), by how they ended.",
            ["result"],
            registry=registry,
        )
        self.recovered = Counter(
            "plan_queue_recovered_jobs",
            "Jobs recovered by invocations: stuck attempts requeued or failed, stale pending jobs expired.",
            ["kind"],
            registry=registry,
        )
        # Series that exist before their first event, so rates start from zero.
        for status in JOB_STATUSES:
            self.jobs.labels(status=status)
        for result in ATTEMPT_RESULTS:
            self.attempts.labels(result=result)
        for result in INVOCATION_RESULTS:
            self.invocations.labels(result=result)
        for kind in RECOVERY_KINDS:
            self.recovered.labels(kind=kind)

    def record_job_created(self) -> None:
        self.jobs_created.inc()

    def record_invocation(self, outcome: InvocationOutcome) -> None:
        self.invocations.labels(result="killed" if outcome.killed else "completed").inc()
        self.recovered.labels(kind="stuck").inc(outcome.recovered_stuck)
        self.recovered.labels(kind="stale").inc(outcome.recovered_stale)
        for job in outcome.processed:
            result = attempt_result(job)
            self.attempts.labels(result=result).inc()
            if job.error_code:
                self.attempt_errors.labels(error_code=job.error_code, result=result).inc()
            self.attempt_duration.observe(job.attempt_ms / 1000)

    def refresh_jobs(self, counts: Iterable[Mapping[str, Any]], oldest_pending_age_s: float | None) -> None:
        """Set the job gauges from `status, n` rows; statuses absent from the rows are 0."""
        by_status = dict.fromkeys(JOB_STATUSES, 0)
        for row in counts:
            by_status[str(row["status"])] = int(row["n"])
        for status, count in by_status.items():
            self.jobs.labels(status=status).set(count)
        self.oldest_pending_age.set(oldest_pending_age_s or 0.0)
