"""Refresh tokens of GoTrue sessions in `auth.refresh_tokens`: issue, rotate, end.

Only a token's SHA-256 is stored. Using a token revokes it and issues its successor in the
same session (rotation); presenting a token that was already used revokes the whole
session, since either the client or a thief holds a stale copy.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from enum import StrEnum

import psycopg
from psycopg.rows import DictRow

Connection = psycopg.AsyncConnection[DictRow]


class LogoutScope(StrEnum):
    """Which sessions a sign-out ends (GoTrue's `scope` query parameter)."""

    GLOBAL = "global"
    LOCAL = "local"
    OTHERS = "others"


class RotationRefused(StrEnum):
    """Why a refresh token could not be used."""

    NOT_FOUND = "refresh_token_not_found"
    ALREADY_USED = "refresh_token_already_used"


@dataclass(frozen=True)
class Rotated:
    """The successor of a used refresh token."""

    user_id: str
    session_id: str
    token: str = field(repr=False)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_refresh_token(
    conn: Connection, *, user_id: str, session_id: str, parent_id: int | None = None
) -> str:
    token = secrets.token_urlsafe(32)
    await conn.execute(
        "insert into auth.refresh_tokens (token_hash, user_id, session_id, parent_id)"
        " values (%s, %s, %s, %s)",
        (_digest(token), user_id, session_id, parent_id),
    )
    return token


async def rotate_refresh_token(conn: Connection, token: str) -> Rotated | RotationRefused:
    """Revoke `token` and issue its successor, or say why not (a reuse revokes the session)."""
    cursor = await conn.execute(
        "select id, user_id, session_id, revoked from auth.refresh_tokens where token_hash = %s for update",
        (_digest(token),),
    )
    row = await cursor.fetchone()
    if row is None:
        return RotationRefused.NOT_FOUND
    user_id, session_id = str(row["user_id"]), str(row["session_id"])
    if row["revoked"]:
        await _revoke_session(conn, session_id)
        return RotationRefused.ALREADY_USED
    await conn.execute(
        "update auth.refresh_tokens set revoked = true, updated_at = now() where id = %s", (row["id"],)
    )
    successor = await issue_refresh_token(conn, user_id=user_id, session_id=session_id, parent_id=row["id"])
    return Rotated(user_id=user_id, session_id=session_id, token=successor)


async def _revoke_session(conn: Connection, session_id: str) -> None:
    await conn.execute(
        "update auth.refresh_tokens set revoked = true, updated_at = now()"
        " where session_id = %s and not revoked",
        (session_id,),
    )


async def end_sessions(conn: Connection, *, user_id: str, scope: LogoutScope, session_id: str | None) -> None:
    """Sign out: delete the refresh tokens of the user's sessions that `scope` names.

    `global` ends every session of the user, `local` the one of `session_id`, `others`
    every session but that one; without a `session_id` only `global` ends anything.
    """
    if scope is LogoutScope.GLOBAL:
        await conn.execute("delete from auth.refresh_tokens where user_id = %s", (user_id,))
    elif session_id is None:
        return
    elif scope is LogoutScope.LOCAL:
        await conn.execute(
            "delete from auth.refresh_tokens where user_id = %s and session_id = %s", (user_id, session_id)
        )
    else:
        await conn.execute(
            "delete from auth.refresh_tokens where user_id = %s and session_id <> %s", (user_id, session_id)
        )
