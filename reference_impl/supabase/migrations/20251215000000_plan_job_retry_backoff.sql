-- Plan generation queue: backoff between attempts (docs/contract.md, "Backoff between
-- attempts"; docs/decisions.md D19).
--
-- A retryable failure (fail_plan_job) or an abandoned attempt (stuck recovery) no longer
-- puts the job in front of the claim at once: it schedules the next attempt at
-- run_after = now() + a delay that doubles with every attempt used, with jitter, capped;
-- a longer Retry-After from DeepSeek wins. The claims take only due jobs (run_after null
-- or past), still oldest first by (created_at, id). Stale expiry and the health report
-- count a pending job's wait from when it became due, not from when it was requeued.
--
-- A migration of its own rather than edits of the earlier files: a deployed project gets
-- it with `supabase db push`. Functions whose arguments change are dropped and created
-- again (an added argument would make a second overload, which PostgREST cannot choose
-- between) and granted again; the others are replaced in place.

alter table public.plan_generation_jobs add column run_after timestamptz;

comment on column public.plan_generation_jobs.run_after is
    'When the next attempt may start; null or past means due. Set by a retryable failure and '
    'by stuck recovery, cleared by the claim and by a failure that ends the job.';


-- The claim reads pending jobs in (created_at, id) order, as before, and passes over the
-- ones still waiting for their backoff by an index condition on the third column: they
-- are skipped inside the index, their rows never read. The expression must be written
-- exactly so in the claims for the planner to use it.
drop index public.plan_generation_jobs_pending_claim_idx;
create index plan_generation_jobs_pending_claim_idx
    on public.plan_generation_jobs (created_at, id, (coalesce(run_after, '-infinity'::timestamptz)))
    where status = 'pending';


-- Bad backoff arguments are refused before anything is read or changed. Base and cap are
-- at most a day: a longer wait is no retry a user waits for, and the doubling of a longer
-- base could leave the interval range.
create or replace function plan_jobs_internal.require_backoff(
    p_retry_base interval, p_retry_cap interval, p_retry_after interval)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
    perform plan_jobs_internal.require_positive_interval(p_retry_base, 'p_retry_base');
    perform plan_jobs_internal.require_positive_interval(p_retry_cap, 'p_retry_cap');
    if p_retry_cap > interval '1 day' then
        raise exception 'p_retry_cap must be at most 1 day, got %', p_retry_cap using errcode = 'PT400';
    end if;
    if p_retry_cap < p_retry_base then
        raise exception 'p_retry_cap (%) must not be shorter than p_retry_base (%)', p_retry_cap, p_retry_base
            using errcode = 'PT400';
    end if;
    if p_retry_after < interval '0' then
        raise exception 'p_retry_after must be null, zero or positive, got %', p_retry_after
            using errcode = 'PT400';
    end if;
end
$$;

-- The wait before the next attempt once p_attempts attempts failed or were abandoned:
-- "equal jitter" over [c/2, c] with c = least(p_retry_cap, p_retry_base * 2^p_attempts),
-- so the n-th retry waits at least p_retry_base * 2^(n-1) (or half the cap), at most
-- twice that, never more than the cap. An upstream Retry-After that asks for longer wins,
-- up to one hour (a larger or absurd header must not park a job for days). The exponent
-- stops at 20 (max_retries is at most 20): with base <= cap <= 1 day nothing overflows.
create or replace function plan_jobs_internal.retry_delay(
    p_attempts integer, p_retry_base interval, p_retry_cap interval, p_retry_after interval)
returns interval
language sql
volatile
set search_path = ''
as $$
    select greatest(
               c.top / 2 + c.top / 2 * random(),
               least(coalesce(p_retry_after, interval '0'), interval '1 hour'))
      from (select least(p_retry_cap, p_retry_base * power(2, least(greatest(p_attempts, 1), 20))) as top) c
$$;

-- One entry of the errors array, now with when the next attempt was scheduled (null when
-- the failure ended the job): the history of run_after survives the next claim.
create or replace function plan_jobs_internal.error_entry(
    p_attempt integer, p_error_code text, p_error_message text, p_worker text, p_run_after timestamptz)
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
        'worker', p_worker,
        'run_after', p_run_after)
$$;


-- claim_next_plan_jobs: up to p_limit due pending jobs, oldest first, each claimed for one
-- attempt. Jobs waiting for their backoff are passed over (docs/decisions.md D18, D19).
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

    return query
    with next_jobs as (
        select j.id
          from public.plan_generation_jobs j
         where j.status = 'pending'
           and coalesce(j.run_after, '-infinity'::timestamptz) <= now()
         order by j.created_at, j.id
         limit p_limit
         for update skip locked
    ), claimed as (
        update public.plan_generation_jobs j
           set status      = 'processing',
               started_at  = now(),
               updated_at  = now(),
               run_after   = null,
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


-- claim_next_plan_job: the oldest due pending job, claimed for one attempt.
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
           and coalesce(j.run_after, '-infinity'::timestamptz) <= now()
         order by j.created_at, j.id
         limit 1
         for update skip locked
    )
    update public.plan_generation_jobs j
       set status      = 'processing',
           started_at  = now(),
           updated_at  = now(),
           run_after   = null,
           claimed_by  = p_worker_id,
           claim_token = gen_random_uuid()
      from next_job
     where j.id = next_job.id
       and j.status = 'pending'
    returning j.*;
end
$$;


-- fail_plan_job: record a failed attempt; back to pending with the next attempt scheduled,
-- or failed at the limit.
drop function public.fail_plan_job(uuid, uuid, text, text, boolean);

create function public.fail_plan_job(
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
    if p_error_code is null or p_error_code not in (
        'AI_TIMEOUT', 'AI_RATE_LIMIT', 'AI_QUOTA_EXCEEDED', 'AI_UPSTREAM_ERROR', 'CONFIG_ERROR',
        'JSON_PARSE_ERROR', 'VALIDATION_FAILED', 'WORKER_TIMEOUT', 'UNEXPECTED_ERROR') then
        raise exception 'p_error_code % is not an attempt error code', coalesce(p_error_code, 'null')
            using errcode = 'PT400',
                  hint = 'one of AI_TIMEOUT, AI_RATE_LIMIT, AI_QUOTA_EXCEEDED, AI_UPSTREAM_ERROR, '
                         'CONFIG_ERROR, JSON_PARSE_ERROR, VALIDATION_FAILED, WORKER_TIMEOUT, '
                         'UNEXPECTED_ERROR';
    end if;
    perform plan_jobs_internal.require_backoff(p_retry_base, p_retry_cap, p_retry_after);

    v_job := plan_jobs_internal.lock_held_job(p_job_id, p_claim_token);

    v_attempt := v_job.retry_count + 1;
    v_message := left(coalesce(nullif(btrim(p_error_message), ''),
                               p_error_code || ' (the worker gave no message)'), 2000);
    -- Quota and configuration errors cannot succeed on a retry (docs/decisions.md D13).
    v_requeue := coalesce(p_retryable, true)
                 and p_error_code not in ('AI_QUOTA_EXCEEDED', 'CONFIG_ERROR')
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


-- The shared body of stuck recovery: one abandoned attempt for each given job, the next
-- one scheduled as after a failed attempt.
drop function plan_jobs_internal.abandon_attempts(uuid[], interval);

create function plan_jobs_internal.abandon_attempts(
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
       and j.status = 'processing'
       and j.started_at < now() - p_stuck_after
    returning j.*
$$;

drop function plan_jobs_internal.error_entry(integer, text, text, text);


-- reset_stuck_plan_jobs: every processing job older than the threshold is an abandoned attempt.
drop function public.reset_stuck_plan_jobs(interval);

create function public.reset_stuck_plan_jobs(
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
             where status = 'processing'
               and started_at < now() - p_stuck_after
             for update skip locked) stuck;

    select count(*) into v_count
      from plan_jobs_internal.abandon_attempts(v_ids, p_stuck_after, p_retry_base, p_retry_cap);
    return v_count;
end
$$;


-- reset_stuck_plan_job: the same for one job (the app's retry button); not stuck -> unchanged.
drop function public.reset_stuck_plan_job(uuid, interval);

create function public.reset_stuck_plan_job(
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
                          else greatest(p_stuck_after, interval '10 minutes') end;
    if v_job.status = 'processing' and v_job.started_at < now() - v_stuck_after then
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


-- expire_stale_pending_jobs: pending jobs no worker claimed within the window after they
-- became due fail as STALE_PENDING. A job waiting for its backoff is not stale: its wait
-- counts from greatest(updated_at, run_after), the later of its requeue and its due time.
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
           and greatest(updated_at, run_after) < now() - p_older_than
         for update skip locked
    )
    update public.plan_generation_jobs j
       set status        = 'failed',
           completed_at  = now(),
           updated_at    = now(),
           run_after     = null,
           error_code    = 'STALE_PENDING',
           error_message = format(
               'no worker claimed the job within %s of it becoming due (due since %s, %s of %s attempts used)',
               p_older_than, greatest(j.updated_at, j.run_after), j.retry_count, j.max_retries)
      from stale
     where j.id = stale.id
       and j.status = 'pending';

    get diagnostics v_count = row_count;
    return v_count;
end
$$;


-- plan_job_health: as before, with the oldest pending age counted from when the job
-- became due (jobs still waiting for their backoff are not waiting for a worker) and how
-- many pending jobs wait for their backoff.
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


-- Grants. The internal functions are reached only from the functions above; Supabase's
-- default privileges would let every API role execute them, so that is taken back first.
revoke all on function plan_jobs_internal.require_backoff(interval, interval, interval)
    from public, anon, authenticated, service_role;
revoke all on function plan_jobs_internal.retry_delay(integer, interval, interval, interval)
    from public, anon, authenticated, service_role;
revoke all on function plan_jobs_internal.error_entry(integer, text, text, text, timestamptz)
    from public, anon, authenticated, service_role;
revoke all on function plan_jobs_internal.abandon_attempts(uuid[], interval, interval, interval)
    from public, anon, authenticated, service_role;

revoke all on function public.fail_plan_job(uuid, uuid, text, text, boolean, interval, interval, interval)
    from public, anon, authenticated;
revoke all on function public.reset_stuck_plan_jobs(interval, interval, interval)
    from public, anon, authenticated;
revoke all on function public.reset_stuck_plan_job(uuid, interval, interval, interval)
    from public, anon, authenticated;

grant execute on function public.fail_plan_job(uuid, uuid, text, text, boolean, interval, interval, interval)
    to service_role;
grant execute on function public.reset_stuck_plan_jobs(interval, interval, interval) to service_role;
grant execute on function public.reset_stuck_plan_job(uuid, interval, interval, interval)
    to authenticated, service_role;
