"""The schema comparison on real databases: the reference migrations conform; what the
contract lets implementations change is accepted; each change it depends on gives its line.

Each test alters a fresh copy of the migrated template, reflects it and compares.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from harness.schema import AREAS, QUEUE_SCHEMA, SchemaSnapshot, schema_mismatches
from harness.schema.contract import TIMESTAMPTZ
from harness.schema.model import Column, Index
from tests.schema.conftest import AlteredSchema


def _all_mismatches(snapshot: SchemaSnapshot) -> dict[str, list[str]]:
    return {area: lines for area in AREAS if (lines := schema_mismatches(snapshot, area))}


def test_the_reference_migrations_conform(schema_after: AlteredSchema) -> None:
    snapshot = schema_after("")

    assert set(snapshot.tables) == {table.name for table in QUEUE_SCHEMA.tables}
    assert set(snapshot.functions) == {function.name for function in QUEUE_SCHEMA.functions}
    assert _all_mismatches(snapshot) == {}


ACCEPTED = """
-- extra columns: nullable, or not null with a default
alter table public.plan_generation_jobs add column priority integer;
alter table public.plan_generation_jobs add column source text not null default 'app';
-- the claim index under another name and with a column more; an extra index
drop index public.plan_generation_jobs_pending_claim_idx;
create index jobs_claim_order on public.plan_generation_jobs
    (created_at, id, (coalesce(run_after, '-infinity'::timestamptz)), user_id) where status = 'pending';
create index jobs_by_error on public.plan_generation_jobs (error_code);
-- a check written another way and named otherwise
alter table public.plan_generation_jobs drop constraint plan_generation_jobs_status_check;
alter table public.plan_generation_jobs add constraint job_status_known
    check (status in ('pending', 'processing', 'completed', 'failed', 'cancelled'));
-- one plan per job as a unique index instead of a constraint
alter table public.weekly_base_plans drop constraint weekly_base_plans_one_per_job;
create unique index plans_one_per_job on public.weekly_base_plans (job_id);
-- the owner policy without the sub-select, and a restrictive policy narrowing it
drop policy "owner can read own plan jobs" on public.plan_generation_jobs;
create policy "own jobs" on public.plan_generation_jobs for select to authenticated
    using (auth.uid() = user_id);
create policy "not deleted" on public.plan_generation_jobs as restrictive for select to authenticated
    using (status <> 'cancelled');
-- an extra function, and the reference's own table and enqueue function left out
create function public.queue_depth() returns bigint language sql
    as $$ select count(*) from public.plan_generation_jobs where status = 'pending' $$;
drop table public.plan_notifications cascade;
drop function public.enqueue_plan_job(uuid, jsonb, boolean, integer, interval);
"""


def test_differences_the_contract_allows_are_accepted(schema_after: AlteredSchema) -> None:
    snapshot = schema_after(ACCEPTED)

    assert "plan_notifications" not in snapshot.tables
    assert _all_mismatches(snapshot) == {}


REJECTED = [
    pytest.param(
        "alter table public.plan_generation_jobs alter column error_code set not null",
        "tables",
        "nullability of column public.plan_generation_jobs.error_code: expected nullable, found not null",
        id="nullability",
    ),
    pytest.param(
        "alter table public.plan_generation_jobs alter column claimed_by type varchar(64)",
        "tables",
        "type of column public.plan_generation_jobs.claimed_by: expected text, found varchar(64)",
        id="type",
    ),
    pytest.param(
        "alter table public.plan_generation_jobs alter column status drop default",
        "tables",
        "default of column public.plan_generation_jobs.status: expected 'pending'::text, found no default",
        id="default",
    ),
    pytest.param(
        "alter table public.plan_generation_jobs add column priority integer not null",
        "tables",
        "extra column public.plan_generation_jobs.priority: expected extra columns nullable or with a "
        "default",
        id="extra_column_without_default",
    ),
    pytest.param(
        "alter table public.plan_generation_jobs drop column claimed_by",
        "tables",
        "column public.plan_generation_jobs.claimed_by: expected text, found no such column",
        id="missing_column",
    ),
    pytest.param(
        "alter table public.plan_generation_jobs drop constraint plan_generation_jobs_active_below_limit;"
        " alter table public.plan_generation_jobs add constraint plan_generation_jobs_active_below_limit"
        " check (status not in ('pending', 'processing') or retry_count <= max_retries)",
        "constraints",
        "check plan_generation_jobs_active_below_limit on public.plan_generation_jobs: expected CHECK "
        "((status <> ALL (ARRAY['pending'::text, 'processing'::text])) OR retry_count < max_retries), "
        "found CHECK ((status <> ALL (ARRAY['pending'::text, 'processing'::text])) OR retry_count <= "
        "max_retries)",
        id="check_off_by_one",
    ),
    pytest.param(
        "alter table public.plan_notifications drop constraint plan_notifications_one_per_job",
        "constraints",
        "unique plan_notifications_one_per_job on public.plan_notifications: expected unique (job_id)",
        id="unique",
    ),
    pytest.param(
        "alter table public.weekly_base_plans drop constraint weekly_base_plans_user_id_fkey;"
        " alter table public.weekly_base_plans add foreign key (user_id) references auth.users (id)",
        "constraints",
        "foreign key (user_id) of public.weekly_base_plans: expected (user_id) references auth.users (id) "
        "on delete cascade, found weekly_base_plans_user_id_fkey references auth.users (id) on delete no "
        "action",
        id="foreign_key",
    ),
    pytest.param(
        "drop index public.plan_generation_jobs_one_active_per_user;"
        " create index plan_generation_jobs_one_active_per_user on public.plan_generation_jobs (user_id)"
        " where status in ('pending', 'processing')",
        "indexes",
        "index plan_generation_jobs_one_active_per_user on public.plan_generation_jobs: expected unique "
        "(user_id) WHERE status = ANY (ARRAY['pending'::text, 'processing'::text]), found "
        "plan_generation_jobs_one_active_per_user (user_id) WHERE",
        id="one_active_job_not_unique",
    ),
    pytest.param(
        "drop index public.weekly_base_plans_one_active_per_user;"
        " create unique index weekly_base_plans_one_active_per_user on public.weekly_base_plans "
        "(user_id, job_id)"
        " where is_active",
        "indexes",
        "index weekly_base_plans_one_active_per_user on public.weekly_base_plans: expected unique (user_id) "
        "WHERE is_active, found weekly_base_plans_one_active_per_user unique (user_id, job_id) WHERE "
        "is_active",
        id="one_active_plan_on_more_columns",
    ),
    pytest.param(
        "drop index public.plan_generation_jobs_pending_claim_idx;"
        " create index plan_generation_jobs_pending_claim_idx on public.plan_generation_jobs "
        "(created_at, id, (coalesce(run_after, '-infinity'::timestamptz)))",
        "indexes",
        "index plan_generation_jobs_pending_claim_idx on public.plan_generation_jobs: expected "
        "(created_at, id, COALESCE(run_after, '-infinity'::timestamp with time zone)) "
        "WHERE status = 'pending'::text, found plan_generation_jobs_pending_claim_idx (created_at, id, "
        "COALESCE(run_after, '-infinity'::timestamp with time zone));",
        id="claim_index_without_predicate",
    ),
    pytest.param(
        "alter table public.weekly_base_plans disable row level security",
        "row_level_security",
        "row level security on public.weekly_base_plans: expected enabled, found disabled",
        id="rls_disabled",
    ),
    pytest.param(
        'create policy "users write" on public.plan_generation_jobs for update to authenticated using (true)',
        "row_level_security",
        "extra policy 'users write' on public.plan_generation_jobs: expected no other permissive policy "
        "for app users, found UPDATE to authenticated using true",
        id="extra_permissive_policy",
    ),
    pytest.param(
        'drop policy "owner can read own weekly plans" on public.weekly_base_plans;'
        ' create policy "owner can read own weekly plans" on public.weekly_base_plans for select'
        " to authenticated, anon using (true)",
        "row_level_security",
        "policy 'owner can read own weekly plans' on public.weekly_base_plans: expected SELECT to "
        "authenticated using (( SELECT auth.uid() AS uid) = user_id), found SELECT to anon, authenticated "
        "using true",
        id="policy_reads_everything",
    ),
    pytest.param(
        "grant insert on public.plan_generation_jobs to authenticated",
        "table_grants",
        "authenticated's privileges on public.plan_generation_jobs: expected SELECT, found SELECT, INSERT",
        id="users_may_insert",
    ),
    pytest.param(
        "grant update (status) on public.plan_generation_jobs to authenticated",
        "table_grants",
        "authenticated's privileges on public.plan_generation_jobs: expected SELECT, found SELECT, UPDATE",
        id="column_grant",
    ),
    pytest.param(
        "grant select on public.weekly_base_plans to public",
        "table_grants",
        "anon's privileges on public.weekly_base_plans: expected none, found SELECT",
        id="granted_to_public",
    ),
    pytest.param(
        "revoke delete on public.plan_generation_jobs from service_role",
        "table_grants",
        "service_role's privileges on public.plan_generation_jobs: expected at least SELECT, INSERT, "
        "UPDATE, DELETE, found SELECT, INSERT, UPDATE, TRUNCATE",
        id="service_role_lacks_delete",
    ),
    pytest.param(
        "create function public.fail_plan_job(p_job_id uuid, p_claim_token uuid, p_error_code text,"
        " p_error_message text) returns public.plan_generation_jobs language sql"
        " as $$ select null::public.plan_generation_jobs $$",
        "function_signatures",
        "second signature of function public.fail_plan_job: expected only (p_job_id uuid, p_claim_token "
        "uuid, p_error_code text, p_error_message text, p_retryable boolean DEFAULT true, p_retry_after "
        "interval DEFAULT NULL::interval, p_retry_base interval DEFAULT '00:00:10'::interval, p_retry_cap "
        "interval DEFAULT '00:10:00'::interval), found also (p_job_id uuid, "
        "p_claim_token uuid, p_error_code text, p_error_message text); a call that omits defaulted arguments "
        "is ambiguous between them: drop function public.fail_plan_job(uuid, uuid, text, text)",
        id="second_signature",
    ),
    pytest.param(
        "drop function public.cancel_plan_job(uuid);"
        " create function public.cancel_plan_job(job_id uuid) returns public.plan_generation_jobs"
        " language sql security definer set search_path = '' as $$ select "
        "null::public.plan_generation_jobs $$;"
        " revoke all on function public.cancel_plan_job(uuid) from public, anon",
        "function_signatures",
        "arguments of function public.cancel_plan_job: expected (p_job_id uuid), found (job_id uuid)",
        id="argument_renamed",
    ),
    pytest.param(
        "drop function public.reset_stuck_plan_jobs(interval, interval, interval);"
        " create function public.reset_stuck_plan_jobs(p_stuck_after interval default '5 minutes',"
        " p_retry_base interval default '10 seconds', p_retry_cap interval default '10 minutes')"
        " returns integer language sql security definer set search_path = '' as $$ select 0 $$;"
        " revoke all on function public.reset_stuck_plan_jobs(interval, interval, interval)"
        " from public, anon, authenticated",
        "function_signatures",
        "arguments of function public.reset_stuck_plan_jobs: expected (p_stuck_after interval DEFAULT "
        "'00:10:00'::interval, p_retry_base interval DEFAULT '00:00:10'::interval, p_retry_cap interval "
        "DEFAULT '00:10:00'::interval), found (p_stuck_after interval DEFAULT '00:05:00'::interval, "
        "p_retry_base interval DEFAULT '00:00:10'::interval, p_retry_cap interval DEFAULT "
        "'00:10:00'::interval)",
        id="default_changed",
    ),
    pytest.param(
        "drop function public.plan_job_health(interval);"
        " create function public.plan_job_health(p_window interval default '1 hour') returns json"
        " language sql security definer set search_path = '' as $$ select '{}'::json $$;"
        " revoke all on function public.plan_job_health(interval) from public, anon, authenticated",
        "function_signatures",
        "result of function public.plan_job_health: expected jsonb, found json",
        id="result_changed",
    ),
    pytest.param(
        "drop function public.expire_stale_pending_jobs(interval)",
        "function_signatures",
        "function public.expire_stale_pending_jobs: expected (p_older_than interval DEFAULT "
        "'00:30:00'::interval) returns integer, found no such function",
        id="missing_function",
    ),
    pytest.param(
        "alter function public.complete_plan_job(uuid, uuid, jsonb) security invoker",
        "function_security",
        "security of function public.complete_plan_job(uuid, uuid, jsonb): expected security definer, "
        "found security invoker",
        id="invoker",
    ),
    pytest.param(
        "alter function public.get_active_plan_job() security definer",
        "function_security",
        "security of function public.get_active_plan_job(): expected security invoker, found security "
        "definer",
        id="get_active_as_definer",
    ),
    pytest.param(
        "alter function public.cancel_plan_job(uuid) reset search_path",
        "function_security",
        "search_path of function public.cancel_plan_job(uuid): expected search_path = '', found none set",
        id="search_path_reset",
    ),
    pytest.param(
        "alter function public.cancel_plan_job(uuid) set search_path = public",
        "function_security",
        "search_path of function public.cancel_plan_job(uuid): expected search_path = '', found "
        "search_path = public",
        id="search_path_public",
    ),
    pytest.param(
        "grant execute on function public.claim_next_plan_job(text) to anon",
        "function_grants",
        "execute on public.claim_next_plan_job(text) for anon: expected not granted, found granted",
        id="anon_may_claim",
    ),
    pytest.param(
        "revoke execute on function public.reset_stuck_plan_job(uuid, interval, interval, interval)"
        " from authenticated",
        "function_grants",
        "execute on public.reset_stuck_plan_job(uuid, interval, interval, interval) for authenticated: "
        "expected granted, "
        "found not granted",
        id="owner_may_not_retry",
    ),
]


@pytest.mark.parametrize(("statements", "area", "line"), REJECTED)
def test_each_change_the_contract_depends_on_gives_its_line(
    schema_after: AlteredSchema, statements: str, area: str, line: str
) -> None:
    snapshot = schema_after(statements)

    found = _all_mismatches(snapshot)

    assert list(found) == [area], found
    assert len(found[area]) == 1, found[area]
    assert line in found[area][0], found[area][0]


def test_a_missing_table_and_what_referenced_it_each_give_a_line(schema_after: AlteredSchema) -> None:
    found = _all_mismatches(schema_after("drop table public.weekly_base_plans cascade"))

    assert list(found) == ["tables", "constraints"], found
    assert len(found["tables"]) == 1
    assert found["tables"][0].startswith(
        "table public.weekly_base_plans: expected the table (the saved plans), found no such table; its "
        "migration was not applied"
    )
    assert len(found["constraints"]) == 1
    assert found["constraints"][0].startswith(
        "foreign key (plan_id) of public.plan_generation_jobs: expected (plan_id) references "
        "public.weekly_base_plans (id) on delete set null, found no foreign key on these columns"
    )


def test_execute_granted_to_public_reaches_every_app_role(schema_after: AlteredSchema) -> None:
    found = _all_mismatches(
        schema_after("grant execute on function public.plan_job_health(interval) to public")
    )

    assert list(found) == ["function_grants"], found
    assert [line.split(":", 1)[0] for line in found["function_grants"]] == [
        "execute on public.plan_job_health(interval) for anon",
        "execute on public.plan_job_health(interval) for authenticated",
    ]


def test_a_function_with_another_signature_is_left_to_the_signature_scenario(
    schema_after: AlteredSchema,
) -> None:
    snapshot = schema_after(
        "drop function public.cancel_plan_job(uuid);"
        " create function public.cancel_plan_job(p_job_id text) returns public.plan_generation_jobs"
        " language sql as $$ select null::public.plan_generation_jobs $$;"
        " grant execute on function public.cancel_plan_job(text) to anon"
    )

    found = _all_mismatches(snapshot)

    assert list(found) == ["function_signatures"], found
    assert "expected (p_job_id uuid), found (p_job_id text)" in found["function_signatures"][0]


def test_a_database_without_the_api_roles_says_so(schema_after: AlteredSchema) -> None:
    snapshot = schema_after("")
    without_anon = replace(snapshot, roles=snapshot.roles - {"anon"})

    assert schema_mismatches(without_anon, "table_grants") == [
        "role anon: expected the role (a Supabase project has it), found no such role; the contract's "
        "grants name it: is this a Supabase project's database? (docs/contract.md)"
    ]


def test_an_unknown_area_is_refused(schema_after: AlteredSchema) -> None:
    with pytest.raises(ValueError, match="unknown schema area 'grants'; known: tables, constraints"):
        schema_mismatches(schema_after(""), "grants")


def test_a_column_or_index_added_by_a_later_migration_names_that_migration(
    schema_after: AlteredSchema,
) -> None:
    jobs = QUEUE_SCHEMA.tables[0]
    later = replace(
        jobs,
        columns=(*jobs.columns, Column("claimed_at", TIMESTAMPTZ, True, migration="later.sql")),
        indexes=(Index("jobs_claimed_idx", ("claimed_at",), "claims", migration="later.sql"),),
    )
    contract = replace(QUEUE_SCHEMA, tables=(later, *QUEUE_SCHEMA.tables[1:]))
    snapshot = schema_after("")

    assert [line.split(":", 1)[0] for line in schema_mismatches(snapshot, "tables", contract)] == [
        "column public.plan_generation_jobs.claimed_at"
    ]
    assert schema_mismatches(snapshot, "tables", contract)[0].endswith(
        "(reference: later.sql; docs/contract.md)"
    )
    assert schema_mismatches(snapshot, "indexes", contract)[0].endswith(
        "(reference: later.sql; docs/contract.md)"
    )
