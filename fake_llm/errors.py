"""DeepSeek's error bodies: the status codes it documents and the JSON it answers them with."""

from __future__ import annotations

import json
from typing import Literal

from aiohttp import web

ErrorStatus = Literal[400, 401, 402, 422, 429, 500, 502, 503]


def default_error(status: int) -> tuple[str, str]:
    """The message and `type` DeepSeek sends with `status` (docs and observed bodies)."""
    match status:
        case 400:
            return "Invalid request body format", "invalid_request_error"
        case 401:
            return "Authentication Fails (no such user)", "authentication_error"
        case 402:
            return "Insufficient Balance", "unknown_error"
        case 413:
            return "Request Entity Too Large", "invalid_request_error"
        case 422:
            return "Invalid Parameters", "invalid_request_error"
        case 429:
            return "Rate Limit Reached", "rate_limit_error"
        case 500:
            return "Server Error, please retry your request after a brief wait", "server_error"
        case 502:
            return "Bad Gateway", "server_error"
        case 503:
            return "Server Overloaded due to high traffic, please retry later", "server_error"
    return "Unknown Error", "unknown_error"


def error_body(status: int, message: str | None = None) -> dict[str, object]:
    """DeepSeek's OpenAI-style error object for `status`, with an optional message override."""
    default_message, error_type = default_error(status)
    return {
        "error": {
            "message": message if message is not None else default_message,
            "type": error_type,
            "param": None,
            "code": "invalid_request_error" if status < 500 else "server_error",
        }
    }


def error_response(
    status: int, message: str | None = None, headers: dict[str, str] | None = None
) -> web.Response:
    """A JSON error response shaped like DeepSeek's."""
    return web.Response(
        status=status,
        body=json.dumps(error_body(status, message)).encode(),
        content_type="application/json",
        headers=headers,
    )


def masked_key(key: str) -> str:
    """How DeepSeek echoes a rejected key: only its last four characters."""
    return "****" + key[-4:] if len(key) >= 8 else "****"
