"""HS256 JWTs of the service: minting access tokens, verifying any token, and the API keys.

Verification is PostgREST's and GoTrue's: the signature must be HS256 with the project's
secret (`alg: none` and every other algorithm are refused), `exp`/`nbf`/`iat` are checked
with PostgREST's 30-second clock skew, and the `role` claim must be one of the API roles.
The legacy API keys are JWTs `{"iss": "supabase-demo", "role": ...}` signed with the same
secret, minted as the Supabase CLI does unless the settings bring their own.

No message raised here contains a token, a key or the secret.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import jwt

from reference_impl.settings import ServiceSettings, ServiceSettingsError

ALGORITHM = "HS256"
# The roles a token may name: the ones PostgREST switches into (and `pgcaller.Caller` runs as).
API_ROLES = frozenset({"anon", "authenticated", "service_role"})
MIN_SECRET_LENGTH = 32
# The Supabase CLI mints its demo keys with this expiry (2032-11-12), so with the CLI's
# default secret the keys minted here are byte for byte the ones `supabase status` prints.
API_KEY_EXPIRY = 1983812996
API_KEY_ISSUER = "supabase-demo"
DEFAULT_ISSUER = "http://127.0.0.1:54321/auth/v1"
DEFAULT_ACCESS_TOKEN_TTL_S = 3600
CLOCK_SKEW_S = 30
# What PyJWT lets through besides its own errors on hostile input: claims such as an `exp`
# of 1e400 (OverflowError), nesting deeper than the JSON parser's recursion limit, ...
_UNDECODABLE = (jwt.InvalidTokenError, ValueError, TypeError, OverflowError, RecursionError)


class TokenProblem(StrEnum):
    """Why a token was refused."""

    MALFORMED = "malformed"
    ALGORITHM = "algorithm"
    SIGNATURE = "signature"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    ROLE = "role"


class TokenRejected(Exception):
    """A JWT failed verification; `message` says why without repeating the token."""

    def __init__(self, problem: TokenProblem, message: str) -> None:
        super().__init__(message)
        self.problem = problem
        self.message = message


class ApiKeyError(ServiceSettingsError):
    """A configured API key does not fit the JWT secret (names the variable, never the key)."""


@dataclass(frozen=True)
class ApiKeys:
    """The project's two legacy API keys."""

    anon: str = field(repr=False)
    service_role: str = field(repr=False)

    def role_of(self, key: str) -> str | None:
        """`anon` or `service_role` when `key` is exactly one of the keys, else None."""
        candidate = key.encode()
        if hmac.compare_digest(candidate, self.anon.encode()):
            return "anon"
        if hmac.compare_digest(candidate, self.service_role.encode()):
            return "service_role"
        return None


@dataclass(frozen=True)
class AccessToken:
    """A minted user access token and the times a GoTrue session reports with it."""

    token: str = field(repr=False)
    claims: Mapping[str, Any]
    expires_in: int
    expires_at: int


class JwtAuthority:
    """Signs and verifies the project's JWTs with its secret."""

    def __init__(
        self,
        secret: str,
        *,
        anon_key: str | None = None,
        service_role_key: str | None = None,
        issuer: str = DEFAULT_ISSUER,
        access_token_ttl_s: int = DEFAULT_ACCESS_TOKEN_TTL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if len(secret) < MIN_SECRET_LENGTH:
            raise ServiceSettingsError(
                f"SUPABASE_JWT_SECRET must be at least {MIN_SECRET_LENGTH} characters long"
            )
        if access_token_ttl_s <= 0:
            raise ValueError(f"access_token_ttl_s must be positive, got {access_token_ttl_s}")
        self._secret = secret
        self.issuer = issuer
        self.access_token_ttl_s = access_token_ttl_s
        self._clock = clock
        self.api_keys = ApiKeys(
            anon=self._api_key("anon", anon_key, "SUPABASE_ANON_KEY"),
            service_role=self._api_key("service_role", service_role_key, "SUPABASE_SERVICE_ROLE_KEY"),
        )

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> JwtAuthority:
        """The authority of a service: its secret, its keys, and its public URL as issuer."""
        issuer = f"{settings.public_url.rstrip('/')}/auth/v1" if settings.public_url else DEFAULT_ISSUER
        return cls(
            settings.jwt_secret,
            anon_key=settings.anon_key,
            service_role_key=settings.service_role_key,
            issuer=issuer,
        )

    def __repr__(self) -> str:
        return f"JwtAuthority(issuer={self.issuer!r}, access_token_ttl_s={self.access_token_ttl_s})"

    def sign(self, claims: Mapping[str, Any]) -> str:
        """A compact HS256 JWT of exactly these claims."""
        return jwt.encode(dict(claims), self._secret, algorithm=ALGORITHM)

    def mint_access_token(
        self,
        *,
        user_id: str,
        email: str | None,
        session_id: str,
        app_metadata: Mapping[str, Any] | None = None,
        user_metadata: Mapping[str, Any] | None = None,
    ) -> AccessToken:
        """A user access token with GoTrue's claims (`aud` and `role` are `authenticated`)."""
        now = int(self._clock())
        ttl = self.access_token_ttl_s
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": user_id,
            "aud": "authenticated",
            "exp": now + ttl,
            "iat": now,
            "email": email or "",
            "phone": "",
            "app_metadata": dict(app_metadata or {}),
            "user_metadata": dict(user_metadata or {}),
            "role": "authenticated",
            "aal": "aal1",
            "amr": [{"method": "password", "timestamp": now}],
            "session_id": session_id,
            "is_anonymous": False,
        }
        return AccessToken(self.sign(claims), claims, expires_in=ttl, expires_at=now + ttl)

    def verify(self, token: str) -> dict[str, Any]:
        """The claims of a token this project signed; raises `TokenRejected` otherwise."""
        parts = token.split(".")
        if len(parts) != 3:
            raise TokenRejected(TokenProblem.MALFORMED, f"Expected 3 parts in JWT; got {len(parts)}")
        if not token.isascii():
            raise TokenRejected(TokenProblem.MALFORMED, "JWT contains characters that are not ASCII")
        try:
            header = jwt.get_unverified_header(token)
        except _UNDECODABLE:
            raise TokenRejected(TokenProblem.MALFORMED, "JWT cannot be decoded") from None
        if header.get("alg") != ALGORITHM:
            raise TokenRejected(TokenProblem.ALGORITHM, f"JWT algorithm must be {ALGORITHM}")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                leeway=CLOCK_SKEW_S,
                options={"verify_aud": False},
            )
        except jwt.ExpiredSignatureError:
            raise TokenRejected(TokenProblem.EXPIRED, "JWT expired") from None
        except jwt.ImmatureSignatureError:
            raise TokenRejected(TokenProblem.NOT_YET_VALID, "JWT not yet valid") from None
        except jwt.InvalidSignatureError:
            raise TokenRejected(TokenProblem.SIGNATURE, "JWT signature does not match") from None
        except jwt.InvalidTokenError as error:
            raise TokenRejected(TokenProblem.MALFORMED, f"JWT is invalid: {type(error).__name__}") from None
        except _UNDECODABLE:
            raise TokenRejected(TokenProblem.MALFORMED, "JWT claims cannot be decoded") from None
        role = claims.get("role")
        if not isinstance(role, str) or role not in API_ROLES:
            raise TokenRejected(
                TokenProblem.ROLE, f"JWT role claim must be one of {', '.join(sorted(API_ROLES))}"
            )
        return claims

    def _api_key(self, role: str, configured: str | None, variable: str) -> str:
        if configured is None:
            return self.sign({"iss": API_KEY_ISSUER, "role": role, "exp": API_KEY_EXPIRY})
        try:
            claims = self.verify(configured)
        except TokenRejected as rejected:
            raise ApiKeyError(
                f"{variable} does not verify against SUPABASE_JWT_SECRET: {rejected.message}"
            ) from None
        if claims["role"] != role:
            raise ApiKeyError(f"{variable} has role {claims['role']!r}, expected {role!r}")
        return configured
