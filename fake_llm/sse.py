"""DeepSeek's streaming shape: `chat.completion.chunk` events, keep-alive comments and `[DONE]`."""

from __future__ import annotations

import json
from typing import Any

from fake_llm.chat_request import ChatRequest
from fake_llm.completion import Identity, Reply, usage_for

SSE_CONTENT_TYPE = "text/event-stream; charset=utf-8"
KEEPALIVE_COMMENT = b": keep-alive\n\n"
DONE_EVENT = b"data: [DONE]\n\n"


def encode_event(data: dict[str, Any]) -> bytes:
    """One SSE `data:` event."""
    return b"data: " + json.dumps(data, ensure_ascii=False).encode() + b"\n\n"


def _pieces(text: str, size: int) -> list[str]:
    return [text[start : start + size] for start in range(0, len(text), size)]


def stream_chunks(
    request: ChatRequest, reply: Reply, identity: Identity, chunk_chars: int
) -> list[dict[str, Any]]:
    """Role-first delta, reasoning and content deltas, a last chunk with finish reason and usage."""

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        return {
            "id": identity.completion_id,
            "object": "chat.completion.chunk",
            "created": identity.created,
            "model": request.model.id,
            "system_fingerprint": identity.fingerprint,
            "choices": [
                {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
            ],
        }

    thinking = reply.reasoning is not None
    first = (
        {"role": "assistant", "content": None, "reasoning_content": ""}
        if thinking
        else {"role": "assistant", "content": ""}
    )
    chunks = [chunk(first)]
    if reply.reasoning:
        chunks += [
            chunk({"content": None, "reasoning_content": piece})
            for piece in _pieces(reply.reasoning, chunk_chars)
        ]
    chunks += [chunk({"content": piece}) for piece in _pieces(reply.content, chunk_chars)]
    last = chunk({"content": ""}, reply.finish_reason)
    last["usage"] = usage_for(request, reply)
    chunks.append(last)
    return chunks
