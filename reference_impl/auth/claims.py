"""Reading the claims of a verified token: the user (`sub`) and the session (`session_id`).

Verification (`tokens.JwtAuthority.verify`) vouches for the signature and the role; what
the other claims hold is still the token's business, so every reader here checks types.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


def parse_uuid(value: str) -> str | None:
    """The canonical form of a UUID, or None when `value` is not one."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


@dataclass(frozen=True)
class SessionClaim:
    """The token's `session_id`: None when the token has none (keys, hand-made tokens),
    `invalid` when it is there but not a UUID."""

    id: str | None
    invalid: bool = False


def session_of(claims: Mapping[str, Any]) -> SessionClaim:
    raw = claims.get("session_id")
    if raw is None:
        return SessionClaim(None)
    parsed = parse_uuid(raw) if isinstance(raw, str) else None
    return SessionClaim(parsed, invalid=parsed is None)
