"""pgcaller: the role and claims hold inside the block only, as PostgREST's SET LOCAL does."""

from __future__ import annotations

import psycopg
import pytest

from pgcaller import Caller, as_caller


def test_role_and_claims_hold_in_the_block_and_end_with_it(worker_database_dsn: str) -> None:
    user = Caller.user("6f1c2d3e-0000-4000-8000-000000000001", email="a@example.test")
    with psycopg.connect(worker_database_dsn, autocommit=True) as conn:
        with as_caller(conn, user) as tx:
            inside = tx.execute("select current_user, auth.uid()::text, auth.role()").fetchone()
        after = conn.execute("select current_user, current_setting('request.jwt.claims', true)").fetchone()

    assert inside == ("authenticated", user.user_id, "authenticated")
    assert after is not None and after[0] != "authenticated" and not after[1]


def test_a_connection_inside_a_transaction_is_refused(worker_database_dsn: str) -> None:
    with psycopg.connect(worker_database_dsn) as conn:
        conn.execute("select 1")  # opens a transaction (not autocommit)
        with pytest.raises(RuntimeError, match="no transaction open"), as_caller(conn, Caller.anon()):
            pass


def test_only_api_roles_can_be_callers() -> None:
    with pytest.raises(ValueError, match="role must be one of"):
        Caller("postgres")
