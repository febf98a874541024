"""Edge Function error bodies: `{"error": <message>, "error_code": <code>, "details": ...}`.

supabase-js and supabase-py read the `error` key of a non-2xx function response. The codes
and their statuses are listed in docs/decisions.md (S5) and in the functions' OpenAPI
document.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

# Every error_code a function answers with, and its status.
FUNCTION_ERROR_STATUS = {
    "INVALID_REQUEST": 400,
    "AUTH_REQUIRED": 401,
    "FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "METHOD_NOT_ALLOWED": 405,
    "REQUEST_TIMEOUT": 408,
    "PAYLOAD_TOO_LARGE": 413,
    "REGENERATION_TOO_SOON": 429,
    "UNEXPECTED_ERROR": 500,
    "WORKER_LIMIT": 546,
}


def function_error(status: int, error_code: str, message: str, **extra: Any) -> web.Response:
    body: dict[str, Any] = {"error": message, "error_code": error_code, **extra}
    return web.json_response(body, status=status)
