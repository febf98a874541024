"""The caller identity and the transaction wrappers that apply it (sync and async psycopg)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import psycopg
from psycopg import pq

API_ROLES = frozenset({"anon", "authenticated", "service_role"})

# PostgREST's pre-request query sets these with set_config(..., true), i.e. SET LOCAL.
_SETUP_SQL = (
    "select set_config('role', %(role)s, true),"
    " set_config('request.jwt.claims', %(claims)s, true),"
    " set_config('request.method', %(method)s, true),"
    " set_config('request.path', %(path)s, true)"
)


@dataclass(frozen=True)
class Caller:
    """Who a request runs as: a database role and the JWT claims PostgREST would set.

    `claims` always carries `role`; a user's claims carry `sub`, `aud` and `email`.
    """

    role: str
    claims: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        if self.role not in API_ROLES:
            raise ValueError(f"role must be one of {sorted(API_ROLES)}, got {self.role!r}")
        merged = dict(self.claims)
        merged["role"] = self.role
        object.__setattr__(self, "claims", MappingProxyType(merged))

    @classmethod
    def anon(cls) -> Caller:
        return cls("anon")

    @classmethod
    def service(cls) -> Caller:
        return cls("service_role")

    @classmethod
    def user(cls, user_id: str, *, email: str | None = None, **extra: Any) -> Caller:
        claims: dict[str, Any] = {"sub": str(user_id), "aud": "authenticated", **extra}
        if email is not None:
            claims["email"] = email
        return cls("authenticated", claims)

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> Caller:
        """The caller of a verified JWT's claims (their `role` claim picks the database role)."""
        role = claims.get("role")
        if not isinstance(role, str):
            raise ValueError("JWT claims have no string 'role' claim")
        return cls(role, claims)

    @property
    def user_id(self) -> str | None:
        sub = self.claims.get("sub")
        return sub if isinstance(sub, str) else None

    def setup_params(self, *, method: str, path: str) -> dict[str, str]:
        return {
            "role": self.role,
            "claims": json.dumps(dict(self.claims), separators=(",", ":"), sort_keys=True),
            "method": method,
            "path": path,
        }


def _require_idle(status: pq.TransactionStatus) -> None:
    if status != pq.TransactionStatus.IDLE:
        raise RuntimeError(
            f"as_caller needs a connection with no transaction open (it is {status.name}); "
            "use an autocommit connection or commit first"
        )


@contextmanager
def as_caller(
    conn: psycopg.Connection[Any],
    caller: Caller,
    *,
    read_only: bool = False,
    method: str = "POST",
    path: str = "/",
) -> Iterator[psycopg.Connection[Any]]:
    """One transaction in which every statement runs as `caller`; committed on success.

    The connection must be idle (no transaction open): inside one, `conn.transaction()`
    would only be a savepoint and the role would outlive the block.
    """
    _require_idle(conn.info.transaction_status)
    with conn.transaction():
        if read_only:
            conn.execute("set transaction read only")
        conn.execute(_SETUP_SQL, caller.setup_params(method=method, path=path))
        yield conn


@asynccontextmanager
async def as_caller_async(
    conn: psycopg.AsyncConnection[Any],
    caller: Caller,
    *,
    read_only: bool = False,
    method: str = "POST",
    path: str = "/",
) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
    """The async twin of `as_caller`."""
    _require_idle(conn.info.transaction_status)
    async with conn.transaction():
        if read_only:
            await conn.execute("set transaction read only")
        await conn.execute(_SETUP_SQL, caller.setup_params(method=method, path=path))
        yield conn
