-- Plan generation queue: one definition of the error codes and of "stuck" (docs/contract.md,
-- "Error codes" and "Stuck and stale"; docs/decisions.md D37).
--
-- Until this migration the attempt error codes were written out in the table's check
-- constraint, in fail_plan_job's test and again in its hint, and the codes that are never
-- retried in fail_plan_job; "processing and started longer ago than the threshold" was
-- written in both recoveries, in the shared abandon step and in the health report, and the
-- ten minutes of the default threshold in the owner's floor and the health report. Here each
-- gets one internal function, and the constraint and the functions are re-pointed at them.
-- The public signatures do not change (their defaults stay literals: they are the contract
-- an app's own migrations are checked against, plan_conformance/scenarios/schema).
--
-- A migration of its own rather than edits of the earlier files: a deployed project gets it
-- with `supabase db push`. Everything is `create or replace`, so grants stay as they were.


-- The codes an attempt may end with: what fail_plan_job accepts from a worker, plus
-- WORKER_TIMEOUT, which stuck recovery records for an abandoned attempt.
create or replace function plan_jobs_internal.attempt_error_codes()
returns text[]
language sql
immutable
parallel safe
set search_path = ''
as $$
    select array['AI_TIMEOUT', 'AI_RATE_LIMIT', 'AI_QUOTA_EXCEEDED', 'AI_UPSTREAM_ERROR', 'CONFIG_ERROR',
                 'JSON_PARSE_ERROR', 'VALIDATION_FAILED', 'WORKER_TIMEOUT', 'UNEXPECTED_ERROR']
$$;

-- The attempt codes that fail the job at once, whatever the worker says: no retry can heal
-- an empty balance or a wrong configuration (docs/decisions.md D13).
create or replace function plan_jobs_internal.never_retried_error_codes()
returns text[]
language sql
immutable
parallel safe
set search_path = ''
as $$
    select array['AI_QUOTA_EXCEEDED', 'CONFIG_ERROR']
$$;

-- Every error_code a job may carry: the attempt codes and the three that end a job without
-- an attempt failing (stale expiry, cancellation, regeneration).
create or replace function plan_jobs_internal.job_error_codes()
returns text[]
language sql
immutable
parallel safe
set search_path = ''
as $$
    select plan_jobs_internal.attempt_error_codes() || array['STALE_PENDING', 'CANCELLED', 'SUPERSEDED']
$$;

-- The stuck threshold when the caller gives none, and the shortest an app user may ask for.
create or replace function plan_jobs_internal.default_stuck_after()
returns interval
language sql
immutable
parallel safe
set search_path = ''
as $$
    select interval '10 minutes'
$$;

-- Stuck: a job whose attempt started longer ago than the threshold and is still processing.
-- No `set search_path` here on purpose: a SQL function without one is inlined into the
-- query that calls it, so the recoveries still find stuck jobs through the partial index
-- on (started_at) where status = 'processing'; every name in it resolves in pg_catalog.
create or replace function plan_jobs_internal.is_stuck(
    p_status text, p_started_at timestamptz, p_stuck_after interval)
returns boolean
language sql
stable
parallel safe
as $$
    select p_status = 'processing' and p_started_at < pg_catalog.now() - p_stuck_after
$$;


-- The table accepts exactly the job error codes. A check constraint calls its function with
-- the privileges of the role writing the row: service_role may execute this one (it may
-- write the table directly); no other API role writes it.
alter table public.plan_generation_jobs drop constraint plan_generation_jobs_error_code_known;
alter table public.plan_generation_jobs add constraint plan_generation_jobs_error_code_known
    check (error_code is null or error_code = any (plan_jobs_internal.job_error_codes()));


-- fail_plan_job: as in the backoff migration, with the codes and the never-retried codes from
-- their functions (the refusal's hint lists them from there too).
create or replace function public.fail_plan_job(
    p_job_id uuid,
    p_claim_token uuid,
    p_error_code text,
    p_error_message text,
    p_retryable boolean default true,
    p_retry_after interval default null,
    p_retry_base interval default '10 seconds',
    p_retry_cap interval default '10 minutes')
returns public.plan_generation_jobs
language plpgsql
security definer
set search_path = ''
set enable_seqscan = off
as $$
declare
    v_job public.plan_generation_jobs;
    v_attempt integer;
    v_message text;
    v_requeue boolean;
    v_run_after timestamptz;
begin
    if p_error_code is null or not p_error_code = any (plan_jobs_internal.attempt_error_codes()) then
        raise exception 'p_error_code % is not an attempt error code', coalesce(p_error_code, 'null')
            using errcode = 'PT400',
                  hint = 'one of ' || array_to_string(plan_jobs_internal.attempt_error_codes(), ', ');
    end if;
    perform plan_jobs_internal.require_backoff(p_retry_base, p_retry_cap, p_retry_after);

    v_job := plan_jobs_internal.lock_held_job(p_job_id, p_claim_token);

    v_attempt := v_job.retry_count + 1;
    v_message := left(coalesce(nullif(btrim(p_error_message), ''),
                               p_error_code || ' (the worker gave no message)'), 2000);
    -- Quota and configuration errors cannot succeed on a retry (docs/decisions.md D13).
    v_requeue := coalesce(p_retryable, true)
                 and not p_error_code = any (plan_jobs_internal.never_retried_error_codes())
                 and v_attempt < v_job.max_retries;
    if v_requeue then
        v_run_after := now() + plan_jobs_internal.retry_delay(
            v_attempt, p_retry_base, p_retry_cap, p_retry_after);
    end if;

    update public.plan_generation_jobs
       set retry_count   = v_attempt,
           status        = case when v_requeue then 'pending' else 'failed' end,
           completed_at  = case when v_requeue then null else now() end,
           run_after     = v_run_after,
           error_code    = p_error_code,
           error_message = v_message,
           errors        = errors || plan_jobs_internal.error_entry(
                               v_attempt, p_error_code, v_message, claimed_by, v_run_after),
           claimed_by    = null,
           claim_token   = null,
           updated_at    = now()
     where id = p_job_id
    returning * into v_job;

    return v_job;
end
$$;


-- The shared body of stuck recovery, with the stuck predicate from its function.
create or replace function plan_jobs_internal.abandon_attempts(
    p_job_ids uuid[], p_stuck_after interval, p_retry_base interval, p_retry_cap interval)
returns setof public.plan_generation_jobs
language sql
volatile
set search_path = ''
as $$
    update public.plan_generation_jobs j
       set retry_count   = j.retry_count + 1,
           status        = case when j.retry_count + 1 < j.max_retries then 'pending' else 'failed' end,
           completed_at  = case when j.retry_count + 1 < j.max_retries then null else now() end,
           run_after     = scheduled.run_after,
           error_code    = 'WORKER_TIMEOUT',
           error_message = format(
               'attempt %s abandoned: worker %s claimed the job at %s and did not finish it within %s',
               j.retry_count + 1, coalesce(j.claimed_by, '(unknown)'), j.started_at, p_stuck_after),
           errors        = j.errors || plan_jobs_internal.error_entry(
               j.retry_count + 1, 'WORKER_TIMEOUT',
               format('attempt abandoned: not finished within %s', p_stuck_after), j.claimed_by,
               scheduled.run_after),
           claimed_by    = null,
           claim_token   = null,
           updated_at    = now()
      from (select s.id,
                   case when s.retry_count + 1 < s.max_retries
                        then now() + plan_jobs_internal.retry_delay(
                                 s.retry_count + 1, p_retry_base, p_retry_cap, null)
                   end as run_after
              from public.plan_generation_jobs s
             where s.id = any (p_job_ids)) scheduled
     where j.id = scheduled.id
       and plan_jobs_internal.is_stuck(j.status, j.started_at, p_stuck_after)
    returning j.*
$$;


-- reset_stuck_plan_jobs: every stuck job is an abandoned attempt.
create or replace function public.reset_stuck_plan_jobs(
    p_stuck_after interval default '10 minutes',
    p_retry_base interval default '10 seconds',
    p_retry_cap interval default '10 minutes')
returns integer
language plpgsql
security definer
set search_path = ''
set enable_seqscan = off
as $$
declare
    v_ids uuid[];
    v_count integer;
begin
    perform plan_jobs_internal.require_positive_interval(p_stuck_after, 'p_stuck_after');
    perform plan_jobs_internal.require_backoff(p_retry_base, p_retry_cap, null);

    select coalesce(array_agg(id), '{}') into v_ids
      from (select id
              from public.plan_generation_jobs
             where plan_jobs_internal.is_stuck(status, started_at, p_stuck_after)
             for update skip locked) stuck;

    select count(*) into v_count
      from plan_jobs_internal.abandon_attempts(v_ids, p_stuck_after, p_retry_base, p_retry_cap);
    return v_count;
end
$$;


-- reset_stuck_plan_job: the same for one job; an owner's threshold is at least the default.
create or replace function public.reset_stuck_plan_job(
    p_job_id uuid,
    p_stuck_after interval default '10 minutes',
    p_retry_base interval default '10 seconds',
    p_retry_cap interval default '10 minutes')
returns public.plan_generation_jobs
language plpgsql
security definer
set search_path = ''
set enable_seqscan = off
as $$
declare
    v_job public.plan_generation_jobs;
    v_stuck_after interval;
    v_service boolean;
begin
    if p_job_id is null then
        raise exception 'p_job_id is required' using errcode = 'PT400';
    end if;
    perform plan_jobs_internal.require_positive_interval(p_stuck_after, 'p_stuck_after');
    perform plan_jobs_internal.require_backoff(p_retry_base, p_retry_cap, null);

    select * into v_job from public.plan_generation_jobs where id = p_job_id for update;
    if not found or not plan_jobs_internal.caller_may_act_for(v_job.user_id) then
        raise exception 'plan job % not found', p_job_id using errcode = 'PT404';
    end if;

    -- An owner may not shorten the threshold (abandoning a live attempt would start a
    -- second, paid one beside it) nor the backoff (a burst of retries against an
    -- upstream that is failing): their values are raised to the defaults.
    v_service := plan_jobs_internal.caller_is_service();
    v_stuck_after := case when v_service then p_stuck_after
                          else greatest(p_stuck_after, plan_jobs_internal.default_stuck_after()) end;
    if plan_jobs_internal.is_stuck(v_job.status, v_job.started_at, v_stuck_after) then
        select * into v_job
          from plan_jobs_internal.abandon_attempts(
                   array[p_job_id], v_stuck_after,
                   case when v_service then p_retry_base
                        else greatest(p_retry_base, interval '10 seconds') end,
                   case when v_service then p_retry_cap
                        else greatest(p_retry_cap, interval '10 minutes') end);
    end if;
    return v_job;
end
$$;


-- plan_job_health: the stuck count by the same predicate and default threshold.
create or replace function public.plan_job_health(p_window interval default '1 hour')
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
    v_since timestamptz;
    v_result jsonb;
begin
    perform plan_jobs_internal.require_positive_interval(p_window, 'p_window');
    v_since := now() - p_window;

    select jsonb_build_object(
        'generated_at', now(),
        'window_seconds', extract(epoch from p_window)::bigint,
        'counts_by_status', (
            select jsonb_object_agg(s.status, coalesce(c.n, 0))
              from unnest(array['pending', 'processing', 'completed', 'failed', 'cancelled']) as s(status)
              left join (select status, count(*) as n
                           from public.plan_generation_jobs group by status) c using (status)),
        'stuck_count', (
            select count(*) from public.plan_generation_jobs
             where plan_jobs_internal.is_stuck(
                       status, started_at, plan_jobs_internal.default_stuck_after())),
        'oldest_pending_age_seconds', (
            select round(extract(epoch from now() - min(greatest(updated_at, run_after)))::numeric, 3)
              from public.plan_generation_jobs
             where status = 'pending'
               and coalesce(run_after, '-infinity'::timestamptz) <= now()),
        'backoff_count', (
            select count(*) from public.plan_generation_jobs
             where status = 'pending' and run_after > now()),
        'attempt_errors', (
            select coalesce(jsonb_object_agg(code, n), '{}'::jsonb)
              from (select e ->> 'error_code' as code, count(*) as n
                      from public.plan_generation_jobs j,
                           jsonb_array_elements(j.errors) e
                     where (e ->> 'at')::timestamptz >= v_since
                     group by 1) a),
        'final_error_codes', (
            select coalesce(jsonb_object_agg(error_code, n), '{}'::jsonb)
              from (select error_code, count(*) as n
                      from public.plan_generation_jobs
                     where status in ('failed', 'cancelled')
                       and completed_at >= v_since
                       and error_code is not null
                     group by 1) f),
        'retry_histogram', (
            select coalesce(jsonb_object_agg(retry_count::text, n), '{}'::jsonb)
              from (select retry_count, count(*) as n
                      from public.plan_generation_jobs
                     where status in ('completed', 'failed', 'cancelled')
                       and completed_at >= v_since
                     group by 1) r),
        'completed_count', (
            select count(*) from public.plan_generation_jobs
             where status = 'completed' and completed_at >= v_since),
        'duration_p50_seconds', (
            select round(percentile_cont(0.5) within group (
                       order by extract(epoch from completed_at - created_at))::numeric, 3)
              from public.plan_generation_jobs
             where status = 'completed' and completed_at >= v_since),
        'duration_p95_seconds', (
            select round(percentile_cont(0.95) within group (
                       order by extract(epoch from completed_at - created_at))::numeric, 3)
              from public.plan_generation_jobs
             where status = 'completed' and completed_at >= v_since)
    ) into v_result;
    return v_result;
end
$$;


-- Grants. Supabase's default privileges would let every API role execute new functions;
-- that is taken back, and only the constraint's function is given to service_role.
revoke all on function plan_jobs_internal.attempt_error_codes() from public, anon, authenticated, service_role;
revoke all on function plan_jobs_internal.never_retried_error_codes()
    from public, anon, authenticated, service_role;
revoke all on function plan_jobs_internal.job_error_codes() from public, anon, authenticated, service_role;
revoke all on function plan_jobs_internal.default_stuck_after() from public, anon, authenticated, service_role;
revoke all on function plan_jobs_internal.is_stuck(text, timestamptz, interval)
    from public, anon, authenticated, service_role;
grant execute on function plan_jobs_internal.attempt_error_codes() to service_role;
grant execute on function plan_jobs_internal.job_error_codes() to service_role;
