"""Checks that a refusal has its surface's error shape, naming what is wrong."""

from __future__ import annotations

from typing import Any

KONG_KEYS = {"message"}
POSTGREST_KEYS = {"code", "message", "details", "hint"}


def function_refusal(body: Any, error_code: str, *, mentions: str = "") -> None:
    """`{error, error_code, details?}` with the code, and `mentions` in the message or details."""
    assert isinstance(body, dict) and {"error", "error_code"} <= set(body), body
    assert body["error_code"] == error_code, body
    assert mentions.lower() in (str(body["error"]) + str(body.get("details", ""))).lower(), body


def postgrest_refusal(body: Any, code: str, *, mentions: str = "") -> None:
    """PostgREST's `{code, message, details, hint}` with the code; `mentions` in message or details."""
    assert isinstance(body, dict) and set(body) == POSTGREST_KEYS, body
    assert body["code"] == code, body
    assert mentions.lower() in (str(body["message"]) + str(body["details"])).lower(), body


def gotrue_refusal(body: Any, status: int, error_code: str, *, mentions: str = "") -> None:
    """GoTrue's `{code, error_code, msg}`; `mentions` in the message."""
    assert isinstance(body, dict) and {"code", "error_code", "msg"} <= set(body), body
    assert (body["code"], body["error_code"]) == (status, error_code), body
    assert mentions.lower() in str(body["msg"]).lower(), body


def kong_refusal(body: Any, message: str) -> None:
    assert body == {"message": message}, body


def no_traceback(text: str) -> None:
    assert "Traceback" not in text and 'File "' not in text, text
