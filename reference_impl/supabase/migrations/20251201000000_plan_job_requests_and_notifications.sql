-- Plan generation queue: creating jobs (idempotency, regeneration) and notifications.
--
-- create-plan-job calls enqueue_plan_job as service_role, so the rules of docs/contract.md "HTTP surface"
-- hold under concurrency: two requests of one user never create two jobs, and a
-- regeneration supersedes the in-flight job in the same transaction that creates the
-- new one. A notification row is written by a trigger whenever a job completes or fails
-- for good, whichever path got it there (a worker, stuck recovery, stale expiry).

-- enqueue_plan_job: the user's active job, or a new one; refusals:
--   PT429  a regeneration within the cooldown after the last completed plan; the detail
--          is JSON {"nextAllowedAt": "<timestamptz>"}
--   PT400  bad arguments
create or replace function public.enqueue_plan_job(
    p_user_id uuid,
    p_input jsonb,
    p_regenerate boolean default false,
    p_max_retries integer default 3,
    p_cooldown interval default '14 days')
returns table (job_id uuid, status text, created boolean, superseded_job_id uuid)
language plpgsql
security definer
set search_path = ''
set enable_seqscan = off
as $$
declare
    v_active public.plan_generation_jobs;
    v_last_completed timestamptz;
    v_next_allowed timestamptz;
    v_superseded uuid;
    v_new public.plan_generation_jobs;
begin
    if p_user_id is null then
        raise exception 'p_user_id is required' using errcode = 'PT400';
    end if;
    if p_input is null or jsonb_typeof(p_input) <> 'object' then
        raise exception 'p_input must be a JSON object' using errcode = 'PT400';
    end if;
    if p_max_retries is null or p_max_retries not between 1 and 20 then
        raise exception 'p_max_retries must be from 1 to 20, got %', coalesce(p_max_retries::text, 'null')
            using errcode = 'PT400';
    end if;
    if p_cooldown is null or p_cooldown < interval '0' then
        raise exception 'p_cooldown must be zero or positive' using errcode = 'PT400';
    end if;

    -- One request per user at a time decides; the others then see its result.
    perform pg_advisory_xact_lock(hashtextextended('plan_generation_jobs:' || p_user_id::text, 0));

    select * into v_active
      from public.plan_generation_jobs j
     where j.user_id = p_user_id and j.status in ('pending', 'processing')
     for update;

    if found and not coalesce(p_regenerate, false) then
        return query select v_active.id, v_active.status, false, null::uuid;
        return;
    end if;

    select max(j.completed_at) into v_last_completed
      from public.plan_generation_jobs j
     where j.user_id = p_user_id and j.status = 'completed';
    v_next_allowed := v_last_completed + p_cooldown;
    if v_last_completed is not null and v_next_allowed > now() then
        raise exception 'a new plan can be generated from %', v_next_allowed
            using errcode = 'PT429',
                  detail = jsonb_build_object('nextAllowedAt', v_next_allowed)::text,
                  hint = format('plans can be regenerated once every %s', p_cooldown);
    end if;

    if v_active.id is not null then
        update public.plan_generation_jobs j
           set status        = 'cancelled',
               completed_at  = now(),
               updated_at    = now(),
               error_code    = 'SUPERSEDED',
               error_message = 'superseded by a regeneration requested by the user',
               claim_token   = null
         where j.id = v_active.id;
        v_superseded := v_active.id;
    end if;

    insert into public.plan_generation_jobs (user_id, input, max_retries)
    values (p_user_id, p_input, p_max_retries)
    returning * into v_new;

    return query select v_new.id, v_new.status, true, v_superseded;
end
$$;

revoke all on function public.enqueue_plan_job(uuid, jsonb, boolean, integer, interval)
    from public, anon, authenticated;
grant execute on function public.enqueue_plan_job(uuid, jsonb, boolean, integer, interval)
    to service_role;


-- Push notifications to send: one per job that completed or failed for good.
create table public.plan_notifications (
    id           uuid primary key default gen_random_uuid(),
    user_id      uuid not null references auth.users (id) on delete cascade,
    job_id       uuid not null references public.plan_generation_jobs (id) on delete cascade,
    kind         text not null,
    title        text not null,
    body         text not null,
    deep_link    text not null,
    created_at   timestamptz not null default now(),
    delivered_at timestamptz,

    constraint plan_notifications_kind_check check (kind in ('plan_ready', 'plan_failed')),
    constraint plan_notifications_one_per_job unique (job_id),
    constraint plan_notifications_deep_link_check
        check (deep_link like '/plan-preview?jobId=%' or deep_link like '/plan-building?jobId=%')
);

create index plan_notifications_undelivered_idx
    on public.plan_notifications (created_at)
    where delivered_at is null;

alter table public.plan_notifications enable row level security;

create policy "owner can read own plan notifications"
    on public.plan_notifications
    for select
    to authenticated
    using ((select auth.uid()) = user_id);

revoke all on table public.plan_notifications from public, anon, authenticated;
grant select on table public.plan_notifications to authenticated;
grant select, insert, update, delete on table public.plan_notifications to service_role;

create or replace function plan_jobs_internal.notify_plan_job_finished()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
    if new.status = 'completed' then
        insert into public.plan_notifications (user_id, job_id, kind, title, body, deep_link)
        values (new.user_id, new.id, 'plan_ready', 'Your weekly plan is ready',
                'Tap to see your new training and nutrition plan.',
                '/plan-preview?jobId=' || new.id)
        on conflict (job_id) do nothing;
    elsif new.status = 'failed' then
        insert into public.plan_notifications (user_id, job_id, kind, title, body, deep_link)
        values (new.user_id, new.id, 'plan_failed', 'We could not build your plan',
                'Tap to see what happened and try again.',
                '/plan-building?jobId=' || new.id)
        on conflict (job_id) do nothing;
    end if;
    return new;
end
$$;

revoke all on function plan_jobs_internal.notify_plan_job_finished() from public, anon, authenticated, service_role;

create trigger plan_generation_jobs_notify_finished
    after update of status on public.plan_generation_jobs
    for each row
    when (old.status is distinct from new.status and new.status in ('completed', 'failed'))
    execute function plan_jobs_internal.notify_plan_job_finished();
