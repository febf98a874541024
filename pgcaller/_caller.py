"""Who an API call runs as: the database role and the JWT claims PostgREST would set."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

API_ROLES = frozenset({"anon", "authenticated", "service_role"})


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
