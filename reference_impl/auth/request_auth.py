"""How a request is authenticated: the gateway's API key check, then the bearer JWT.

On a Supabase project Kong checks the `apikey` header (`/rest/v1`, `/auth/v1`), and the
service behind it reads `Authorization: Bearer <jwt>`. This module only decides who the
caller is; each surface renders an `AuthFailure` in its own wire format (PostgREST,
GoTrue, Edge Functions), so nothing here builds a response.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from aiohttp import web

from pgcaller import Caller
from reference_impl.auth.app_keys import JWT_AUTHORITY_KEY
from reference_impl.auth.tokens import JwtAuthority, TokenProblem, TokenRejected


class AuthFailureReason(StrEnum):
    """Why a request could not be authenticated."""

    API_KEY_MISSING = "api_key_missing"
    API_KEY_INVALID = "api_key_invalid"
    TOKEN_MISSING = "token_missing"
    TOKEN_INVALID = "token_invalid"
    TOKEN_EXPIRED = "token_expired"
    SESSION_ENDED = "session_ended"  # the token's session was signed out (functions only)


# Kong's key-auth plugin answers 401 with exactly these messages.
KONG_MESSAGES = {
    AuthFailureReason.API_KEY_MISSING: "No API key found in request",
    AuthFailureReason.API_KEY_INVALID: "Invalid API key",
}


class AuthFailure(Exception):
    """The request is not authenticated; `message` is safe to show (no token, no key)."""

    def __init__(
        self, reason: AuthFailureReason, message: str, *, problem: TokenProblem | None = None
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.problem = problem


def _is_token_text(value: str) -> bool:
    """Whether a header value can be a JWT or an API key at all: printable ASCII only.

    aiohttp hands over bytes that are not UTF-8 as lone surrogates; they can be neither.
    """
    return value.isascii() and value.isprintable()


def api_key_role(request: web.Request) -> str:
    """`anon` or `service_role`: the role of the request's `apikey` header (Kong's check)."""
    key = request.headers.get("apikey", "").strip()
    reason = AuthFailureReason.API_KEY_MISSING if not key else AuthFailureReason.API_KEY_INVALID
    usable = key and _is_token_text(key)
    role = request.config_dict[JWT_AUTHORITY_KEY].api_keys.role_of(key) if usable else None
    if role is None:
        raise AuthFailure(reason, KONG_MESSAGES[reason])
    return role


def bearer_token(request: web.Request) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None when there is none."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthFailure(
            AuthFailureReason.TOKEN_INVALID,
            "Authorization header must be 'Bearer <JWT>'",
            problem=TokenProblem.MALFORMED,
        )
    if not _is_token_text(token.strip()):
        raise AuthFailure(
            AuthFailureReason.TOKEN_INVALID,
            "Authorization header holds characters a JWT cannot contain (only printable ASCII)",
            problem=TokenProblem.MALFORMED,
        )
    return token.strip()


def verified_claims(authority: JwtAuthority, token: str) -> dict[str, Any]:
    """The claims of a token, with a refusal turned into an `AuthFailure`."""
    try:
        return authority.verify(token)
    except TokenRejected as rejected:
        reason = (
            AuthFailureReason.TOKEN_EXPIRED
            if rejected.problem is TokenProblem.EXPIRED
            else AuthFailureReason.TOKEN_INVALID
        )
        raise AuthFailure(reason, rejected.message, problem=rejected.problem) from None


def bearer_claims(request: web.Request) -> dict[str, Any] | None:
    """The verified claims of the bearer token, or None when the request carries none."""
    token = bearer_token(request)
    if token is None:
        return None
    return verified_claims(request.config_dict[JWT_AUTHORITY_KEY], token)


def authenticate(request: web.Request, *, require_api_key: bool = True) -> Caller:
    """The caller of a request, or `AuthFailure`.

    With `require_api_key` (the gateway's routes), the `apikey` header must be the anon or
    the service key, and a request without `Authorization` acts with that key's role.
    Without it (Edge Functions, where only the JWT is checked), `Authorization` is required.
    """
    key_role = api_key_role(request) if require_api_key else None
    claims = bearer_claims(request)
    if claims is None:
        if key_role is None:
            raise AuthFailure(AuthFailureReason.TOKEN_MISSING, "Missing authorization header")
        authority = request.config_dict[JWT_AUTHORITY_KEY]
        claims = verified_claims(authority, request.headers["apikey"].strip())
    return Caller.from_claims(claims)
