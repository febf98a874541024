-- The storage of the reference service's GoTrue stand-in (/auth/v1): the refresh tokens of
-- its sessions. It belongs to the reference service, not to an app's migrations and not to
-- the Supabase shim: on a real project GoTrue keeps its own tables. The harness applies this
-- file after the shim and before the migrations under test, only where the table is missing.
do $storage$
begin
    if to_regclass('auth.refresh_tokens') is null then
        -- The token itself is never stored, only its SHA-256 (hex); rotation links a
        -- token to the one it replaced, and every token of a session shares session_id.
        create table auth.refresh_tokens (
            id          bigserial primary key,
            token_hash  text not null unique,
            user_id     uuid not null references auth.users (id) on delete cascade,
            session_id  uuid not null,
            parent_id   bigint references auth.refresh_tokens (id) on delete set null,
            revoked     boolean not null default false,
            created_at  timestamptz not null default now(),
            updated_at  timestamptz not null default now()
        );
        create index refresh_tokens_session_idx on auth.refresh_tokens (session_id);
        grant usage, select on sequence auth.refresh_tokens_id_seq to supabase_auth_admin;
        grant select, insert, update, delete on auth.refresh_tokens to supabase_auth_admin;
    end if;
end
$storage$;
