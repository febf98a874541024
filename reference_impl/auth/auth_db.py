"""Transactions as GoTrue's own database role, `supabase_auth_admin`.

GoTrue reads and writes `auth.users` and its refresh tokens as that role; API roles have
no privileges there. The service's `authenticator` connection is granted the role by the
harness's Supabase shim, the local stand-in for GoTrue's separate connection.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
from psycopg.rows import DictRow

from reference_impl.database import Database

AUTH_ADMIN_ROLE = "supabase_auth_admin"


@asynccontextmanager
async def auth_admin_transaction(db: Database) -> AsyncIterator[psycopg.AsyncConnection[DictRow]]:
    """One transaction as `supabase_auth_admin`; committed when the block ends without error."""
    async with db.pool.connection() as conn, conn.transaction():
        await conn.execute("select set_config('role', %s, true)", (AUTH_ADMIN_ROLE,))
        yield conn
