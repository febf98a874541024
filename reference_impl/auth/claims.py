"""Reading the claims of a verified token: the user (`sub`) and the session (`session_id`).

Verification (`tokens.JwtAuthority.verify`) vouches for the signature and the role; what
the other claims hold is still the token's business, so every reader here checks types.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


def parse_uuid(value: str) -> str | None:
    """`value` in lower case when it is a UUID in its usual hyphenated form (JSON Schema's
    `format: uuid`), else None; braces, URNs and bare hex are not taken."""
    return value.lower() if _UUID.fullmatch(value) else None


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
