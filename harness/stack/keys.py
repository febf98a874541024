"""API keys of a Supabase-shaped target: legacy anon and service keys minted from a secret.

They are HS256 JWTs with `{"iss": "supabase-demo", "role": ...}`, like the Supabase CLI's.
"""

from __future__ import annotations

import secrets
import time

import jwt

from harness.client import ApiKeys

TEN_YEARS_S = 10 * 365 * 24 * 3600


def new_jwt_secret() -> str:
    return secrets.token_urlsafe(48)


def mint_api_keys(secret: str) -> ApiKeys:
    now = int(time.time())

    def key(role: str) -> str:
        return jwt.encode(
            {"iss": "supabase-demo", "role": role, "iat": now, "exp": now + TEN_YEARS_S},
            secret,
            algorithm="HS256",
        )

    return ApiKeys(anon=key("anon"), service_role=key("service_role"))
