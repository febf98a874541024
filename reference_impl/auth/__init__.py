"""Authentication of the reference service: JWTs and API keys, request authentication, and
the `/auth/v1` GoTrue stand-in.

Other parts use `JwtAuthority` (under `JWT_AUTHORITY_KEY` in the parent app), `authenticate`
and `AuthFailure`; the parent mounts `create_auth_app()` at `/auth/v1`.
"""

from __future__ import annotations

from reference_impl.auth.app_keys import JWT_AUTHORITY_KEY
from reference_impl.auth.gotrue import create_auth_app
from reference_impl.auth.passwords import ScryptParams
from reference_impl.auth.request_auth import (
    AuthFailure,
    AuthFailureReason,
    api_key_role,
    authenticate,
    bearer_claims,
)
from reference_impl.auth.tokens import ApiKeyError, ApiKeys, JwtAuthority, TokenProblem, TokenRejected

__all__ = [
    "JWT_AUTHORITY_KEY",
    "ApiKeyError",
    "ApiKeys",
    "AuthFailure",
    "AuthFailureReason",
    "JwtAuthority",
    "ScryptParams",
    "TokenProblem",
    "TokenRejected",
    "api_key_role",
    "authenticate",
    "bearer_claims",
    "create_auth_app",
]
