"""Planted bugs: the seed's failures, written into copies of the reference migrations, of
the reference service, or of the project's Edge Functions in TypeScript.

Each mutant is a list of exact text edits of files under one root (the migrations folder,
the `reference_impl` package, or `examples/supabase/functions`). An edit that no longer
matches (because the reference changed) is an error, never a silent no-op: the self-check
must keep proving that the suite catches each bug.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

FUNCTIONS = "20251130000100_plan_job_functions.sql"
TABLES = "20251130000000_plan_generation_jobs.sql"
PENDING_INDEX = "    on public.plan_generation_jobs ({columns})\n    where status = 'pending';"
DUE = "(coalesce(run_after, '-infinity'::timestamptz))"
# redefines the claims, fail_plan_job, stuck recovery, stale expiry and the pending index
BACKOFF = "20251215000000_plan_job_retry_backoff.sql"
# redefines fail_plan_job and stuck recovery once more (the codes and the stuck predicate from
# one function each): the last definition of those functions, the one a mutant must edit
SINGLE_DEFINITIONS = "20251220000000_plan_job_single_definitions.sql"


@dataclass(frozen=True)
class Edit:
    file: str
    old: str
    new: str
    count: int = 1


@dataclass(frozen=True)
class Mutant:
    name: str
    description: str
    edits: tuple[Edit, ...]
    # migration mutants: test names (parameters stripped) among plan_conformance/scenarios/db that must fail;
    # service mutants: the node ids to run, every one of which must fail
    caught_by: tuple[str, ...]
    # words the failure message of each test in caught_by must contain (what it names)
    failure_names: tuple[str, ...] = ()

    def write(self, source: Path, target: Path, *, leave_out: tuple[str, ...] = ()) -> None:
        """Copy the tree at `source` to `target` (without entries named in `leave_out`) with
        the edits applied."""
        shutil.copytree(source, target, ignore=shutil.ignore_patterns(*leave_out) if leave_out else None)
        for edit in self.edits:
            path = target / edit.file
            text = path.read_text(encoding="utf-8")
            found = text.count(edit.old)
            if found != edit.count:
                raise AssertionError(
                    f"mutant {self.name}: expected {edit.count} occurrence(s) of {edit.old!r} "
                    f"in {edit.file}, found {found}; update tests/selfcheck/mutants.py"
                )
            path.write_text(text.replace(edit.old, edit.new), encoding="utf-8")


ONE_ATTEMPT_TOO_MANY = Mutant(
    name="one_attempt_too_many",
    description="fail_plan_job re-queues while retry_count <= max_retries (the seed's off-by-one), "
    "and the table has no constraint that would catch it",
    edits=(
        Edit(SINGLE_DEFINITIONS, "and v_attempt < v_job.max_retries;", "and v_attempt <= v_job.max_retries;"),
        Edit(
            TABLES,
            "    constraint plan_generation_jobs_retry_count_range\n"
            "        check (retry_count between 0 and max_retries),\n"
            "    constraint plan_generation_jobs_active_below_limit\n"
            "        check (status not in ('pending', 'processing') or retry_count < max_retries),\n",
            "",
        ),
    ),
    caught_by=("test_job_failing_every_attempt_is_claimed_exactly_max_retries_times",),
)

RECOVERY_DOES_NOT_COUNT = Mutant(
    name="recovery_does_not_count_the_attempt",
    description="stuck recovery puts the job back to pending without counting the abandoned "
    "attempt, so a poison job flips between pending and processing forever",
    edits=(
        Edit(
            SINGLE_DEFINITIONS, "set retry_count   = j.retry_count + 1,", "set retry_count   = j.retry_count,"
        ),
        Edit(
            SINGLE_DEFINITIONS,
            "status        = case when j.retry_count + 1 < j.max_retries then 'pending' else 'failed' end,",
            "status        = 'pending',",
        ),
        Edit(
            SINGLE_DEFINITIONS,
            "completed_at  = case when j.retry_count + 1 < j.max_retries then null else now() end,",
            "completed_at  = null,",
        ),
    ),
    caught_by=(
        "test_aged_processing_job_goes_back_to_pending_as_worker_timeout",
        "test_poison_job_abandoned_on_every_attempt_ends_failed_after_max_retries",
    ),
)

LATE_COMPLETION_ACCEPTED = Mutant(
    name="late_completion_accepted_after_recovery",
    description="the fence of complete_plan_job and fail_plan_job only checks that the job is "
    "not finished, not the claim token, so a worker whose attempt was recovered still saves its plan",
    edits=(
        Edit(
            FUNCTIONS,
            "    if v_job.status <> 'processing' or v_job.claim_token is distinct from p_claim_token then\n"
            "        raise exception 'plan job % is not held by this claim', p_job_id\n",
            "    if v_job.status not in ('processing', 'pending') then\n"
            "        raise exception 'plan job % is finished', p_job_id\n",
        ),
    ),
    caught_by=("test_late_completion_after_recovery_is_refused",),
)

PENDING_NEVER_EXPIRES = Mutant(
    name="pending_jobs_never_expire",
    description="expire_stale_pending_jobs selects nothing, so jobs nobody claims stay pending forever",
    edits=(Edit(BACKOFF, "and greatest(updated_at, run_after) < now() - p_older_than", "and false"),),
    caught_by=("test_pending_job_untouched_for_the_window_fails_as_stale",),
)

CLAIM_INDEX_WITHOUT_ID = Mutant(
    name="claim_index_on_created_at_alone",
    description="the pending index is on created_at alone, so the claim's (created_at, id) order "
    "needs a sort of every pending job sharing the oldest timestamp (a bulk insert shares one)",
    edits=(
        Edit(
            BACKOFF,
            PENDING_INDEX.format(columns=f"created_at, id, {DUE}"),
            PENDING_INDEX.format(columns=f"created_at, {DUE}"),
        ),
    ),
    caught_by=("test_claim_reads_the_pending_index_as_the_queue_grows",),
    failure_names=("Incremental Sort",),
)

CLAIM_CHECKS_DUE_ON_THE_TABLE = Mutant(
    name="claim_checks_due_on_the_table",
    description="the pending index lacks the due expression, so the claim reads the row of every "
    "older job waiting for its backoff before it finds a due one",
    edits=(
        Edit(
            BACKOFF,
            PENDING_INDEX.format(columns=f"created_at, id, {DUE}"),
            PENDING_INDEX.format(columns="created_at, id"),
        ),
    ),
    caught_by=("test_claim_reads_the_pending_index_as_the_queue_grows",),
    failure_names=("Filter",),
)

RETRY_WITHOUT_BACKOFF = Mutant(
    name="retry_without_backoff",
    description="fail_plan_job makes the requeued job due at once, so an outage of seconds burns "
    "every attempt of the jobs that run into it",
    edits=(
        Edit(
            SINGLE_DEFINITIONS,
            "        v_run_after := now() + plan_jobs_internal.retry_delay(\n"
            "            v_attempt, p_retry_base, p_retry_cap, p_retry_after);\n",
            "        v_run_after := now();\n",
        ),
    ),
    caught_by=(
        "test_a_retryable_failure_schedules_the_next_attempt_with_the_default_backoff",
        "test_the_wait_grows_with_each_attempt_and_stops_at_the_cap",
        "test_a_longer_retry_after_wins_and_a_shorter_one_does_not_shorten_the_wait",
        "test_the_claim_passes_over_a_job_not_yet_due_and_takes_it_once_due",
    ),
)

CLAIM_WAITS_FOR_LOCKED_JOBS = Mutant(
    name="claim_waits_for_locked_jobs",
    description="the single claim locks with FOR UPDATE without SKIP LOCKED, so a claim waits for "
    "any transaction holding the oldest job instead of taking the next one",
    edits=(
        Edit(
            BACKOFF,
            "         limit 1\n         for update skip locked\n",
            "         limit 1\n         for update\n",
        ),
    ),
    caught_by=("test_a_claim_passes_over_a_job_another_transaction_holds",),
    # the scenario connection's lock timeout names the blocked claim and the holder's query
    failure_names=("blocked statement (backend", "held by backend", "p_worker_id => 'holder'"),
)

MIGRATION_MUTANTS = (
    ONE_ATTEMPT_TOO_MANY,
    RECOVERY_DOES_NOT_COUNT,
    LATE_COMPLETION_ACCEPTED,
    PENDING_NEVER_EXPIRES,
    CLAIM_INDEX_WITHOUT_ID,
    CLAIM_CHECKS_DUE_ON_THE_TABLE,
    RETRY_WITHOUT_BACKOFF,
    CLAIM_WAITS_FOR_LOCKED_JOBS,
)


# -- bugs in the service: edits of files under reference_impl/ ------------------------------

TIMEOUT_LEAVES_JOB_PROCESSING = Mutant(
    name="timeout_leaves_job_processing",
    description="an attempt that times out returns without fail_plan_job, so the job stays "
    "processing until stuck recovery (the seed's hour-long spinner)",
    edits=(
        Edit(
            "queue/invocation.py",
            "    except PipelineError as error:\n        return await _fail(context, job, error, started)\n",
            "    except PipelineError as error:\n"
            "        if error.code == ErrorCode.AI_TIMEOUT:\n"
            '            return ProcessedJob(str(job["id"]), "processing", None, job["retry_count"],'
            " _ms(started))\n"
            "        return await _fail(context, job, error, started)\n",
        ),
    ),
    caught_by=(
        "plan_conformance/scenarios/http/test_error_codes.py::test_fault_ends_in_the_documented_error_code[hang]",
        "plan_conformance/scenarios/http/test_deadlines.py::test_stalled_calls_end_as_ai_timeout_within_the_deadline[hang]",
    ),
)

RATE_LIMIT_AS_UNEXPECTED = Mutant(
    name="rate_limit_reported_as_unexpected_error",
    description="DeepSeek's 429 is not mapped, so it is recorded as UNEXPECTED_ERROR and the app "
    "shows a generic error instead of 'busy'",
    edits=(
        Edit(
            "pipeline/deepseek.py",
            '    if status == 429:\n        return ErrorCode.AI_RATE_LIMIT, ""\n',
            "",
        ),
    ),
    caught_by=(
        "plan_conformance/scenarios/http/test_error_codes.py::test_fault_ends_in_the_documented_error_code[rate_limited]",
    ),
)

VEGETARIAN_CHICKEN_SAVED = Mutant(
    name="vegetarian_plan_with_chicken_saved",
    description="the final enforcement does not check the diet, so a plan with chicken is saved "
    "for a vegetarian",
    edits=(
        Edit(
            "pipeline/validator.py",
            "            word = diet_violation(food, profile.dietaryPreference)\n",
            "            word = None\n",
        ),
    ),
    caught_by=(
        "plan_conformance/scenarios/http/test_plan_validity.py::"
        "test_plans_breaking_diet_or_avoid_rules_are_never_saved[Vegetarian-diet_violation]",
        "plan_conformance/scenarios/http/test_error_codes.py::test_fault_ends_in_the_documented_error_code[stage2_diet_violation]",
    ),
)

WORKER_WITHOUT_BACKOFF = Mutant(
    name="worker_retries_without_backoff",
    description="the worker passes a backoff of 1 ms to fail_plan_job instead of its settings, so a "
    "failed attempt is retried at once and a short outage burns every attempt",
    edits=(
        Edit(
            "queue/invocation.py",
            "                context.queue.retry_base,\n                context.queue.retry_cap,\n",
            "                timedelta(milliseconds=1),\n                timedelta(milliseconds=1),\n",
        ),
    ),
    caught_by=("plan_conformance/scenarios/http/test_outage.py::test_an_outage_shorter_than_the_retry_budget_fails_no_job",),
)

SERVICE_MUTANTS = (
    TIMEOUT_LEAVES_JOB_PROCESSING,
    RATE_LIMIT_AS_UNEXPECTED,
    VEGETARIAN_CHICKEN_SAVED,
    WORKER_WITHOUT_BACKOFF,
)


# -- bugs in the Edge Functions: edits of files under examples/supabase/functions/ ----------
# Each edit still type-checks: the harness's preflight runs `deno check` on the copy, and a
# type error would stop the run before any scenario could catch the bug.

DEADLINE_WITHOUT_ABORT = Mutant(
    name="deadline_without_abort",
    description="the DeepSeek request is sent without its AbortSignal, so the deadline timers "
    "fire but nothing aborts a hung call: the attempt never ends and its job stays processing",
    edits=(Edit("_shared/deepseek.ts", "        signal: call.signal,\n", ""),),
    caught_by=(
        "plan_conformance/scenarios/http/test_error_codes.py::test_fault_ends_in_the_documented_error_code[hang]",
        "plan_conformance/scenarios/http/test_deadlines.py::test_stalled_calls_end_as_ai_timeout_within_the_deadline[hang]",
    ),
)

EDGE_RATE_LIMIT_AS_UNEXPECTED = Mutant(
    name="edge_rate_limit_reported_as_unexpected_error",
    description="codeForStatus has no case for 429, so DeepSeek's rate limit is recorded as "
    "UNEXPECTED_ERROR and the app shows a generic error instead of 'busy'",
    edits=(Edit("_shared/deepseek.ts", '  if (status === 429) return ["AI_RATE_LIMIT", ""];\n', ""),),
    caught_by=(
        "plan_conformance/scenarios/http/test_error_codes.py::test_fault_ends_in_the_documented_error_code[rate_limited]",
    ),
)

PLAN_SAVED_WITHOUT_VALIDATION = Mutant(
    name="plan_saved_without_validation",
    description="the attempt only logs the validator's violations and returns the plan, so a plan "
    "with chicken for a vegetarian, or with a day missing, is saved",
    edits=(
        Edit(
            "_shared/attempt.ts",
            "  if (violations.length > 0) "
            'throw new PipelineError("VALIDATION_FAILED", summarize(violations));\n',
            "  if (violations.length > 0) log.warn(summarize(violations), { jobId: job.id });\n",
        ),
    ),
    caught_by=(
        "plan_conformance/scenarios/http/test_plan_validity.py::"
        "test_plans_breaking_diet_or_avoid_rules_are_never_saved[Vegetarian-diet_violation]",
        "plan_conformance/scenarios/http/test_error_codes.py::test_fault_ends_in_the_documented_error_code[stage2_missing_day]",
    ),
)

EXCEPTION_SKIPS_FAIL_PLAN_JOB = Mutant(
    name="exception_skips_fail_plan_job",
    description="a failed attempt is logged and rethrown instead of reported with fail_plan_job, "
    "so the job stays processing until stuck recovery (the seed's endless spinner)",
    edits=(
        Edit(
            "_shared/invocation.ts",
            "    const failure = error instanceof PipelineError ? error : unexpected(error);\n"
            "    return await fail(context, job, claimToken, failure, started);\n",
            '    context.log.error("plan attempt failed", '
            "{ jobId: job.id, exception: describeError(error) });\n"
            "    throw error;\n",
        ),
    ),
    caught_by=(
        "plan_conformance/scenarios/http/test_error_codes.py::test_fault_ends_in_the_documented_error_code[server_error_500]",
        "plan_conformance/scenarios/http/test_error_codes.py::test_fault_ends_in_the_documented_error_code[insufficient_balance_402]",
    ),
)

FUNCTION_MUTANTS = (
    DEADLINE_WITHOUT_ABORT,
    EDGE_RATE_LIMIT_AS_UNEXPECTED,
    PLAN_SAVED_WITHOUT_VALIDATION,
    EXCEPTION_SKIPS_FAIL_PLAN_JOB,
)
