-- Plan generation queue: tables, indexes, row-level security and grants.
--
-- Contract: docs/contract.md "Tables". Every mutation by an app user goes through the functions of
-- the next migration; users may only read their own rows.
--
-- Retry semantics (docs/contract.md "Retry semantics"): max_retries = N means the pipeline runs at most N
-- times. retry_count counts failed or abandoned attempts. A job that is pending or
-- processing therefore always has retry_count < max_retries; the check constraint
-- below makes an off-by-one in any function fail loudly instead of running an extra
-- attempt.

create table public.plan_generation_jobs (
    id            uuid primary key default gen_random_uuid(),
    user_id       uuid not null references auth.users (id) on delete cascade,
    status        text not null default 'pending',
    input         jsonb not null,
    retry_count   integer not null default 0,
    max_retries   integer not null default 3,
    error_code    text,
    error_message text,
    errors        jsonb not null default '[]'::jsonb,
    claimed_by    text,
    claim_token   uuid,
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now(),
    started_at    timestamptz,
    completed_at  timestamptz,
    plan_id       uuid,

    constraint plan_generation_jobs_status_check
        check (status in ('pending', 'processing', 'completed', 'failed', 'cancelled')),
    constraint plan_generation_jobs_input_is_object
        check (jsonb_typeof(input) = 'object'),
    constraint plan_generation_jobs_errors_is_array
        check (jsonb_typeof(errors) = 'array'),
    constraint plan_generation_jobs_max_retries_range
        check (max_retries between 1 and 20),
    constraint plan_generation_jobs_retry_count_range
        check (retry_count between 0 and max_retries),
    constraint plan_generation_jobs_active_below_limit
        check (status not in ('pending', 'processing') or retry_count < max_retries),
    constraint plan_generation_jobs_processing_has_claim
        check (status <> 'processing' or (claim_token is not null and started_at is not null)),
    constraint plan_generation_jobs_terminal_has_completed_at
        check (status in ('pending', 'processing') or completed_at is not null),
    constraint plan_generation_jobs_error_code_known
        check (error_code is null or error_code in (
            'AI_TIMEOUT', 'AI_RATE_LIMIT', 'AI_QUOTA_EXCEEDED', 'AI_UPSTREAM_ERROR',
            'CONFIG_ERROR', 'JSON_PARSE_ERROR', 'VALIDATION_FAILED', 'WORKER_TIMEOUT',
            'STALE_PENDING', 'CANCELLED', 'SUPERSEDED', 'UNEXPECTED_ERROR'))
);

comment on table public.plan_generation_jobs is
    'Server-side weekly plan generation jobs. Mutated only through the plan job functions.';
comment on column public.plan_generation_jobs.retry_count is
    'Failed or abandoned attempts so far; the job fails in the call that makes it reach max_retries.';
comment on column public.plan_generation_jobs.max_retries is
    'Total number of attempts the job gets (not retries after the first).';
comment on column public.plan_generation_jobs.claim_token is
    'Fence token of the current attempt; complete/fail with any other token are refused (PT409).';

-- Claim order is (created_at, id) among pending jobs: this partial index is exactly that.
create index plan_generation_jobs_pending_claim_idx
    on public.plan_generation_jobs (created_at, id)
    where status = 'pending';

-- Stuck recovery scans processing jobs by attempt start.
create index plan_generation_jobs_processing_started_idx
    on public.plan_generation_jobs (started_at)
    where status = 'processing';

-- At most one active (pending or processing) job per user.
create unique index plan_generation_jobs_one_active_per_user
    on public.plan_generation_jobs (user_id)
    where status in ('pending', 'processing');

-- A user's jobs, newest first (the app's history and the regeneration rule).
create index plan_generation_jobs_user_created_idx
    on public.plan_generation_jobs (user_id, created_at desc);


create table public.weekly_base_plans (
    id         uuid primary key default gen_random_uuid(),
    user_id    uuid not null references auth.users (id) on delete cascade,
    job_id     uuid references public.plan_generation_jobs (id) on delete set null,
    plan       jsonb not null,
    targets    jsonb,
    is_active  boolean not null default false,
    created_at timestamptz not null default now(),

    constraint weekly_base_plans_one_per_job unique (job_id),
    constraint weekly_base_plans_plan_is_object check (jsonb_typeof(plan) = 'object')
);

comment on table public.weekly_base_plans is
    'Saved weekly base plans; at most one active plan per user.';

create unique index weekly_base_plans_one_active_per_user
    on public.weekly_base_plans (user_id)
    where is_active;

create index weekly_base_plans_user_created_idx
    on public.weekly_base_plans (user_id, created_at desc);

alter table public.plan_generation_jobs
    add constraint plan_generation_jobs_plan_fk
    foreign key (plan_id) references public.weekly_base_plans (id) on delete set null;


-- Row-level security: a user reads only their own rows; nobody but the service writes.
alter table public.plan_generation_jobs enable row level security;
alter table public.weekly_base_plans enable row level security;

create policy "owner can read own plan jobs"
    on public.plan_generation_jobs
    for select
    to authenticated
    using ((select auth.uid()) = user_id);

create policy "owner can read own weekly plans"
    on public.weekly_base_plans
    for select
    to authenticated
    using ((select auth.uid()) = user_id);

-- Supabase grants everything on new tables to anon and authenticated by default
-- privileges; take it back explicitly so grants, not only RLS, keep users read-only.
revoke all on table public.plan_generation_jobs from public, anon, authenticated;
revoke all on table public.weekly_base_plans from public, anon, authenticated;
grant select on table public.plan_generation_jobs to authenticated;
grant select on table public.weekly_base_plans to authenticated;
grant select, insert, update, delete on table public.plan_generation_jobs to service_role;
grant select, insert, update, delete on table public.weekly_base_plans to service_role;
