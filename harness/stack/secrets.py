"""API keys of a Supabase-shaped target: legacy anon and service keys minted from a secret.

They are HS256 JWTs with `{"iss": "supabase-demo", "role": ...}`, like the Supabase CLI's.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import jwt

from harness.client import ApiKeys

TEN_YEARS_S = 10 * 365 * 24 * 3600


@dataclass(frozen=True)
class RunSecrets:
    """Secrets the run makes up for its local stacks; the controller knows them to redact them."""

    jwt_secret: str = field(default_factory=lambda: secrets.token_urlsafe(48), repr=False)
    deepseek_api_key: str = field(
        default_factory=lambda: "sk-conformance-" + secrets.token_hex(16), repr=False
    )
    fake_admin_token: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)

    def all(self) -> tuple[str, ...]:
        return (self.jwt_secret, self.deepseek_api_key, self.fake_admin_token)

    def to_workerinput(self) -> dict[str, str]:
        return {
            "jwt_secret": self.jwt_secret,
            "deepseek_api_key": self.deepseek_api_key,
            "fake_admin_token": self.fake_admin_token,
        }

    @classmethod
    def from_workerinput(cls, data: Mapping[str, str]) -> RunSecrets:
        return cls(
            jwt_secret=data["jwt_secret"],
            deepseek_api_key=data["deepseek_api_key"],
            fake_admin_token=data["fake_admin_token"],
        )


def mint_api_keys(secret: str) -> ApiKeys:
    now = int(time.time())

    def key(role: str) -> str:
        return jwt.encode(
            {"iss": "supabase-demo", "role": role, "iat": now, "exp": now + TEN_YEARS_S},
            secret,
            algorithm="HS256",
        )

    return ApiKeys(anon=key("anon"), service_role=key("service_role"))
