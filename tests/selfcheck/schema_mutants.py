"""Planted schema defects: what a deploy most often leaves behind, written into copies of
the reference migrations (exact text edits that must apply, as in `mutants.py`).

Each is caught by exactly the schema scenarios named in `caught_by` (`plan_conformance/scenarios/schema`),
whose failure text must name the object (`failure_names`); every other schema scenario
still passes, so each line points at its own cause.
"""

from __future__ import annotations

from tests.selfcheck.mutants import FUNCTIONS, SINGLE_DEFINITIONS, Edit, Mutant

BACKOFF = "20251215000000_plan_job_retry_backoff.sql"

CLAIM_INDEX_DROPPED = Mutant(
    name="claim_index_dropped",
    description="the pending claim index was never created, so every claim sorts the pending jobs",
    edits=(
        Edit(
            BACKOFF,
            "create index plan_generation_jobs_pending_claim_idx\n"
            "    on public.plan_generation_jobs "
            "(created_at, id, (coalesce(run_after, '-infinity'::timestamptz)))\n"
            "    where status = 'pending';\n",
            "",
        ),
    ),
    caught_by=("test_indexes_for_the_claim_and_one_active_rules_exist",),
    failure_names=(
        "index plan_generation_jobs_pending_claim_idx",
        "(created_at, id, COALESCE(run_after, '-infinity'::timestamp with time zone)) "
        "WHERE status = 'pending'",
        "found no such index",
    ),
)

CLAIM_NOT_EXECUTABLE_BY_SERVICE = Mutant(
    name="claim_revoked_from_service_role",
    description="the claim's execute grant was revoked from service_role along with the app roles, "
    "and never granted back, so the workers cannot claim",
    edits=(
        Edit(
            FUNCTIONS,
            "revoke all on function public.claim_next_plan_job(text) from public, anon, authenticated;",
            "revoke all on function public.claim_next_plan_job(text) from public, anon, authenticated, "
            "service_role;",
        ),
        Edit(FUNCTIONS, "grant execute on function public.claim_next_plan_job(text) to service_role;\n", ""),
    ),
    caught_by=("test_function_grants_match_their_callers",),
    failure_names=("execute on public.claim_next_plan_job(text) for service_role: expected granted",),
)

CANCEL_NOT_GRANTED_TO_USERS = Mutant(
    name="cancel_not_granted_to_authenticated",
    description="cancel_plan_job is granted to service_role only, so the app's cancel button gets 42501",
    edits=(
        Edit(
            FUNCTIONS,
            "grant execute on function public.cancel_plan_job(uuid) to authenticated, service_role;",
            "grant execute on function public.cancel_plan_job(uuid) to service_role;",
        ),
    ),
    caught_by=("test_function_grants_match_their_callers",),
    failure_names=("execute on public.cancel_plan_job(uuid) for authenticated: expected granted",),
)

FAIL_WITH_OLD_SIGNATURE = Mutant(
    name="fail_plan_job_old_signature",
    description="the backoff migration's fail_plan_job was not applied: the function keeps its "
    "signature without the backoff arguments, so a worker passing p_retry_after gets 'function "
    "does not exist'",
    edits=(
        Edit(BACKOFF, "drop function public.fail_plan_job(uuid, uuid, text, text, boolean);\n", ""),
        Edit(
            BACKOFF,
            "create function public.fail_plan_job(\n",
            "create function public.fail_plan_job_not_deployed(\n",
        ),
        Edit(
            BACKOFF,
            "public.fail_plan_job(uuid, uuid, text, text, boolean, interval, interval, interval)",
            "public.fail_plan_job_not_deployed(uuid, uuid, text, text, boolean, interval, interval, "
            "interval)",
            2,
        ),
        # the later migration replaces fail_plan_job: it would create the new signature again
        Edit(
            SINGLE_DEFINITIONS,
            "create or replace function public.fail_plan_job(\n",
            "create or replace function public.fail_plan_job_not_deployed(\n",
        ),
    ),
    caught_by=("test_functions_have_the_contracts_signatures",),
    failure_names=(
        "function public.fail_plan_job: expected (",
        "p_retry_cap interval DEFAULT '00:10:00'::interval)",
        "found (p_job_id uuid, p_claim_token uuid, p_error_code text, p_error_message text, "
        "p_retryable boolean DEFAULT true)",
    ),
)

SCHEMA_MUTANTS = (
    CLAIM_INDEX_DROPPED,
    CLAIM_NOT_EXECUTABLE_BY_SERVICE,
    CANCEL_NOT_GRANTED_TO_USERS,
    FAIL_WITH_OLD_SIGNATURE,
)
