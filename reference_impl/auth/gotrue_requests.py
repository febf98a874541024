"""Reading and validating the bodies of GoTrue requests; every refusal names the field."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from reference_impl.app_keys import SETTINGS_KEY
from reference_impl.auth.claims import parse_uuid
from reference_impl.auth.gotrue_wire import GoTrueError, validation_error
from reference_impl.request_input import GATEWAY_MAX_BODY_BYTES, BodyLimits, read_json_object

MIN_PASSWORD_LENGTH = 6
MAX_EMAIL_LENGTH = 255  # GoTrue's limit
# Written so Python and ECMAScript (OpenAPI) read it alike: no \s, whose meaning differs.
_EDGE_SPACE = " \t\n\r\f\v"
_PART = "[^@ \\t\\n\\r\\f\\v\\u0000]+"
EMAIL_PATTERN = f"^[ \\t\\n\\r\\f\\v]*{_PART}@{_PART}\\.{_PART}[ \\t\\n\\r\\f\\v]*$"
_EMAIL = re.compile(EMAIL_PATTERN)
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
    """The request body as a JSON object (`{}` for an empty body when allowed); a refused
    body is a `BodyRefused` that the surface guard renders as GoTrue would."""
    timeout_s = request.config_dict[SETTINGS_KEY].body_read_timeout.total_seconds()
    return await read_json_object(
        request, BodyLimits(GATEWAY_MAX_BODY_BYTES, timeout_s), allow_empty=allow_empty
    )


def checked_email(value: object, *, name: str = "email") -> str:
    """A present email of at most `MAX_EMAIL_LENGTH` characters (as sent), trimmed of ASCII
    spacing."""
    if not isinstance(value, str) or not value.strip(_EDGE_SPACE):
        raise validation_error(f"{name} is required (a non-empty string)")
    if len(value) > MAX_EMAIL_LENGTH:
        raise validation_error(
            f"An email address is too long: {name} has {len(value)} characters, "
            f"the limit is {MAX_EMAIL_LENGTH}"
        )
    return value.strip(_EDGE_SPACE)


def _optional_object(body: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = body.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise validation_error(f"{name} must be a JSON object")
    return value


def parse_admin_user(body: Mapping[str, Any]) -> AdminUserRequest:
    """Validate an admin's new user; only email users with role `authenticated` exist here."""
    raw_email = body.get("email")
    if not isinstance(raw_email, str) or not raw_email.strip(_EDGE_SPACE):
        raise validation_error("email is required (phone users are not supported by the reference service)")
    email = checked_email(raw_email)
    if not _EMAIL.fullmatch(raw_email):
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
        email=email,
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
