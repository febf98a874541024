"""Token counting: a deterministic four-characters-a-token estimate for `usage` and limits."""

from __future__ import annotations

CHARS_PER_TOKEN = 4
CACHE_BLOCK_TOKENS = 64


def count_tokens(text: str) -> int:
    """Estimated tokens in `text` (0 for empty text)."""
    return (len(text) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


def clip_to_tokens(text: str, max_tokens: int) -> str:
    """The longest prefix of `text` that fits in `max_tokens` tokens."""
    return text[: max_tokens * CHARS_PER_TOKEN]


def cached_prefix_tokens(prefix_tokens: int) -> int:
    """Prompt-cache hits: the system prompt rounded down to DeepSeek's 64-token cache blocks."""
    return (prefix_tokens // CACHE_BLOCK_TOKENS) * CACHE_BLOCK_TOKENS
