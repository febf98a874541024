"""Whether a GoTrue session is still live, for every surface that honours sign-out.

A session is the chain of refresh tokens that share its `session_id` in
`auth.refresh_tokens`: each refresh revokes the used token and adds its successor, so a
live session always has one token that is not revoked. Sign-out deletes the chain, and
reusing a spent token revokes all of it; either way the session has ended, and the
access tokens minted for it (which carry its id as `session_id`) stop working on
`/auth/v1` and `/functions/v1` (docs/decisions.md, S14).
"""

from __future__ import annotations

from reference_impl.auth.auth_db import auth_admin_transaction
from reference_impl.database import Database


async def session_is_active(db: Database, *, user_id: str, session_id: str) -> bool:
    async with auth_admin_transaction(db) as conn:
        cursor = await conn.execute(
            "select exists (select from auth.refresh_tokens"
            " where session_id = %s and user_id = %s and not revoked) as active",
            (session_id, user_id),
        )
        row = await cursor.fetchone()
    return bool(row and row["active"])
