"""Rows of `auth.users`: the user model and the statements GoTrue's endpoints need.

Every function takes a connection inside `auth_admin_transaction`, so an endpoint can
combine several in one transaction. Emails are stored and matched in lower case, as
GoTrue does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb

_USER_COLUMNS = (
    "id, aud, role, email, email_confirmed_at, raw_app_meta_data, raw_user_meta_data,"
    " last_sign_in_at, created_at, updated_at"
)

Connection = psycopg.AsyncConnection[DictRow]


class UserAlreadyExists(Exception):
    """The email (or the requested id) is taken; `field` names which."""

    def __init__(self, field_name: str) -> None:
        super().__init__(f"a user with this {field_name} already exists")
        self.field = field_name


@dataclass(frozen=True)
class AuthUser:
    """A user as GoTrue reports it (no password hash)."""

    id: str
    aud: str
    role: str
    email: str | None
    email_confirmed_at: datetime | None
    app_metadata: Mapping[str, Any] = field(default_factory=dict)
    user_metadata: Mapping[str, Any] = field(default_factory=dict)
    last_sign_in_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> AuthUser:
        return cls(
            id=str(row["id"]),
            aud=row["aud"] or "authenticated",
            role=row["role"] or "authenticated",
            email=row["email"],
            email_confirmed_at=row["email_confirmed_at"],
            app_metadata=dict(row["raw_app_meta_data"] or {}),
            user_metadata=dict(row["raw_user_meta_data"] or {}),
            last_sign_in_at=row["last_sign_in_at"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )


@dataclass(frozen=True)
class NewUser:
    """What an admin asked for when creating a user (already validated)."""

    email: str
    password_hash: str | None = field(default=None, repr=False)
    email_confirmed: bool = False
    user_metadata: Mapping[str, Any] = field(default_factory=dict)
    app_metadata: Mapping[str, Any] = field(default_factory=dict)
    user_id: str | None = None


@dataclass(frozen=True)
class Credentials:
    """What a password sign-in checks: the user and their password hash."""

    user: AuthUser
    password_hash: str | None = field(repr=False)


async def insert_user(conn: Connection, new: NewUser) -> AuthUser:
    """Insert a user; raises `UserAlreadyExists` for a taken email or id."""
    try:
        async with conn.transaction():
            cursor = await conn.execute(
                f"""
                insert into auth.users (id, email, encrypted_password, email_confirmed_at,
                                        raw_app_meta_data, raw_user_meta_data)
                values (coalesce(%(id)s::uuid, gen_random_uuid()), lower(%(email)s), %(hash)s,
                        case when %(confirmed)s then now() end, %(app)s, %(meta)s)
                returning {_USER_COLUMNS}
                """,
                {
                    "id": new.user_id,
                    "email": new.email,
                    "hash": new.password_hash,
                    "confirmed": new.email_confirmed,
                    "app": Jsonb(dict(new.app_metadata)),
                    "meta": Jsonb(dict(new.user_metadata)),
                },
            )
            row = await cursor.fetchone()
    except psycopg.errors.UniqueViolation as error:
        taken = "email" if "email" in (error.diag.constraint_name or "") else "id"
        raise UserAlreadyExists(taken) from None
    assert row is not None
    return AuthUser.from_row(row)


async def user_by_id(conn: Connection, user_id: str) -> AuthUser | None:
    cursor = await conn.execute(f"select {_USER_COLUMNS} from auth.users where id = %s", (user_id,))
    row = await cursor.fetchone()
    return AuthUser.from_row(row) if row else None


async def credentials_by_email(conn: Connection, email: str) -> Credentials | None:
    cursor = await conn.execute(
        f"select {_USER_COLUMNS}, encrypted_password from auth.users where email = lower(%s)", (email,)
    )
    row = await cursor.fetchone()
    return Credentials(AuthUser.from_row(row), row["encrypted_password"]) if row else None


async def mark_signed_in(conn: Connection, user_id: str) -> AuthUser | None:
    """Record a sign-in; None when the user was deleted meanwhile."""
    cursor = await conn.execute(
        f"update auth.users set last_sign_in_at = now(), updated_at = now() where id = %s"
        f" returning {_USER_COLUMNS}",
        (user_id,),
    )
    row = await cursor.fetchone()
    return AuthUser.from_row(row) if row else None


async def delete_user(conn: Connection, user_id: str) -> bool:
    """Remove a user; their jobs, plans and refresh tokens go with them (foreign keys cascade)."""
    cursor = await conn.execute("delete from auth.users where id = %s", (user_id,))
    return cursor.rowcount == 1
