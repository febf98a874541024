"""Redaction of secrets from any text or JSON-able value before it is logged or written.

Covers secrets given explicitly (API keys, JWT secrets, service keys from the environment)
and secrets recognisable by shape: JWTs, bearer tokens, `sk-...` and `sb_secret_...` keys,
passwords in DSNs and in `password=...` settings, and values under secret-named keys.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

REDACTED = "[REDACTED]"
SECRET_ENV_NAMES: tuple[str, ...] = (
    "SUPABASE_SERVICE_ROLE_KEY",
    "SUPABASE_ANON_KEY",
    "SUPABASE_JWT_SECRET",
    "DEEPSEEK_API_KEY",
)
MIN_SECRET_LENGTH = 4
_NOT_YET_REDACTED = rf"(?!{re.escape(REDACTED)})"
_SECRET_KEY_NAMES = (
    r"apikey|api[_-]?key|authorization|password|passwd|secret|client[_-]?secret"
    r"|jwt[_-]?secret|service[_-]?role[_-]?key|access[_-]?token|refresh[_-]?token"
)
_SHAPES: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("jwt", re.compile(r"\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*"), REDACTED),
    (
        "bearer token",
        re.compile(rf"(?i)\b(bearer\s+){_NOT_YET_REDACTED}[\w.~+/=-]{{8,}}"),
        rf"\1{REDACTED}",
    ),
    ("sk- api key", re.compile(r"\bsk-[\w-]{16,}"), REDACTED),
    ("supabase secret key", re.compile(r"\bsb_secret_[\w-]{8,}"), REDACTED),
    (
        "dsn password",
        re.compile(
            rf"(?i)\b([a-z][a-z0-9+.-]*://[^\s:/@]+:){_NOT_YET_REDACTED}"
            r"[^\s@/]+(@)"
        ),
        rf"\1{REDACTED}\2",
    ),
    (
        "secret setting",
        re.compile(
            rf"(?i)(\"?\b(?:{_SECRET_KEY_NAMES})\"?\s*[:=]\s*\"?){_NOT_YET_REDACTED}"
            r"(?!bearer\s)('[^']*'|[^\s\"',;}&<>]+)"
        ),
        rf"\1{REDACTED}",
    ),
)
_SECRET_KEY = re.compile(rf"(?i)^(?:{_SECRET_KEY_NAMES})$|_(?:secret|password|api_key)$")


def _is_secret_key(key: str) -> bool:
    normalized = key.strip().replace("-", "_")
    return bool(_SECRET_KEY.search(normalized)) or normalized.upper() in SECRET_ENV_NAMES


@dataclass(frozen=True)
class Redactor:
    """Replaces secrets with `[REDACTED]`; `secrets` are exact values to remove wherever seen."""

    secrets: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for position, secret in enumerate(self.secrets):
            if not isinstance(secret, str) or len(secret) < MIN_SECRET_LENGTH:
                raise ValueError(
                    f"secret #{position} must be a string of at least {MIN_SECRET_LENGTH} "
                    "characters (shorter values cannot be redacted without mangling text)"
                )
        longest_first = tuple(sorted(set(self.secrets), key=len, reverse=True))
        object.__setattr__(self, "secrets", longest_first)

    def text(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        for _, pattern, replacement in _SHAPES:
            text = pattern.sub(replacement, text)
        return text

    def value(self, value: Any) -> Any:
        """A redacted copy of a JSON-able value: strings are redacted, and every value under a
        secret-named key (`apikey`, `password`, `SUPABASE_SERVICE_ROLE_KEY`, ...) is replaced."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {
                key: REDACTED
                if isinstance(key, str) and _is_secret_key(key) and value[key] is not None
                else self.value(value[key])
                for key in value
            }
        if isinstance(value, list | tuple):
            return [self.value(item) for item in value]
        return value

    def findings(self, text: str) -> list[str]:
        """What kinds of secret `text` contains (never the secret itself)."""
        found = [
            f"explicit secret #{position}" for position, secret in enumerate(self.secrets) if secret in text
        ]
        found.extend(name for name, pattern, _ in _SHAPES if pattern.search(text))
        return found
