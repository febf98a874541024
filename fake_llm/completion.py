"""The chat-completion envelope: hash-derived identity, `usage`, and the non-streaming body."""

from __future__ import annotations

import hashlib
import random
import uuid
from dataclasses import dataclass, replace
from typing import Any

from fake_llm.chat_request import ChatRequest
from fake_llm.tokens import cached_prefix_tokens, clip_to_tokens, count_tokens

EPOCH_2025 = 1_735_689_600
SECONDS_PER_YEAR = 31_536_000
MESSAGE_OVERHEAD_TOKENS = 4


@dataclass(frozen=True)
class Reply:
    """What the model says: its content, its reasoning (thinking models) and why it stopped."""

    content: str
    finish_reason: str = "stop"
    reasoning: str | None = None

    def fit(self, max_tokens: int | None) -> Reply:
        """This reply cut at `max_tokens` output tokens, with `finish_reason: length` if cut."""
        if max_tokens is None:
            return self
        budget = max_tokens - count_tokens(self.reasoning or "")
        if count_tokens(self.content) <= budget:
            return self
        return replace(
            self, content=clip_to_tokens(self.content, max(0, budget)), finish_reason="length"
        )


@dataclass(frozen=True)
class Identity:
    """Everything in an answer that is derived from the seed and the request bytes."""

    digest: bytes
    completion_id: str
    created: int
    fingerprint: str

    def rng(self, purpose: str) -> random.Random:
        """A random generator for `purpose`, fixed by the seed and the request."""
        return random.Random(hashlib.sha256(self.digest + purpose.encode()).digest())

    def number(self, purpose: str) -> int:
        """A 64-bit number for `purpose`, fixed by the seed and the request."""
        return int.from_bytes(hashlib.sha256(self.digest + purpose.encode()).digest()[:8], "big")


def identity_for(seed: int, raw: bytes) -> Identity:
    """The identity of the answer to the request body `raw` under `seed`."""
    digest = hashlib.sha256(f"{seed}\n".encode() + raw).digest()
    seed_hex = hashlib.sha256(str(seed).encode()).hexdigest()[:10]
    return Identity(
        digest=digest,
        completion_id=str(uuid.UUID(bytes=digest[:16], version=4)),
        created=EPOCH_2025 + int.from_bytes(digest[16:20], "big") % SECONDS_PER_YEAR,
        fingerprint=f"fp_{seed_hex}_prod0820",
    )


def usage_for(request: ChatRequest, reply: Reply) -> dict[str, Any]:
    """`usage` with DeepSeek's prompt-cache fields (hits: the system prompt in 64-token blocks)."""
    prompt_tokens = sum(count_tokens(m.text) + MESSAGE_OVERHEAD_TOKENS for m in request.messages)
    system_tokens = sum(
        count_tokens(m.text) + MESSAGE_OVERHEAD_TOKENS
        for m in request.messages
        if m.role == "system"
    )
    hits = cached_prefix_tokens(system_tokens)
    reasoning_tokens = count_tokens(reply.reasoning or "")
    completion_tokens = count_tokens(reply.content) + reasoning_tokens
    usage: dict[str, Any] = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": hits},
        "prompt_cache_hit_tokens": hits,
        "prompt_cache_miss_tokens": prompt_tokens - hits,
    }
    if reply.reasoning is not None:
        usage["completion_tokens_details"] = {"reasoning_tokens": reasoning_tokens}
    return usage


def completion_body(request: ChatRequest, reply: Reply, identity: Identity) -> dict[str, Any]:
    """The non-streaming `chat.completion` object."""
    message: dict[str, Any] = {"role": "assistant", "content": reply.content}
    if reply.reasoning is not None:
        message["reasoning_content"] = reply.reasoning
    return {
        "id": identity.completion_id,
        "object": "chat.completion",
        "created": identity.created,
        "model": request.model.id,
        "choices": [
            {"index": 0, "message": message, "logprobs": None, "finish_reason": reply.finish_reason}
        ],
        "usage": usage_for(request, reply),
        "system_fingerprint": identity.fingerprint,
    }
