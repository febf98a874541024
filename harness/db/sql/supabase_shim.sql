-- What a Supabase database already has and our migrations (or an app's) rely on.
-- Applied by the harness before the migrations; every object is created only where it
-- is missing, so on a real Supabase database this script changes nothing.
-- Sources: supabase/postgres initial schema and supabase/auth migrations (roles, default
-- privileges, auth.uid/role/jwt reading request.jwt.claims).
--
-- Roles belong to the whole server, not to one database: two runs applying this to one
-- shared server at the same moment may both try to create a role, so creating a role or a
-- membership that the other run made meanwhile counts as done. The roles stay after the
-- run (other databases on the server may use them).

create function pg_temp.ensure_role(p_name text, p_options text) returns boolean
language plpgsql as $fn$
begin
    if exists (select from pg_roles where rolname = p_name) then
        return false;
    end if;
    execute format('create role %I %s', p_name, p_options);
    return true;
exception when duplicate_object or unique_violation then
    return false;  -- created by a concurrent run
end
$fn$;

create function pg_temp.ensure_member(p_role text, p_member text) returns void
language plpgsql as $fn$
begin
    if not pg_has_role(p_member, p_role, 'member') then
        execute format('grant %I to %I', p_role, p_member);
    end if;
exception when others then
    if not pg_has_role(p_member, p_role, 'member') then
        raise;
    end if;
end
$fn$;

select pg_temp.ensure_role('anon', 'nologin noinherit');
select pg_temp.ensure_role('authenticated', 'nologin noinherit');
select pg_temp.ensure_role('service_role', 'nologin noinherit bypassrls');
select pg_temp.ensure_role('authenticator', 'login noinherit');
select pg_temp.ensure_member(role_name, 'authenticator')
  from unnest(array['anon', 'authenticated', 'service_role']) as role_name;

grant usage on schema public to anon, authenticated, service_role;
alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;

create schema if not exists extensions;
grant usage on schema extensions to anon, authenticated, service_role;

create schema if not exists auth;
grant usage on schema auth to anon, authenticated, service_role;

-- A subset of GoTrue's auth.users with the same column names.
create table if not exists auth.users (
    id                  uuid primary key default gen_random_uuid(),
    aud                 text default 'authenticated',
    role                text default 'authenticated',
    email               text unique,
    encrypted_password  text,
    email_confirmed_at  timestamptz,
    raw_app_meta_data   jsonb default '{}'::jsonb,
    raw_user_meta_data  jsonb default '{}'::jsonb,
    last_sign_in_at     timestamptz,
    created_at          timestamptz default now(),
    updated_at          timestamptz default now()
);

do $shim$
begin
    if to_regprocedure('auth.uid()') is null then
        create function auth.uid() returns uuid language sql stable as $fn$
            select coalesce(
                nullif(current_setting('request.jwt.claim.sub', true), ''),
                (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
            )::uuid
        $fn$;
    end if;
    if to_regprocedure('auth.role()') is null then
        create function auth.role() returns text language sql stable as $fn$
            select coalesce(
                nullif(current_setting('request.jwt.claim.role', true), ''),
                (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
            )::text
        $fn$;
    end if;
    if to_regprocedure('auth.jwt()') is null then
        create function auth.jwt() returns jsonb language sql stable as $fn$
            select coalesce(
                nullif(current_setting('request.jwt.claim', true), ''),
                nullif(current_setting('request.jwt.claims', true), '')
            )::jsonb
        $fn$;
    end if;
end
$shim$;

grant execute on function auth.uid(), auth.role(), auth.jwt() to anon, authenticated, service_role;

-- GoTrue's database role, for the reference service's /auth/v1 stand-in. On a real
-- Supabase project GoTrue owns it (it never belongs in an app's migrations); here it exists
-- only where missing. The stand-in's own storage is `reference_impl/auth/storage.sql`.
do $shim$
begin
    if pg_temp.ensure_role('supabase_auth_admin', 'nologin noinherit') then
        -- Local stand-in only: the reference service reaches GoTrue's role through its
        -- authenticator connection. Granted only where this script created the role, so
        -- a real Supabase database keeps its own privileges.
        perform pg_temp.ensure_member('supabase_auth_admin', 'authenticator');
    end if;
end
$shim$;

grant usage on schema auth to supabase_auth_admin;
grant select, insert, update, delete on auth.users to supabase_auth_admin;
