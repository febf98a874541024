-- Plan generation queue: the functions every mutation goes through (docs/contract.md "Functions").
--
-- Refusals raise with SQLSTATE PTxyz so PostgREST answers HTTP xyz:
--   PT400  an argument is missing or wrong (the message names it)
--   PT404  no such job, or a job of another user (never says which)
--   PT409  the claim token is not the job's current one (stale worker, recovered or
--          cancelled attempt); nothing is changed
--
-- Retry semantics (docs/contract.md "Retry semantics"), in one sentence: each failed or abandoned attempt adds
-- one to retry_count, and the call that makes retry_count reach max_retries, or records
-- a non-retryable error, makes the job `failed`.

create schema if not exists plan_jobs_internal;
revoke all on schema plan_jobs_internal from public;
grant usage on schema plan_jobs_internal to anon, authenticated, service_role;

-- The SQL role the request runs as: the role set with SET ROLE (PostgREST does that per
-- request), else the session user. SECURITY DEFINER does not change it.
create or replace function plan_jobs_internal.request_role()
returns text
language sql
stable
set search_path = ''
as $$
    select case
        when coalesce(current_setting('role', true), 'none') in ('', 'none') then session_user::text
        else current_setting('role', true)
    end
$$;

-- The service is service_role, or an operator role that is not one of the API roles
-- (a migration, pg_cron or psql session as postgres).
create or replace function plan_jobs_internal.caller_is_service()
returns boolean
language sql
stable
set search_path = ''
as $$
    select plan_jobs_internal.request_role() not in ('anon', 'authenticated', 'authenticator')
$$;

-- The caller may act on a job of this user: the service, or the owner themself.
create or replace function plan_jobs_internal.caller_may_act_for(p_user_id uuid)
returns boolean
language sql
stable
set search_path = ''
as $$
    select plan_jobs_internal.caller_is_service()
        or (plan_jobs_internal.request_role() = 'authenticated'
            and auth.uid() is not null
            and auth.uid() = p_user_id)
$$;

create or replace function plan_jobs_internal.require_positive_interval(p_value interval, p_name text)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
    if p_value is null or p_value <= interval '0' then
        raise exception '% must be a positive interval, got %', p_name, coalesce(p_value::text, 'null')
            using errcode = 'PT400', hint = format('pass e.g. %L', '10 minutes');
    end if;
end
$$;

-- One entry of the errors array: what failed, when, in which attempt, on which worker.
create or replace function plan_jobs_internal.error_entry(
    p_attempt integer, p_error_code text, p_error_message text, p_worker text)
returns jsonb
language sql
stable
set search_path = ''
as $$
    select jsonb_build_object(
        'attempt', p_attempt,
        'at', now(),
        'error_code', p_error_code,
        'error_message', p_error_message,
        'worker', p_worker)
$$;

-- The fence of complete and fail: the job, locked, if `p_claim_token` is its current
-- attempt's token; else PT404 (no such job) or PT409 (recovered, cancelled, finished).
create or replace function plan_jobs_internal.lock_held_job(p_job_id uuid, p_claim_token uuid)
returns public.plan_generation_jobs
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_job public.plan_generation_jobs;
begin
    if p_job_id is null then
        raise exception 'p_job_id is required' using errcode = 'PT400';
    end if;
    if p_claim_token is null then
        raise exception 'p_claim_token is required' using errcode = 'PT400';
    end if;
    select * into v_job from public.plan_generation_jobs where id = p_job_id for update;
    if not found then
        raise exception 'plan job % not found', p_job_id using errcode = 'PT404';
    end if;
    if v_job.status <> 'processing' or v_job.claim_token is distinct from p_claim_token then
        raise exception 'plan job % is not held by this claim', p_job_id
            using errcode = 'PT409',
                  detail = format('status is %s; the claim token %s', v_job.status,
                                  case when v_job.claim_token is null then 'was cleared'
                                       else 'belongs to a newer attempt' end),
                  hint = 'the attempt was recovered, cancelled or already finished; drop its result';
    end if;
    return v_job;
end
$$;

revoke all on all functions in schema plan_jobs_internal from public, anon, authenticated, service_role;


-- Every function below that reads or writes jobs and plans by key runs with
-- enable_seqscan = off (docs/decisions.md D17): PL/pgSQL caches its plans per connection,
-- and on a young or freshly analyzed empty table the planner would pick a sequential scan
-- that stays in that connection's cache while the table grows. With the setting, the
-- plan goes through the index from the first row on; statements with no usable index
-- still scan (the setting only ranks index paths first).

-- claim_next_plan_jobs: up to p_limit oldest pending jobs, each claimed for one attempt.
create or replace function public.claim_next_plan_jobs(p_worker_id text, p_limit integer)
returns setof public.plan_generation_jobs
language plpgsql
security definer
set search_path = ''
set enable_seqscan = off
set plan_cache_mode = force_generic_plan
as $$
begin
    if p_worker_id is null or btrim(p_worker_id) = '' then
        raise exception 'p_worker_id is required (a name for the worker claiming the job)'
            using errcode = 'PT400';
    end if;
    if p_limit is null or p_limit not between 1 and 100 then
        raise exception 'p_limit must be from 1 to 100, got %', coalesce(p_limit::text, 'null')
            using errcode = 'PT400';
    end if;

    -- The claim order is exactly the partial index (created_at, id) where pending: the
    -- scan stops after p_limit unlocked rows and never sorts the queue. The plan is the
    -- generic one (plan_cache_mode above): with a custom plan per p_limit the statement
    -- would be planned again on every call.
    return query
    with next_jobs as (
        select j.id
          from public.plan_generation_jobs j
         where j.status = 'pending'
         order by j.created_at, j.id
         limit p_limit
         for update skip locked
    ), claimed as (
        update public.plan_generation_jobs j
           set status      = 'processing',
               started_at  = now(),
               updated_at  = now(),
               claimed_by  = p_worker_id,
               claim_token = gen_random_uuid()
          from next_jobs
         where j.id = next_jobs.id
           and j.status = 'pending'
        returning j.*
    )
    select * from claimed order by claimed.created_at, claimed.id;
end
$$;


-- claim_next_plan_job: the oldest pending job, claimed for one attempt. The same claim as
-- claim_next_plan_jobs with a constant limit (a call of it from here would cost a nested
-- function scan and a replanned statement per claim).
create or replace function public.claim_next_plan_job(p_worker_id text)
returns setof public.plan_generation_jobs
language plpgsql
security definer
set search_path = ''
set enable_seqscan = off
as $$
begin
    if p_worker_id is null or btrim(p_worker_id) = '' then
        raise exception 'p_worker_id is required (a name for the worker claiming the job)'
            using errcode = 'PT400';
    end if;

    return query
    with next_job as (
        select j.id
          from public.plan_generation_jobs j
         where j.status = 'pending'
         order by j.created_at, j.id
         limit 1
         for update skip locked
    )
    update public.plan_generation_jobs j
       set status      = 'processing',
           started_at  = now(),
           updated_at  = now(),
           claimed_by  = p_worker_id,
           claim_token = gen_random_uuid()
      from next_job
     where j.id = next_job.id
       and j.status = 'pending'
    returning j.*;
end
$$;


-- complete_plan_job: save the plan and finish the job, only for the current claim.
create or replace function public.complete_plan_job(p_job_id uuid, p_claim_token uuid, p_plan jsonb)
returns public.plan_generation_jobs
language plpgsql
security definer
set search_path = ''
set enable_seqscan = off
as $$
declare
    v_job public.plan_generation_jobs;
    v_plan_id uuid;
begin
    if p_plan is null or jsonb_typeof(p_plan) <> 'object' then
        raise exception 'p_plan must be a JSON object, got %', coalesce(jsonb_typeof(p_plan), 'null')
            using errcode = 'PT400';
    end if;
    v_job := plan_jobs_internal.lock_held_job(p_job_id, p_claim_token);

    update public.weekly_base_plans
       set is_active = false
     where user_id = v_job.user_id
       and is_active;

    insert into public.weekly_base_plans (user_id, job_id, plan, targets, is_active)
    values (v_job.user_id, v_job.id, p_plan, v_job.input -> 'targets', true)
    returning id into v_plan_id;

    update public.plan_generation_jobs
       set status        = 'completed',
           completed_at  = now(),
           updated_at    = now(),
           plan_id       = v_plan_id,
           claim_token   = null,
           error_code    = null,
           error_message = null
     where id = p_job_id
    returning * into v_job;

    return v_job;
end
$$;


-- fail_plan_job: record a failed attempt; back to pending, or failed at the limit.
create or replace function public.fail_plan_job(
    p_job_id uuid,
    p_claim_token uuid,
    p_error_code text,
    p_error_message text,
    p_retryable boolean default true)
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
    v_retryable boolean;
begin
    if p_error_code is null or p_error_code not in (
        'AI_TIMEOUT', 'AI_RATE_LIMIT', 'AI_QUOTA_EXCEEDED', 'AI_UPSTREAM_ERROR', 'CONFIG_ERROR',
        'JSON_PARSE_ERROR', 'VALIDATION_FAILED', 'WORKER_TIMEOUT', 'UNEXPECTED_ERROR') then
        raise exception 'p_error_code % is not an attempt error code', coalesce(p_error_code, 'null')
            using errcode = 'PT400',
                  hint = 'one of AI_TIMEOUT, AI_RATE_LIMIT, AI_QUOTA_EXCEEDED, AI_UPSTREAM_ERROR, '
                         'CONFIG_ERROR, JSON_PARSE_ERROR, VALIDATION_FAILED, WORKER_TIMEOUT, '
                         'UNEXPECTED_ERROR';
    end if;

    v_job := plan_jobs_internal.lock_held_job(p_job_id, p_claim_token);

    v_attempt := v_job.retry_count + 1;
    v_message := left(coalesce(nullif(btrim(p_error_message), ''),
                               p_error_code || ' (the worker gave no message)'), 2000);
    -- Quota and configuration errors cannot succeed on a retry (docs/contract.md "Error codes").
    v_retryable := coalesce(p_retryable, true)
                   and p_error_code not in ('AI_QUOTA_EXCEEDED', 'CONFIG_ERROR');

    update public.plan_generation_jobs
       set retry_count   = v_attempt,
           status        = case when v_retryable and v_attempt < max_retries
                                then 'pending' else 'failed' end,
           completed_at  = case when v_retryable and v_attempt < max_retries
                                then null else now() end,
           error_code    = p_error_code,
           error_message = v_message,
           errors        = errors || plan_jobs_internal.error_entry(
                               v_attempt, p_error_code, v_message, claimed_by),
           claimed_by    = null,
           claim_token   = null,
           updated_at    = now()
     where id = p_job_id
    returning * into v_job;

    return v_job;
end
$$;


-- The shared body of stuck recovery: one abandoned attempt for each given job.
create or replace function plan_jobs_internal.abandon_attempts(p_job_ids uuid[], p_stuck_after interval)
returns setof public.plan_generation_jobs
language sql
volatile
set search_path = ''
as $$
    update public.plan_generation_jobs j
       set retry_count   = j.retry_count + 1,
           status        = case when j.retry_count + 1 < j.max_retries then 'pending' else 'failed' end,
           completed_at  = case when j.retry_count + 1 < j.max_retries then null else now() end,
           error_code    = 'WORKER_TIMEOUT',
           error_message = format(
               'attempt %s abandoned: worker %s claimed the job at %s and did not finish it within %s',
               j.retry_count + 1, coalesce(j.claimed_by, '(unknown)'), j.started_at, p_stuck_after),
           errors        = j.errors || plan_jobs_internal.error_entry(
               j.retry_count + 1, 'WORKER_TIMEOUT',
               format('attempt abandoned: not finished within %s', p_stuck_after), j.claimed_by),
           claimed_by    = null,
           claim_token   = null,
           updated_at    = now()
     where j.id = any (p_job_ids)
       and j.status = 'processing'
       and j.started_at < now() - p_stuck_after
    returning j.*
$$;

revoke all on function plan_jobs_internal.abandon_attempts(uuid[], interval)
    from public, anon, authenticated, service_role;


-- reset_stuck_plan_jobs: every processing job older than the threshold is an abandoned attempt.
create or replace function public.reset_stuck_plan_jobs(p_stuck_after interval default '10 minutes')
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

    select coalesce(array_agg(id), '{}') into v_ids
      from (select id
              from public.plan_generation_jobs
             where status = 'processing'
               and started_at < now() - p_stuck_after
             for update skip locked) stuck;

    select count(*) into v_count
      from plan_jobs_internal.abandon_attempts(v_ids, p_stuck_after);
    return v_count;
end
$$;


-- reset_stuck_plan_job: the same for one job (the app's retry button); not stuck -> unchanged.
create or replace function public.reset_stuck_plan_job(
    p_job_id uuid, p_stuck_after interval default '10 minutes')
returns public.plan_generation_jobs
language plpgsql
security definer
set search_path = ''
set enable_seqscan = off
as $$
declare
    v_job public.plan_generation_jobs;
    v_stuck_after interval;
begin
    if p_job_id is null then
        raise exception 'p_job_id is required' using errcode = 'PT400';
    end if;
    perform plan_jobs_internal.require_positive_interval(p_stuck_after, 'p_stuck_after');

    select * into v_job from public.plan_generation_jobs where id = p_job_id for update;
    if not found or not plan_jobs_internal.caller_may_act_for(v_job.user_id) then
        raise exception 'plan job % not found', p_job_id using errcode = 'PT404';
    end if;

    -- An owner may not shorten the threshold: abandoning a live attempt would start a
    -- second, paid one beside it and flip the job between pending and processing.
    v_stuck_after := case when plan_jobs_internal.caller_is_service() then p_stuck_after
                          else greatest(p_stuck_after, interval '10 minutes') end;
    if v_job.status = 'processing' and v_job.started_at < now() - v_stuck_after then
        select * into v_job
          from plan_jobs_internal.abandon_attempts(array[p_job_id], v_stuck_after);
    end if;
    return v_job;
end
$$;


-- expire_stale_pending_jobs: pending jobs nobody claimed for too long fail as STALE_PENDING.
create or replace function public.expire_stale_pending_jobs(p_older_than interval default '30 minutes')
returns integer
language plpgsql
security definer
set search_path = ''
set enable_seqscan = off
as $$
declare
    v_count integer;
begin
    perform plan_jobs_internal.require_positive_interval(p_older_than, 'p_older_than');

    with stale as (
        select id
          from public.plan_generation_jobs
         where status = 'pending'
           and updated_at < now() - p_older_than
         for update skip locked
    )
    update public.plan_generation_jobs j
       set status        = 'failed',
           completed_at  = now(),
           updated_at    = now(),
           error_code    = 'STALE_PENDING',
           error_message = format(
               'no worker claimed the job within %s (pending since %s, %s of %s attempts used)',
               p_older_than, j.updated_at, j.retry_count, j.max_retries)
      from stale
     where j.id = stale.id
       and j.status = 'pending';

    get diagnostics v_count = row_count;
    return v_count;
end
$$;


-- cancel_plan_job: pending/processing -> cancelled; terminal jobs are returned unchanged.
create or replace function public.cancel_plan_job(p_job_id uuid)
returns public.plan_generation_jobs
language plpgsql
security definer
set search_path = ''
set enable_seqscan = off
as $$
declare
    v_job public.plan_generation_jobs;
begin
    if p_job_id is null then
        raise exception 'p_job_id is required' using errcode = 'PT400';
    end if;

    select * into v_job from public.plan_generation_jobs where id = p_job_id for update;
    if not found or not plan_jobs_internal.caller_may_act_for(v_job.user_id) then
        raise exception 'plan job % not found', p_job_id using errcode = 'PT404';
    end if;

    if v_job.status in ('pending', 'processing') then
        update public.plan_generation_jobs
           set status        = 'cancelled',
               completed_at  = now(),
               updated_at    = now(),
               error_code    = 'CANCELLED',
               error_message = case when plan_jobs_internal.caller_is_service()
                                    then 'cancelled by the service'
                                    else 'cancelled by the user' end,
               claim_token   = null
         where id = p_job_id
        returning * into v_job;
    end if;
    return v_job;
end
$$;


-- get_active_plan_job: the caller's pending or processing job, or null.
create or replace function public.get_active_plan_job()
returns public.plan_generation_jobs
language sql
stable
security invoker
set search_path = ''
as $$
    select j.*
      from public.plan_generation_jobs j
     where j.user_id = auth.uid()
       and j.status in ('pending', 'processing')
     order by j.created_at desc
     limit 1
$$;


-- plan_job_health: what to watch after a rollout (docs/contract.md "plan_job_health").
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
             where status = 'processing' and started_at < now() - interval '10 minutes'),
        'oldest_pending_age_seconds', (
            select round(extract(epoch from now() - min(created_at))::numeric, 3)
              from public.plan_generation_jobs where status = 'pending'),
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


-- Who may call what (docs/contract.md "Functions"). Supabase's default privileges grant EXECUTE on new
-- functions to anon and authenticated, so every grant starts from a full revoke.
revoke all on function public.claim_next_plan_job(text) from public, anon, authenticated;
revoke all on function public.claim_next_plan_jobs(text, integer) from public, anon, authenticated;
revoke all on function public.complete_plan_job(uuid, uuid, jsonb) from public, anon, authenticated;
revoke all on function public.fail_plan_job(uuid, uuid, text, text, boolean) from public, anon, authenticated;
revoke all on function public.reset_stuck_plan_jobs(interval) from public, anon, authenticated;
revoke all on function public.reset_stuck_plan_job(uuid, interval) from public, anon, authenticated;
revoke all on function public.expire_stale_pending_jobs(interval) from public, anon, authenticated;
revoke all on function public.cancel_plan_job(uuid) from public, anon, authenticated;
revoke all on function public.get_active_plan_job() from public, anon, authenticated;
revoke all on function public.plan_job_health(interval) from public, anon, authenticated;

grant execute on function public.claim_next_plan_job(text) to service_role;
grant execute on function public.claim_next_plan_jobs(text, integer) to service_role;
grant execute on function public.complete_plan_job(uuid, uuid, jsonb) to service_role;
grant execute on function public.fail_plan_job(uuid, uuid, text, text, boolean) to service_role;
grant execute on function public.reset_stuck_plan_jobs(interval) to service_role;
grant execute on function public.reset_stuck_plan_job(uuid, interval) to authenticated, service_role;
grant execute on function public.expire_stale_pending_jobs(interval) to service_role;
grant execute on function public.cancel_plan_job(uuid) to authenticated, service_role;
grant execute on function public.get_active_plan_job() to authenticated;
grant execute on function public.plan_job_health(interval) to service_role;
