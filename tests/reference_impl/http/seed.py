"""Seeding jobs in given states and sessions, as the database owner, for the tests to use."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from harness.queue_db import QueueDatabase, QueueUser

TERMINAL = frozenset({"completed", "failed", "cancelled"})


@dataclass(frozen=True)
class SeededJob:
    """What a test knows about a job it seeded; the expectations are computed from this."""

    id: str
    user_id: str
    status: str
    retry_count: int
    error_code: str | None
    age_minutes: int  # created this long ago


def seed_job(
    queue_db: QueueDatabase,
    user: QueueUser,
    *,
    status: str = "pending",
    retry_count: int = 0,
    error_code: str | None = None,
    age_minutes: int = 0,
) -> SeededJob:
    row = queue_db.insert_job(user, max_retries=3, created_ago=timedelta(minutes=age_minutes))
    queue_db.conn.execute(
        """
        update public.plan_generation_jobs
           set status = %(status)s, retry_count = %(retries)s, error_code = %(code)s,
               completed_at = case when %(terminal)s then now() end
         where id = %(id)s
        """,
        {
            "status": status,
            "retries": retry_count,
            "code": error_code,
            "terminal": status in TERMINAL,
            "id": row["id"],
        },
    )
    return SeededJob(str(row["id"]), user.id, status, retry_count, error_code, age_minutes)


def open_session(queue_db: QueueDatabase, user: QueueUser) -> str:
    """A live GoTrue session of `user` (one unrevoked refresh token), as sign-in leaves it;
    returns its id for the `session_id` claim of tokens minted in tests."""
    session_id = str(uuid.uuid4())
    queue_db.conn.execute(
        "insert into auth.refresh_tokens (token_hash, user_id, session_id) values (%s, %s, %s)",
        (secrets.token_hex(32), user.id, session_id),
    )
    return session_id
