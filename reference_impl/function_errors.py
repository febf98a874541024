"""Edge Function error bodies: `{"error": <message>, "error_code": <code>, "details": ...}`.

supabase-js and supabase-py read the `error` key of a non-2xx function response.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web


def function_error(status: int, error_code: str, message: str, **extra: Any) -> web.Response:
    body: dict[str, Any] = {"error": message, "error_code": error_code, **extra}
    return web.json_response(body, status=status)
