"""The OpenAPI 3.1 document of `/auth/v1` (served at `/auth/v1/openapi.json`).

The GoTrue subset of the reference service: what it accepts, the limits it enforces and
every status each route answers. Errors are GoTrue's `{code, error_code, msg}`; the
gateway's API key refusals are Kong's `{message}`.
"""

from __future__ import annotations

from typing import Any

from reference_impl.auth.gotrue_requests import EMAIL_PATTERN, MAX_EMAIL_LENGTH, MIN_PASSWORD_LENGTH
from reference_impl.auth.refresh_tokens import LogoutScope
from reference_impl.openapi.common import (
    API_VERSION,
    NO_NUL_JSON_SCHEMA,
    OPENAPI_VERSION,
    body_rules,
    json_content,
    json_object,
    ref,
    response,
    text,
)
from reference_impl.request_input import GATEWAY_MAX_BODY_BYTES

_TIMESTAMP = {"type": ["string", "null"], "format": "date-time"}
# Not only ASCII spacing, and no NUL (the sign-in email is looked up, not validated).
_NOT_BLANK = "^[^\\u0000]*[^ \\t\\n\\r\\f\\v\\u0000][^\\u0000]*$"

_SCHEMAS: dict[str, Any] = {
    "Json": NO_NUL_JSON_SCHEMA,
    "User": {
        "type": "object",
        "required": ["id", "aud", "role", "email", "app_metadata", "user_metadata", "created_at"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "aud": {"type": "string"},
            "role": {"type": "string"},
            "email": {"type": ["string", "null"]},
            "email_confirmed_at": _TIMESTAMP,
            "phone": {"type": "string"},
            "confirmed_at": _TIMESTAMP,
            "last_sign_in_at": _TIMESTAMP,
            "app_metadata": {"type": "object"},
            "user_metadata": {"type": "object"},
            "identities": {"type": "array"},
            "created_at": _TIMESTAMP,
            "updated_at": _TIMESTAMP,
            "is_anonymous": {"type": "boolean"},
        },
    },
    "Session": {
        "type": "object",
        "required": ["access_token", "token_type", "expires_in", "expires_at", "refresh_token", "user"],
        "properties": {
            "access_token": {
                "type": "string",
                "description": "HS256 JWT with GoTrue's claims, session_id included",
            },
            "token_type": {"const": "bearer"},
            "expires_in": {"type": "integer"},
            "expires_at": {"type": "integer"},
            "refresh_token": {"type": "string"},
            "user": ref("User"),
        },
    },
    "GoTrueError": {
        "type": "object",
        "required": ["code", "error_code", "msg"],
        "properties": {
            "code": {"type": "integer", "description": "the HTTP status"},
            "error_code": {"type": "string"},
            "msg": {"type": "string"},
            "error": {"type": "string", "description": "OAuth error (token endpoint)"},
            "error_description": {"type": "string"},
            "weak_password": {
                "type": "object",
                "properties": {"reasons": {"type": "array", "items": {"type": "string"}}},
            },
        },
    },
    "GatewayError": {
        "type": "object",
        "required": ["message"],
        "properties": {"message": {"enum": ["No API key found in request", "Invalid API key"]}},
    },
}


def _gotrue(description: str) -> dict[str, Any]:
    return response(description, ref("GoTrueError"))


_UNAUTHORIZED = response(
    "the apikey header is missing or not one of the project's keys (Kong's body), or a route "
    "that needs a Bearer token got none (`no_authorization`)",
    {"anyOf": [ref("GatewayError"), ref("GoTrueError")]},
)
_FORBIDDEN = _gotrue(
    "`bad_jwt` (a token this project did not sign, or expired, or without a UUID sub), "
    "`session_not_found` (its session was signed out), `user_not_found`, or `not_admin` "
    "(an admin route without the service role)"
)
_SERVER_ERROR = _gotrue("`unexpected_failure` (logged by the service)")


def _body_errors() -> dict[str, Any]:
    return {
        "400": _gotrue("`bad_json` (the body is not a JSON object) or `validation_failed` naming the field"),
        "408": _gotrue("`request_timeout`: the body did not arrive within the read timeout"),
        "413": _gotrue("`request_too_large`: the body is larger than the limit"),
    }


def _email(**extra: Any) -> dict[str, Any]:
    return text(min_length=1, max_length=MAX_EMAIL_LENGTH, pattern=EMAIL_PATTERN, **extra)


def _password(**extra: Any) -> dict[str, Any]:
    return text(min_length=MIN_PASSWORD_LENGTH, **extra)


_API_KEY: list[dict[str, list[str]]] = [{"apikey": []}]
_API_KEY_AND_BEARER: list[dict[str, list[str]]] = [{"apikey": [], "bearer": []}]


def auth_document() -> dict[str, Any]:
    signup_body = json_object(
        required=["email", "password"],
        properties={
            "email": _email(),
            "password": _password(),
            "data": json_object(description="the new user's user_metadata"),
        },
        description="other fields are ignored",
    )
    token_body = json_object(
        properties={
            "email": text(min_length=1, max_length=MAX_EMAIL_LENGTH, pattern=_NOT_BLANK),
            "password": text(min_length=1),
            "refresh_token": text(min_length=1),
        },
        description="password grant: email and password; refresh_token grant: refresh_token",
    )
    token_body["anyOf"] = [{"required": ["email", "password"]}, {"required": ["refresh_token"]}]
    admin_user_body = json_object(
        required=["email"],
        properties={
            "email": _email(),
            "password": {"anyOf": [_password(), {"type": "null"}]},
            "email_confirm": {"type": "boolean", "default": False},
            "user_metadata": {"anyOf": [json_object(), {"type": "null"}]},
            "app_metadata": {"anyOf": [json_object(), {"type": "null"}]},
            "id": {"type": ["string", "null"], "format": "uuid"},
            "role": {"enum": ["authenticated", None]},
            "phone": {"enum": ["", None], "description": "phone users are not supported"},
        },
        description="other fields are ignored",
    )
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "plan-conformance reference service: Auth (GoTrue subset)",
            "version": API_VERSION,
            "description": (
                "Email users, password and refresh-token sign-in, the current user, sign-out. "
                "Every route needs the `apikey` header. Password sign-ins are throttled per email and per "
                "client address (SIGN_IN_MAX_FAILURES_PER_EMAIL, SIGN_IN_MAX_FAILURES_PER_ADDRESS, "
                "SIGN_IN_FAILURE_WINDOW_MS). " + body_rules(GATEWAY_MAX_BODY_BYTES) + " Unknown paths "
                "answer 404 `not_found` and other methods 405 `method_not_allowed` with `Allow`."
            ),
        },
        "servers": [{"url": "/auth/v1"}],
        "paths": {
            "/signup": {
                "post": {
                    "operationId": "signUp",
                    "summary": "Create a confirmed email user and sign them in",
                    "security": _API_KEY,
                    "requestBody": {"required": True, "content": json_content(signup_body)},
                    "responses": {
                        "200": response("the new user's session", ref("Session")),
                        **_body_errors(),
                        "401": _UNAUTHORIZED,
                        "422": _gotrue("`user_already_exists` or `weak_password`"),
                        "500": _SERVER_ERROR,
                    },
                }
            },
            "/token": {
                "post": {
                    "operationId": "issueToken",
                    "summary": "Sign in with a password, or exchange a refresh token (rotated)",
                    "security": _API_KEY,
                    "parameters": [
                        {
                            "name": "grant_type",
                            "in": "query",
                            "required": True,
                            "schema": {"type": "string", "enum": ["password", "refresh_token"]},
                        }
                    ],
                    "requestBody": {"required": True, "content": json_content(token_body)},
                    "responses": {
                        "200": response("a session", ref("Session")),
                        **_body_errors(),
                        "401": _UNAUTHORIZED,
                        "429": _gotrue(
                            "`over_request_rate_limit`: too many failed sign-ins for this email or "
                            "from this address within the window"
                        )
                        | {
                            "headers": {
                                "Retry-After": {
                                    "description": "seconds until a sign-in is allowed again",
                                    "schema": {"type": "integer", "minimum": 1},
                                }
                            }
                        },
                        "500": _SERVER_ERROR,
                    },
                }
            },
            "/user": {
                "get": {
                    "operationId": "getUser",
                    "summary": "The user of the access token (its session must not have ended)",
                    "security": _API_KEY_AND_BEARER,
                    "responses": {
                        "200": response("the user", ref("User")),
                        "401": _UNAUTHORIZED,
                        "403": _FORBIDDEN,
                        "500": _SERVER_ERROR,
                    },
                }
            },
            "/logout": {
                "post": {
                    "operationId": "logout",
                    "summary": "End the token user's sessions: all (global), this one (local), or the others",
                    "security": _API_KEY_AND_BEARER,
                    "parameters": [
                        {
                            "name": "scope",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "enum": [scope.value for scope in LogoutScope]},
                        }
                    ],
                    "responses": {
                        "204": {"description": "the sessions have ended"},
                        "400": _gotrue("`validation_failed`: an unknown scope"),
                        "401": _UNAUTHORIZED,
                        "403": _FORBIDDEN,
                        "500": _SERVER_ERROR,
                    },
                }
            },
            "/admin/users": {
                "post": {
                    "operationId": "createUser",
                    "summary": "Create an email user (service role)",
                    "security": _API_KEY_AND_BEARER,
                    "requestBody": {"required": True, "content": json_content(admin_user_body)},
                    "responses": {
                        "200": response("the new user", ref("User")),
                        **_body_errors(),
                        "401": _UNAUTHORIZED,
                        "403": _FORBIDDEN,
                        "422": _gotrue("`email_exists`, `user_already_exists` or `weak_password`"),
                        "500": _SERVER_ERROR,
                    },
                }
            },
            "/admin/users/{user_id}": {
                "delete": {
                    "operationId": "deleteUser",
                    "summary": "Delete a user; their jobs, plans and sessions go with them (service role)",
                    "security": _API_KEY_AND_BEARER,
                    "parameters": [
                        {
                            "name": "user_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "format": "uuid"},
                        }
                    ],
                    "requestBody": {
                        "required": False,
                        "content": json_content(
                            json_object(
                                properties={
                                    "should_soft_delete": {
                                        "const": False,
                                        "description": "soft delete is not supported",
                                    }
                                }
                            )
                        ),
                    },
                    "responses": {
                        "200": response("the user was deleted", {"type": "object", "maxProperties": 0}),
                        **_body_errors(),
                        "401": _UNAUTHORIZED,
                        "403": _FORBIDDEN,
                        "404": _gotrue("`user_not_found`, or the id is not a UUID"),
                        "500": _SERVER_ERROR,
                    },
                }
            },
        },
        "components": {
            "schemas": _SCHEMAS,
            "securitySchemes": {
                "apikey": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "apikey",
                    "description": "the anon or the service role key",
                },
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "a user's access token; the service role key on admin routes",
                },
            },
        },
    }
