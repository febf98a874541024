"""The `/auth/v1` sub-application: the subset of GoTrue the app and the harness use.

`POST /admin/users` and `DELETE /admin/users/{id}` (service role), `POST /signup`,
`POST /token` with `grant_type=password` or `refresh_token` (any API key; password
grants throttled per email and address), `GET /user` and `POST /logout` (a user's token
of a live session). Every route but `GET /openapi.json` (this surface's OpenAPI 3.1
document) first passes the gateway's API key check. The parent application provides
`DATABASE_KEY`, `SETTINGS_KEY` and `JWT_AUTHORITY_KEY`; every failure is answered in
GoTrue's error shape by the surface guard.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from aiohttp import web

from reference_impl.app_keys import DATABASE_KEY
from reference_impl.auth.app_keys import JWT_AUTHORITY_KEY
from reference_impl.auth.auth_db import auth_admin_transaction
from reference_impl.auth.claims import parse_uuid, session_of
from reference_impl.auth.gotrue_requests import (
    checked_email,
    json_object,
    parse_admin_user,
    required_string,
)
from reference_impl.auth.gotrue_wire import (
    GoTrueError,
    auth_failure_response,
    grant_error,
    refusal_response,
    session_json,
    user_json,
    validation_error,
)
from reference_impl.auth.passwords import PasswordHasher, ScryptParams
from reference_impl.auth.refresh_tokens import (
    LogoutScope,
    Rotated,
    RotationRefused,
    end_sessions,
    issue_refresh_token,
    rotate_refresh_token,
)
from reference_impl.auth.request_auth import AuthFailure, AuthFailureReason, api_key_role, bearer_claims
from reference_impl.auth.sessions import session_is_active
from reference_impl.auth.sign_in_throttle import SignInThrottle
from reference_impl.auth.users import (
    AuthUser,
    NewUser,
    UserAlreadyExists,
    credentials_by_email,
    delete_user,
    insert_user,
    mark_signed_in,
    user_by_id,
)
from reference_impl.openapi.auth_document import auth_document
from reference_impl.settings import SignInLimits
from reference_impl.surface_guard import surface_guard

PASSWORD_HASHER_KEY = web.AppKey("password_hasher", PasswordHasher)
SIGN_IN_THROTTLE_KEY = web.AppKey("sign_in_throttle", SignInThrottle)

INVALID_LOGIN = "Invalid login credentials"
REFRESH_REFUSALS = {
    RotationRefused.NOT_FOUND: "Invalid Refresh Token: Refresh Token Not Found",
    RotationRefused.ALREADY_USED: "Invalid Refresh Token: Already Used",
}


def create_auth_app(
    *, password_params: ScryptParams | None = None, sign_in_limits: SignInLimits | None = None
) -> web.Application:
    """The GoTrue stand-in, to be mounted at `/auth/v1`."""
    app = web.Application(middlewares=[surface_guard("auth", refusal_response, _render_known)])
    app[PASSWORD_HASHER_KEY] = PasswordHasher(password_params)
    app[SIGN_IN_THROTTLE_KEY] = SignInThrottle(sign_in_limits or SignInLimits())
    app.router.add_post("/admin/users", create_user)
    app.router.add_post("/signup", sign_up)
    app.router.add_delete("/admin/users/{user_id}", remove_user)
    app.router.add_post("/token", issue_token)
    app.router.add_get("/user", current_user)
    app.router.add_post("/logout", logout)
    app.router.add_get("/openapi.json", openapi_document)
    return app


def _render_known(error: Exception) -> web.Response | None:
    if isinstance(error, GoTrueError):
        return error.response()
    if isinstance(error, AuthFailure):
        return auth_failure_response(error)
    return None


async def openapi_document(request: web.Request) -> web.Response:
    return web.json_response(auth_document())


def _require_bearer(request: web.Request) -> dict[str, Any]:
    api_key_role(request)
    claims = bearer_claims(request)
    if claims is None:
        raise AuthFailure(AuthFailureReason.TOKEN_MISSING, "Missing authorization header")
    return claims


def _require_admin(request: web.Request) -> None:
    if _require_bearer(request).get("role") != "service_role":
        raise GoTrueError(403, "not_admin", "User not allowed")


async def _user_claims(request: web.Request) -> tuple[str, dict[str, Any]]:
    """The user id (`sub`) of a user's token whose session is live, and its claims.

    As GoTrue: a token with a `session_id` of a session that has ended (sign-out, reuse of
    a spent refresh token, the user deleted) is 403 `session_not_found`; a token without
    one (made by hand with the secret) names no session to check.
    """
    claims = _require_bearer(request)
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise GoTrueError(403, "bad_jwt", "invalid claim: missing sub claim")
    user_id = parse_uuid(sub)
    if user_id is None:
        raise GoTrueError(403, "bad_jwt", "invalid claim: sub claim must be a UUID")
    session = session_of(claims)
    if session.invalid:
        raise GoTrueError(403, "bad_jwt", "invalid claim: session_id claim must be a UUID")
    db = request.config_dict[DATABASE_KEY]
    if session.id is not None and not await session_is_active(db, user_id=user_id, session_id=session.id):
        raise GoTrueError(403, "session_not_found", "Session from session_id claim in JWT does not exist")
    return user_id, claims


async def create_user(request: web.Request) -> web.Response:
    _require_admin(request)
    wanted = parse_admin_user(await json_object(request))
    password_hash = None
    if wanted.password is not None:
        password_hash = await asyncio.to_thread(request.app[PASSWORD_HASHER_KEY].hash, wanted.password)
    new_user = NewUser(
        email=wanted.email,
        password_hash=password_hash,
        email_confirmed=wanted.email_confirm,
        user_metadata=wanted.user_metadata,
        app_metadata=wanted.app_metadata,
        user_id=wanted.user_id,
    )
    try:
        async with auth_admin_transaction(request.config_dict[DATABASE_KEY]) as conn:
            user = await insert_user(conn, new_user)
    except UserAlreadyExists as taken:
        if taken.field == "email":
            raise GoTrueError(
                422, "email_exists", "A user with this email address has already been registered"
            ) from None
        raise GoTrueError(422, "user_already_exists", "A user with this id already exists") from None
    return web.json_response(user_json(user))


async def sign_up(request: web.Request) -> web.Response:
    """`POST /signup` with the anon key: a confirmed user and a session at once, as GoTrue
    answers with email confirmation off (the local stack has no mail)."""
    api_key_role(request)
    body = await json_object(request)
    metadata = body.get("data", {})
    if not isinstance(metadata, dict):
        raise validation_error("data must be a JSON object")
    wanted = parse_admin_user(
        {"email": body.get("email"), "password": body.get("password"), "user_metadata": metadata}
    )
    if wanted.password is None:
        raise validation_error("password is required")
    password_hash = await asyncio.to_thread(request.app[PASSWORD_HASHER_KEY].hash, wanted.password)
    session_id = str(uuid.uuid4())
    try:
        async with auth_admin_transaction(request.config_dict[DATABASE_KEY]) as conn:
            user = await insert_user(
                conn,
                NewUser(
                    email=wanted.email,
                    password_hash=password_hash,
                    email_confirmed=True,
                    user_metadata=metadata,
                ),
            )
            refresh_token = await issue_refresh_token(conn, user_id=user.id, session_id=session_id)
    except UserAlreadyExists:
        raise GoTrueError(422, "user_already_exists", "User already registered") from None
    return _session_response(request, user, session_id, refresh_token)


async def remove_user(request: web.Request) -> web.Response:
    _require_admin(request)
    user_id = parse_uuid(request.match_info["user_id"])
    if user_id is None:
        raise GoTrueError(404, "validation_failed", "user_id must be an UUID")
    body = await json_object(request, allow_empty=True)
    soft_delete = body.get("should_soft_delete", False)
    if not isinstance(soft_delete, bool):
        raise validation_error("should_soft_delete must be a boolean")
    if soft_delete:
        raise validation_error("should_soft_delete is not supported by the reference service")
    async with auth_admin_transaction(request.config_dict[DATABASE_KEY]) as conn:
        deleted = await delete_user(conn, user_id)
    if not deleted:
        raise GoTrueError(404, "user_not_found", "User not found")
    return web.json_response({})


async def issue_token(request: web.Request) -> web.Response:
    api_key_role(request)
    grant_type = request.query.get("grant_type", "")
    body = await json_object(request)
    if grant_type == "password":
        return await _password_grant(request, body)
    if grant_type == "refresh_token":
        return await _refresh_grant(request, body)
    raise GoTrueError(
        400,
        "validation_failed",
        f"unsupported grant_type {grant_type[:40]!r}: use password or refresh_token",
        extra={
            "error": "unsupported_grant_type",
            "error_description": "grant_type must be password or refresh_token",
        },
    )


async def _password_grant(request: web.Request, body: dict[str, Any]) -> web.Response:
    email = checked_email(body.get("email"))
    password = required_string(body, "password")
    throttle = request.app[SIGN_IN_THROTTLE_KEY]
    address = request.remote or "unknown"
    throttled = throttle.begin(email, address)
    if throttled is not None:
        raise GoTrueError(
            429,
            "over_request_rate_limit",
            f"Request rate limit reached: too many failed sign-ins for this {throttled.limit}; "
            f"retry after {throttled.retry_after_s} s",
            headers={"Retry-After": str(throttled.retry_after_s)},
        )
    db = request.config_dict[DATABASE_KEY]
    async with auth_admin_transaction(db) as conn:
        credentials = await credentials_by_email(conn, email)
    hasher = request.app[PASSWORD_HASHER_KEY]
    stored_hash = credentials.password_hash if credentials else None
    if not await asyncio.to_thread(hasher.verify, password, stored_hash) or credentials is None:
        raise grant_error("invalid_credentials", INVALID_LOGIN)
    throttle.succeeded(email, address)
    if credentials.user.email_confirmed_at is None:
        raise grant_error("email_not_confirmed", "Email not confirmed")
    session_id = str(uuid.uuid4())
    async with auth_admin_transaction(db) as conn:
        user = await mark_signed_in(conn, credentials.user.id)
        if user is None:
            raise grant_error("invalid_credentials", INVALID_LOGIN)
        refresh_token = await issue_refresh_token(conn, user_id=user.id, session_id=session_id)
    return _session_response(request, user, session_id, refresh_token)


async def _refresh_grant(request: web.Request, body: dict[str, Any]) -> web.Response:
    token = required_string(body, "refresh_token")
    async with auth_admin_transaction(request.config_dict[DATABASE_KEY]) as conn:
        outcome = await rotate_refresh_token(conn, token)
        user = await user_by_id(conn, outcome.user_id) if isinstance(outcome, Rotated) else None
    # Raised after the transaction, so revoking a reused token's session is committed.
    if isinstance(outcome, RotationRefused):
        raise grant_error(outcome.value, REFRESH_REFUSALS[outcome])
    if user is None:
        raise grant_error("user_not_found", "User from refresh token does not exist")
    return _session_response(request, user, outcome.session_id, outcome.token)


def _session_response(
    request: web.Request, user: AuthUser, session_id: str, refresh_token: str
) -> web.Response:
    access = request.config_dict[JWT_AUTHORITY_KEY].mint_access_token(
        user_id=user.id,
        email=user.email,
        session_id=session_id,
        app_metadata=user.app_metadata,
        user_metadata=user.user_metadata,
    )
    return web.json_response(session_json(access, refresh_token, user))


async def current_user(request: web.Request) -> web.Response:
    user_id, _ = await _user_claims(request)
    async with auth_admin_transaction(request.config_dict[DATABASE_KEY]) as conn:
        user = await user_by_id(conn, user_id)
    if user is None:
        raise GoTrueError(403, "user_not_found", "User from sub claim in JWT does not exist")
    return web.json_response(user_json(user))


async def logout(request: web.Request) -> web.Response:
    user_id, claims = await _user_claims(request)
    try:
        scope = LogoutScope(request.query.get("scope", LogoutScope.GLOBAL))
    except ValueError:
        raise validation_error(f"scope must be one of {', '.join(LogoutScope)}") from None
    async with auth_admin_transaction(request.config_dict[DATABASE_KEY]) as conn:
        await end_sessions(conn, user_id=user_id, scope=scope, session_id=session_of(claims).id)
    return web.Response(status=204)
