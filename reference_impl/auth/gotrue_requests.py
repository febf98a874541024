"""Reading and validating the bodies of GoTrue requests; every refusal names the field."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from reference_impl.auth.gotrue_wire import GoTrueError, validation_error

MIN_PASSWORD_LENGTH = 6
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DEFAULT_APP_METADATA: Mapping[str, Any] = {"provider": "email", "providers": ["email"]}


@dataclass(frozen=True)
class AdminUserRequest:
    """The validated body of `POST /admin/users` (the password not yet hashed)."""

    email: str
    password: str | None = field(default=None, repr=False)
    email_confirm: bool = False
    user_metadata: Mapping[str, Any] = field(default_factory=dict)
    app_metadata: Mapping[str, Any] = field(default_factory=dict)
    user_id: str | None = None


async def json_object(request: web.Request, *, allow_empty: bool = False) -> dict[str, Any]:
    """The request body as a JSON object (`{}` for an empty body when allowed)."""
    raw = await request.read()
    if not raw.strip() and allow_empty:
        return {}
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise GoTrueError(400, "bad_json", f"Could not parse request body as JSON: {error}") from None
    if not isinstance(body, dict):
        raise GoTrueError(400, "bad_json", "Request body must be a JSON object")
    return body


def parse_uuid(value: str) -> str | None:
    """The canonical form of a UUID, or None when `value` is not one."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def _optional_object(body: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = body.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise validation_error(f"{name} must be a JSON object")
    return value


def parse_admin_user(body: Mapping[str, Any]) -> AdminUserRequest:
    """Validate an admin's new user; only email users with role `authenticated` exist here."""
    email = body.get("email")
    if not isinstance(email, str) or not email.strip():
        raise validation_error("email is required (phone users are not supported by the reference service)")
    if not _EMAIL.match(email.strip()):
        raise validation_error("Unable to validate email address: invalid format")
    if body.get("phone"):
        raise validation_error("phone is not supported by the reference service")
    role = body.get("role")
    if role not in (None, "authenticated"):
        raise validation_error("role must be 'authenticated' (the only user role of the reference service)")
    password = body.get("password")
    if password is not None:
        if not isinstance(password, str):
            raise validation_error("password must be a string")
        if len(password) < MIN_PASSWORD_LENGTH:
            raise GoTrueError(
                422,
                "weak_password",
                f"Password should be at least {MIN_PASSWORD_LENGTH} characters.",
                extra={"weak_password": {"reasons": ["length"]}},
            )
    email_confirm = body.get("email_confirm", False)
    if not isinstance(email_confirm, bool):
        raise validation_error("email_confirm must be a boolean")
    user_id = body.get("id")
    if user_id is not None:
        canonical = parse_uuid(user_id) if isinstance(user_id, str) else None
        if canonical is None:
            raise validation_error("id must be a UUID")
        user_id = canonical
    return AdminUserRequest(
        email=email.strip(),
        password=password,
        email_confirm=email_confirm,
        user_metadata=_optional_object(body, "user_metadata"),
        app_metadata={**DEFAULT_APP_METADATA, **_optional_object(body, "app_metadata")},
        user_id=user_id,
    )


def required_string(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise validation_error(f"{name} is required (a non-empty string)")
    return value
