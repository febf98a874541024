"""Who calls each operation, and the headers that make a request theirs.

The functions' and auth documents name a security scheme per operation (docs/openapi.md):
`userJwt` and the auth surface's `bearer` are a user's access token, `serviceRoleJwt` the
service role key, `apikey` alone the anon key; GoTrue's admin routes take the service role
key. The REST documents are read once per role and called as that role. Headers are those
supabase-js sends: `apikey` always, and `Authorization: Bearer` with the token or the key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.fuzz.documents import Role

SCHEME_ROLES: Mapping[str, Role] = {
    "userJwt": Role.USER,
    "serviceRoleJwt": Role.SERVICE,
    "apikey": Role.ANON,
    "bearer": Role.USER,
}
ADMIN_PATH_PREFIX = "/admin/"  # GoTrue's admin routes: the service role key, as `bearer` says
_RANK = {Role.ANON: 0, Role.USER: 1, Role.SERVICE: 2}

# How a reproduction names each credential instead of showing it (in angle brackets, which the
# redactor leaves alone, so `apikey: <anon key>` still says which key was sent).
ANON_KEY_PLACEHOLDER = "<anon key>"
SERVICE_KEY_PLACEHOLDER = "<service role key>"
USER_TOKEN_PLACEHOLDER = "<user access token>"


@dataclass(frozen=True)
class Credentials:
    """The keys of the target and a signed-in user's access token (all secrets, never printed)."""

    anon_key: str = field(repr=False)
    service_key: str = field(repr=False)
    user_token: str | None = field(default=None, repr=False)

    def headers(self, role: Role) -> dict[str, str]:
        if role is Role.SERVICE:
            return {"apikey": self.service_key, "Authorization": f"Bearer {self.service_key}"}
        if role is Role.USER:
            if self.user_token is None:
                raise ValueError("calls as a user need a signed-in user's access token (user_token)")
            return {"apikey": self.anon_key, "Authorization": f"Bearer {self.user_token}"}
        return {"apikey": self.anon_key, "Authorization": f"Bearer {self.anon_key}"}

    def placeholders(self) -> dict[str, str]:
        """Each credential and the name a reproduction shows in its place."""
        named = {self.anon_key: ANON_KEY_PLACEHOLDER, self.service_key: SERVICE_KEY_PLACEHOLDER}
        if self.user_token is not None:
            named[self.user_token] = USER_TOKEN_PLACEHOLDER
        return named

    def mask(self, text: str) -> str:
        """`text` with every credential replaced by its placeholder (longest first)."""
        for secret, name in sorted(self.placeholders().items(), key=lambda item: -len(item[0])):
            text = text.replace(secret, name)
        return text


def caller_of(path: str, security: Sequence[Mapping[str, Any]] | None, calls_as: Role | None) -> Role:
    """The role an operation is called as: the document's fixed caller, else the strongest role its
    first security requirement names (an operation without one is called with the anon key)."""
    if calls_as is not None:
        return calls_as
    if path.startswith(ADMIN_PATH_PREFIX):
        return Role.SERVICE
    if not security:
        return Role.ANON
    schemes = security[0]
    roles = [SCHEME_ROLES.get(name, Role.ANON) for name in schemes] or [Role.ANON]
    return max(roles, key=_RANK.__getitem__)


def operation_security(document: Mapping[str, Any], path: str, method: str) -> list[Mapping[str, Any]] | None:
    """The security requirements of one operation: its own, else the document's."""
    operation = document.get("paths", {}).get(path, {}).get(method.lower(), {})
    security = operation.get("security", document.get("security"))
    return list(security) if isinstance(security, list) else None
