"""Prometheus text metrics: jobs by status (read at scrape), attempts, durations, error codes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from reference_impl.queue.outcome import InvocationOutcome

DURATION_BUCKETS_S = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)


@dataclass
class Histogram:
    buckets: tuple[float, ...] = DURATION_BUCKETS_S
    counts: list[int] = field(default_factory=lambda: [0] * len(DURATION_BUCKETS_S))
    total: int = 0
    sum: float = 0.0

    def observe(self, value: float) -> None:
        self.total += 1
        self.sum += value
        for index, bound in enumerate(self.buckets):
            if value <= bound:
                self.counts[index] += 1


@dataclass
class ServiceMetrics:
    """In-process counters; the job gauges come from the database at each scrape."""

    attempts: Counter[str] = field(default_factory=Counter)
    error_codes: Counter[str] = field(default_factory=Counter)
    invocations: Counter[str] = field(default_factory=Counter)
    jobs_created: int = 0
    attempt_seconds: Histogram = field(default_factory=Histogram)

    def record_invocation(self, outcome: InvocationOutcome) -> None:
        self.invocations["killed" if outcome.killed else "completed"] += 1
        for job in outcome.processed:
            result = "dropped" if job.dropped else {"pending": "requeued"}.get(job.status, job.status)
            self.attempts[result] += 1
            if job.error_code:
                self.error_codes[job.error_code] += 1
            self.attempt_seconds.observe(job.attempt_ms / 1000)

    def render(self, jobs_by_status: Mapping[str, int]) -> str:
        lines = [
            "# HELP plan_jobs Plan generation jobs by status.",
            "# TYPE plan_jobs gauge",
            *(f'plan_jobs{{status="{status}"}} {count}' for status, count in sorted(jobs_by_status.items())),
            "# HELP plan_jobs_created_total Jobs created by create-plan-job.",
            "# TYPE plan_jobs_created_total counter",
            f"plan_jobs_created_total {self.jobs_created}",
            "# HELP plan_job_attempts_total Attempts run, by how they ended.",
            "# TYPE plan_job_attempts_total counter",
            *(f'plan_job_attempts_total{{result="{key}"}} {n}' for key, n in sorted(self.attempts.items())),
            "# HELP plan_job_attempt_errors_total Failed attempts by error_code.",
            "# TYPE plan_job_attempt_errors_total counter",
            *(
                f'plan_job_attempt_errors_total{{error_code="{key}"}} {n}'
                for key, n in sorted(self.error_codes.items())
            ),
            "# HELP plan_queue_invocations_total Queue invocations, by how they ended.",
            "# TYPE plan_queue_invocations_total counter",
            *(
                f'plan_queue_invocations_total{{result="{key}"}} {n}'
                for key, n in sorted(self.invocations.items())
            ),
            "# HELP plan_job_attempt_duration_seconds Duration of attempts.",
            "# TYPE plan_job_attempt_duration_seconds histogram",
        ]
        histogram = self.attempt_seconds
        for bound, count in zip(histogram.buckets, histogram.counts, strict=True):
            lines.append(f'plan_job_attempt_duration_seconds_bucket{{le="{bound:g}"}} {count}')
        lines += [
            f'plan_job_attempt_duration_seconds_bucket{{le="+Inf"}} {histogram.total}',
            f"plan_job_attempt_duration_seconds_sum {histogram.sum:.6f}",
            f"plan_job_attempt_duration_seconds_count {histogram.total}",
        ]
        return "\n".join(lines) + "\n"
