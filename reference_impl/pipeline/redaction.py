"""Removes secrets (API keys, bearer tokens, JWTs) from text before it reaches a message or log."""

from __future__ import annotations

import re
from collections.abc import Iterable

REDACTED = "[redacted]"

_SECRET_PATTERNS = (
    # "Authorization: Bearer <token>" and bare "Bearer <token>"
    re.compile(r"(?i)\bbearer\s+[^\s,;\"']+"),
    # OpenAI/DeepSeek-style keys
    re.compile(r"\bsk-[A-Za-z0-9_\-]{6,}"),
    # JWTs: header.payload(.signature)
    re.compile(r"\beyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]*)?"),
    # masked key fragments echoed by upstream errors, e.g. "****cd15"
    re.compile(r"\*{2,}[A-Za-z0-9_\-]+"),
)


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Return `text` with every known secret and every secret-shaped token replaced.

    `secrets` are literal values (the configured API key, for instance) removed wherever
    they occur, surrounding whitespace ignored; blank values are ignored. Pattern-based
    removal then catches bearer tokens, `sk-` keys, JWTs and masked key fragments that
    the caller does not know.
    """
    for secret in secrets:
        if secret and secret.strip():
            text = text.replace(secret.strip(), REDACTED)
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(REDACTED, text)
    return text
