"""GoTrue's wire format: user and session JSON, and its error bodies.

Errors use GoTrue's `{"code": <status>, "error_code": ..., "msg": ...}` shape, which
supabase-js and supabase-py read whatever API version they ask for. The token endpoint's
refusals also carry the OAuth keys `error` and `error_description` of older GoTrue
releases, so old and new clients both find their message. The gateway's API key refusals
keep Kong's `{"message": ...}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from reference_impl.auth.request_auth import KONG_MESSAGES, AuthFailure, AuthFailureReason
from reference_impl.auth.tokens import AccessToken
from reference_impl.auth.users import AuthUser
from reference_impl.surface_guard import Refusal, RefusalKind

UNEXPECTED_FAILURE = "Unexpected failure, please check server logs for more information"


class GoTrueError(Exception):
    """A refusal in GoTrue's shape; `extra` adds keys such as the OAuth ones."""

    def __init__(
        self,
        status: int,
        error_code: str,
        message: str,
        *,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})

    def response(self) -> web.Response:
        body = {**self.extra, "code": self.status, "error_code": self.error_code, "msg": self.message}
        return web.json_response(body, status=self.status, headers=self.headers)


def grant_error(error_code: str, message: str) -> GoTrueError:
    """A 400 of the token endpoint, readable as OAuth `invalid_grant` and as a GoTrue error."""
    return GoTrueError(
        400, error_code, message, extra={"error": "invalid_grant", "error_description": message}
    )


def validation_error(message: str) -> GoTrueError:
    return GoTrueError(400, "validation_failed", message)


_CODE_OF_REFUSAL = {
    RefusalKind.BODY_TOO_LARGE: "request_too_large",
    RefusalKind.BODY_TIMEOUT: "request_timeout",
    RefusalKind.NOT_FOUND: "not_found",
    RefusalKind.METHOD_NOT_ALLOWED: "method_not_allowed",
    RefusalKind.UNEXPECTED: "unexpected_failure",
}


def refusal_response(refusal: Refusal) -> web.Response:
    """A refusal of the surface guard in GoTrue's shape: a body that is not usable JSON is
    `bad_json`, a bad value inside it `validation_failed` naming the field."""
    if refusal.kind is RefusalKind.BODY_INVALID:
        code = "bad_json" if refusal.field in (None, "body") else "validation_failed"
    elif refusal.kind is RefusalKind.HTTP_ERROR:
        code = "validation_failed" if refusal.status < 500 else "unexpected_failure"
    else:
        code = _CODE_OF_REFUSAL[refusal.kind]
    message = UNEXPECTED_FAILURE if refusal.kind is RefusalKind.UNEXPECTED else refusal.message
    return GoTrueError(refusal.status, code, message, headers=dict(refusal.headers)).response()


def auth_failure_response(failure: AuthFailure) -> web.Response:
    """How the gateway and GoTrue refuse a request that is not authenticated."""
    if failure.reason in KONG_MESSAGES:
        return web.json_response({"message": failure.message}, status=401)
    if failure.reason is AuthFailureReason.TOKEN_MISSING:
        return GoTrueError(401, "no_authorization", "This endpoint requires a Bearer token").response()
    detail = "token is expired" if failure.reason is AuthFailureReason.TOKEN_EXPIRED else failure.message
    return GoTrueError(
        403, "bad_jwt", f"invalid JWT: unable to parse or verify signature, {detail}"
    ).response()


def _timestamp(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def user_json(user: AuthUser) -> dict[str, Any]:
    confirmed_at = _timestamp(user.email_confirmed_at)
    return {
        "id": user.id,
        "aud": user.aud,
        "role": user.role,
        "email": user.email,
        "email_confirmed_at": confirmed_at,
        "phone": "",
        "confirmed_at": confirmed_at,
        "last_sign_in_at": _timestamp(user.last_sign_in_at),
        "app_metadata": dict(user.app_metadata),
        "user_metadata": dict(user.user_metadata),
        "identities": [],
        "created_at": _timestamp(user.created_at),
        "updated_at": _timestamp(user.updated_at),
        "is_anonymous": False,
    }


def session_json(access: AccessToken, refresh_token: str, user: AuthUser) -> dict[str, Any]:
    return {
        "access_token": access.token,
        "token_type": "bearer",
        "expires_in": access.expires_in,
        "expires_at": access.expires_at,
        "refresh_token": refresh_token,
        "user": user_json(user),
    }
