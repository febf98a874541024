"""The queue's schema as the contract needs it: the one place to update when the contract
changes (docs/contract.md, and the reference migrations in
`reference_impl/supabase/migrations/` that implement it).

Written as data in the shapes of `harness.schema.model`, expressions as PostgreSQL prints them
back. What is here is what the contract depends on; an implementation may have more (columns,
indexes, functions, other names for indexes and constraints) and `plan_notifications` and
`enqueue_plan_job` may be absent (the reference's own, docs/contract.md "Functions").
"""

from __future__ import annotations

from types import MappingProxyType

from harness.poller import ERROR_CODE_UI_STATES
from harness.schema.model import (
    Argument,
    Check,
    Column,
    ForeignKey,
    Function,
    Index,
    Policy,
    SchemaContract,
    Table,
    TableGrants,
    Unique,
)

TABLES_MIGRATION = "20251130000000_plan_generation_jobs.sql"
FUNCTIONS_MIGRATION = "20251130000100_plan_job_functions.sql"
NOTIFICATIONS_MIGRATION = "20251201000000_plan_job_requests_and_notifications.sql"
BACKOFF_MIGRATION = "20251215000000_plan_job_retry_backoff.sql"

JOB_ROW = "public.plan_generation_jobs"
# the codes the app maps to a screen, in the harness's one list of them (the poller's)
_ERROR_CODES = ", ".join(f"'{code}'::text" for code in ERROR_CODE_UI_STATES)
NEW_ID = ("gen_random_uuid()", "extensions.uuid_generate_v4()", "public.uuid_generate_v4()")
NOW = ("now()", "CURRENT_TIMESTAMP", "statement_timestamp()", "transaction_timestamp()")
TIMESTAMPTZ = "timestamp with time zone"

# users read their own rows, nobody else reads or writes; the service does everything
OWNER_READS = (
    "(( SELECT auth.uid() AS uid) = user_id)",
    "(auth.uid() = user_id)",
    "(user_id = ( SELECT auth.uid() AS uid))",
    "(user_id = auth.uid())",
)
USERS_READ_SERVICE_WRITES = TableGrants(
    exactly=MappingProxyType({"anon": frozenset(), "authenticated": frozenset({"SELECT"})}),
    at_least=MappingProxyType({"service_role": frozenset({"SELECT", "INSERT", "UPDATE", "DELETE"})}),
)
SERVICE = frozenset({"service_role"})
OWNER_AND_SERVICE = frozenset({"authenticated", "service_role"})

PLAN_GENERATION_JOBS = Table(
    name="plan_generation_jobs",
    migration=TABLES_MIGRATION,
    why="the queue",
    columns=(
        Column("id", "uuid", False, NEW_ID),
        Column("user_id", "uuid", False),
        Column("status", "text", False, ("'pending'::text",)),
        Column("input", "jsonb", False),
        Column("retry_count", "integer", False, ("0",)),
        Column("max_retries", "integer", False, ("3",)),
        Column("error_code", "text", True),
        Column("error_message", "text", True),
        Column("errors", "jsonb", False, ("'[]'::jsonb",)),
        Column("claimed_by", "text", True),
        Column("claim_token", "uuid", True),
        Column("created_at", TIMESTAMPTZ, False, NOW),
        Column("updated_at", TIMESTAMPTZ, False, NOW),
        Column("started_at", TIMESTAMPTZ, True),
        Column("completed_at", TIMESTAMPTZ, True),
        Column("plan_id", "uuid", True),
        Column("run_after", TIMESTAMPTZ, True, migration=BACKOFF_MIGRATION),
    ),
    primary_key=("id",),
    checks=(
        Check(
            "plan_generation_jobs_status_check",
            "status = ANY (ARRAY['pending'::text, 'processing'::text, 'completed'::text, "
            "'failed'::text, 'cancelled'::text])",
            "the app maps exactly these statuses",
        ),
        Check(
            "plan_generation_jobs_input_is_object",
            "jsonb_typeof(input) = 'object'::text",
            "the pipeline reads input as an object",
        ),
        Check(
            "plan_generation_jobs_errors_is_array",
            "jsonb_typeof(errors) = 'array'::text",
            "each attempt appends to errors",
        ),
        Check(
            "plan_generation_jobs_max_retries_range",
            "max_retries >= 1 AND max_retries <= 20",
            "max_retries is the number of attempts",
        ),
        Check(
            "plan_generation_jobs_retry_count_range",
            "retry_count >= 0 AND retry_count <= max_retries",
            "an off-by-one in the retry count must fail in the database",
        ),
        Check(
            "plan_generation_jobs_active_below_limit",
            "(status <> ALL (ARRAY['pending'::text, 'processing'::text])) OR retry_count < max_retries",
            "an active job with no attempt left is an attempt too many",
        ),
        Check(
            "plan_generation_jobs_processing_has_claim",
            "status <> 'processing'::text OR claim_token IS NOT NULL AND started_at IS NOT NULL",
            "stuck recovery and the claim fence need the token and start time",
        ),
        Check(
            "plan_generation_jobs_terminal_has_completed_at",
            "(status = ANY (ARRAY['pending'::text, 'processing'::text])) OR completed_at IS NOT NULL",
            "every finished job says when",
        ),
        Check(
            "plan_generation_jobs_error_code_known",
            f"error_code IS NULL OR (error_code = ANY (ARRAY[{_ERROR_CODES}]))",
            "the app maps every error code to a screen",
            # the reference's form: the codes from their one definition (tests/drift checks its list)
            equivalents=("error_code IS NULL OR (error_code = ANY (plan_jobs_internal.job_error_codes()))",),
        ),
    ),
    foreign_keys=(
        ForeignKey(("user_id",), "auth.users", ("id",), "CASCADE"),
        ForeignKey(("plan_id",), "public.weekly_base_plans", ("id",), "SET NULL"),
    ),
    indexes=(
        Index(
            "plan_generation_jobs_pending_claim_idx",
            ("created_at", "id", "COALESCE(run_after, '-infinity'::timestamp with time zone)"),
            "the claim reads due pending jobs in (created_at, id) order from it",
            predicate="status = 'pending'::text",
            migration=BACKOFF_MIGRATION,
        ),
        Index(
            "plan_generation_jobs_processing_started_idx",
            ("started_at",),
            "stuck recovery finds processing jobs by attempt start",
            predicate="status = 'processing'::text",
        ),
        Index(
            "plan_generation_jobs_one_active_per_user",
            ("user_id",),
            "one active (pending or processing) job per user",
            predicate="status = ANY (ARRAY['pending'::text, 'processing'::text])",
            unique=True,
        ),
        Index(
            "plan_generation_jobs_user_created_idx",
            ("user_id", "created_at DESC"),
            "enqueue_plan_job and the app read a user's jobs newest first",
        ),
    ),
    policies=(Policy("owner can read own plan jobs", "SELECT", ("authenticated",), OWNER_READS),),
    grants=USERS_READ_SERVICE_WRITES,
)

WEEKLY_BASE_PLANS = Table(
    name="weekly_base_plans",
    migration=TABLES_MIGRATION,
    why="the saved plans",
    columns=(
        Column("id", "uuid", False, NEW_ID),
        Column("user_id", "uuid", False),
        Column("job_id", "uuid", True),
        Column("plan", "jsonb", False),
        Column("targets", "jsonb", True),
        Column("is_active", "boolean", False, ("false",)),
        Column("created_at", TIMESTAMPTZ, False, NOW),
    ),
    primary_key=("id",),
    checks=(
        Check(
            "weekly_base_plans_plan_is_object",
            "jsonb_typeof(plan) = 'object'::text",
            "the app reads the plan as an object",
        ),
    ),
    uniques=(Unique("weekly_base_plans_one_per_job", ("job_id",), "one plan per job"),),
    foreign_keys=(
        ForeignKey(("user_id",), "auth.users", ("id",), "CASCADE"),
        ForeignKey(("job_id",), "public.plan_generation_jobs", ("id",), "SET NULL"),
    ),
    indexes=(
        Index(
            "weekly_base_plans_one_active_per_user",
            ("user_id",),
            "one active plan per user; complete_plan_job finds it by this index",
            predicate="is_active",
            unique=True,
        ),
    ),
    policies=(Policy("owner can read own weekly plans", "SELECT", ("authenticated",), OWNER_READS),),
    grants=USERS_READ_SERVICE_WRITES,
)

PLAN_NOTIFICATIONS = Table(
    name="plan_notifications",
    migration=NOTIFICATIONS_MIGRATION,
    why="the push notifications the trigger writes",
    optional=True,
    columns=(
        Column("id", "uuid", False, NEW_ID),
        Column("user_id", "uuid", False),
        Column("job_id", "uuid", False),
        Column("kind", "text", False),
        Column("title", "text", False),
        Column("body", "text", False),
        Column("deep_link", "text", False),
        Column("created_at", TIMESTAMPTZ, False, NOW),
        Column("delivered_at", TIMESTAMPTZ, True),
    ),
    primary_key=("id",),
    checks=(
        Check(
            "plan_notifications_kind_check",
            "kind = ANY (ARRAY['plan_ready'::text, 'plan_failed'::text])",
            "the app opens a screen per kind",
        ),
        Check(
            "plan_notifications_deep_link_check",
            "deep_link ~~ '/plan-preview?jobId=%'::text OR deep_link ~~ '/plan-building?jobId=%'::text",
            "the app opens these screens from a notification",
        ),
    ),
    uniques=(
        Unique(
            "plan_notifications_one_per_job",
            ("job_id",),
            "one notification per job (the trigger's `on conflict (job_id)`)",
        ),
    ),
    foreign_keys=(
        ForeignKey(("user_id",), "auth.users", ("id",), "CASCADE"),
        ForeignKey(("job_id",), "public.plan_generation_jobs", ("id",), "CASCADE"),
    ),
    policies=(Policy("owner can read own plan notifications", "SELECT", ("authenticated",), OWNER_READS),),
    grants=USERS_READ_SERVICE_WRITES,
)

TEN_MINUTES = "'00:10:00'::interval"
TEN_SECONDS = "'00:00:10'::interval"

FUNCTIONS = (
    Function(
        "claim_next_plan_job",
        FUNCTIONS_MIGRATION,
        (Argument("p_worker_id", "text"),),
        f"SETOF {JOB_ROW}",
        security_definer=True,
        callers=SERVICE,
    ),
    Function(
        "claim_next_plan_jobs",
        FUNCTIONS_MIGRATION,
        (Argument("p_worker_id", "text"), Argument("p_limit", "integer")),
        f"SETOF {JOB_ROW}",
        security_definer=True,
        callers=SERVICE,
    ),
    Function(
        "complete_plan_job",
        FUNCTIONS_MIGRATION,
        (Argument("p_job_id", "uuid"), Argument("p_claim_token", "uuid"), Argument("p_plan", "jsonb")),
        JOB_ROW,
        security_definer=True,
        callers=SERVICE,
    ),
    Function(
        "fail_plan_job",
        BACKOFF_MIGRATION,
        (
            Argument("p_job_id", "uuid"),
            Argument("p_claim_token", "uuid"),
            Argument("p_error_code", "text"),
            Argument("p_error_message", "text"),
            Argument("p_retryable", "boolean", "true"),
            Argument("p_retry_after", "interval", "NULL::interval"),
            Argument("p_retry_base", "interval", TEN_SECONDS),
            Argument("p_retry_cap", "interval", TEN_MINUTES),
        ),
        JOB_ROW,
        security_definer=True,
        callers=SERVICE,
    ),
    Function(
        "reset_stuck_plan_jobs",
        BACKOFF_MIGRATION,
        (
            Argument("p_stuck_after", "interval", TEN_MINUTES),
            Argument("p_retry_base", "interval", TEN_SECONDS),
            Argument("p_retry_cap", "interval", TEN_MINUTES),
        ),
        "integer",
        security_definer=True,
        callers=SERVICE,
    ),
    Function(
        "reset_stuck_plan_job",
        BACKOFF_MIGRATION,
        (
            Argument("p_job_id", "uuid"),
            Argument("p_stuck_after", "interval", TEN_MINUTES),
            Argument("p_retry_base", "interval", TEN_SECONDS),
            Argument("p_retry_cap", "interval", TEN_MINUTES),
        ),
        JOB_ROW,
        security_definer=True,
        callers=OWNER_AND_SERVICE,
    ),
    Function(
        "expire_stale_pending_jobs",
        FUNCTIONS_MIGRATION,
        (Argument("p_older_than", "interval", "'00:30:00'::interval"),),
        "integer",
        security_definer=True,
        callers=SERVICE,
    ),
    Function(
        "cancel_plan_job",
        FUNCTIONS_MIGRATION,
        (Argument("p_job_id", "uuid"),),
        JOB_ROW,
        security_definer=True,
        callers=OWNER_AND_SERVICE,
    ),
    Function(
        "get_active_plan_job",
        FUNCTIONS_MIGRATION,
        (),
        JOB_ROW,
        # runs as the caller, under RLS
        security_definer=False,
        callers=frozenset({"authenticated"}),
        search_path=None,
    ),
    Function(
        "plan_job_health",
        FUNCTIONS_MIGRATION,
        (Argument("p_window", "interval", "'01:00:00'::interval"),),
        "jsonb",
        security_definer=True,
        callers=SERVICE,
    ),
    Function(
        "enqueue_plan_job",
        NOTIFICATIONS_MIGRATION,
        (
            Argument("p_user_id", "uuid"),
            Argument("p_input", "jsonb"),
            Argument("p_regenerate", "boolean", "false"),
            Argument("p_max_retries", "integer", "3"),
            Argument("p_cooldown", "interval", "'14 days'::interval"),
        ),
        "TABLE(job_id uuid, status text, created boolean, superseded_job_id uuid)",
        security_definer=True,
        callers=SERVICE,
        optional=True,
    ),
)

QUEUE_SCHEMA = SchemaContract(
    tables=(PLAN_GENERATION_JOBS, WEEKLY_BASE_PLANS, PLAN_NOTIFICATIONS),
    functions=FUNCTIONS,
)
