"""`JwtAuthority`: minting and verifying HS256 JWTs, and the legacy API keys."""

from __future__ import annotations

import time

import jwt
import pytest

from reference_impl.auth import ApiKeyError, JwtAuthority, TokenProblem, TokenRejected
from reference_impl.settings import LOCAL_DEFAULT_JWT_SECRET, ServiceSettings, ServiceSettingsError

from .service import JWT_SECRET

OTHER_SECRET = "a-different-secret-that-is-long-enough-too"
USER_ID = "2b9f6c1e-5a4d-4c3b-9e8f-7a6b5c4d3e2f"
# The keys `supabase start` prints for the CLI's default secret (supabase/cli apikeys.go).
CLI_ANON_KEY = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9"
    ".CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0"
)
CLI_SERVICE_KEY = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6InNlcnZpY2Vfcm9sZSIsImV4cCI6"
    "MTk4MzgxMjk5Nn0.EGIM96RAZx35lJzdJsyH-qQwv8Hdp7fsn3W0YpN81IU"
)


def rejection(authority: JwtAuthority, token: str) -> TokenRejected:
    with pytest.raises(TokenRejected) as caught:
        authority.verify(token)
    return caught.value


def test_a_minted_access_token_verifies_with_gotrues_claims() -> None:
    authority = JwtAuthority(JWT_SECRET)

    minted = authority.mint_access_token(user_id=USER_ID, email="a@example.test", session_id="s-1")
    claims = authority.verify(minted.token)

    assert (claims["sub"], claims["role"], claims["aud"], claims["session_id"]) == (
        USER_ID,
        "authenticated",
        "authenticated",
        "s-1",
    )
    assert claims["exp"] - claims["iat"] == minted.expires_in == authority.access_token_ttl_s
    assert jwt.get_unverified_header(minted.token)["alg"] == "HS256"


def test_a_token_signed_with_another_secret_is_refused() -> None:
    forged = JwtAuthority(OTHER_SECRET).mint_access_token(user_id=USER_ID, email=None, session_id="s")

    assert rejection(JwtAuthority(JWT_SECRET), forged.token).problem is TokenProblem.SIGNATURE


def test_an_expired_token_is_refused_beyond_the_clock_skew() -> None:
    two_hours_ago = JwtAuthority(JWT_SECRET, clock=lambda: time.time() - 7200)
    expired = two_hours_ago.mint_access_token(user_id=USER_ID, email=None, session_id="s")

    refused = rejection(JwtAuthority(JWT_SECRET), expired.token)

    assert (refused.problem, refused.message) == (TokenProblem.EXPIRED, "JWT expired")


def test_a_token_expired_within_the_clock_skew_still_verifies() -> None:
    authority = JwtAuthority(JWT_SECRET)
    token = authority.sign({"role": "anon", "exp": int(time.time()) - 5})

    assert authority.verify(token)["role"] == "anon"


@pytest.mark.parametrize("algorithm", ["none", "HS512", "HS384"])
def test_only_hs256_is_accepted(algorithm: str) -> None:
    # Long enough for HS512, so PyJWT signs without warning; the algorithm is refused first.
    key = "" if algorithm == "none" else JWT_SECRET * 2
    token = jwt.encode({"role": "service_role", "sub": USER_ID}, key, algorithm=algorithm)

    assert rejection(JwtAuthority(JWT_SECRET), token).problem is TokenProblem.ALGORITHM


@pytest.mark.parametrize("claims", [{"role": "postgres"}, {"role": "supabase_auth_admin"}, {"sub": USER_ID}])
def test_the_role_claim_must_be_an_api_role(claims: dict[str, str]) -> None:
    authority = JwtAuthority(JWT_SECRET)

    assert rejection(authority, authority.sign(claims)).problem is TokenProblem.ROLE


@pytest.mark.parametrize("token", ["", "abc", "a.b", "a.b.c", "a.b.c.d"])
def test_malformed_tokens_are_refused(token: str) -> None:
    assert rejection(JwtAuthority(JWT_SECRET), token).problem is TokenProblem.MALFORMED


def test_api_keys_are_the_supabase_cli_keys_for_the_cli_secret() -> None:
    keys = JwtAuthority(LOCAL_DEFAULT_JWT_SECRET).api_keys

    assert (keys.anon, keys.service_role) == (CLI_ANON_KEY, CLI_SERVICE_KEY)


def test_minted_api_keys_verify_with_their_role() -> None:
    authority = JwtAuthority(JWT_SECRET)

    assert authority.verify(authority.api_keys.anon)["role"] == "anon"
    assert authority.verify(authority.api_keys.service_role)["role"] == "service_role"
    assert authority.api_keys.role_of(authority.api_keys.service_role) == "service_role"
    assert authority.api_keys.role_of(authority.api_keys.anon + "x") is None


def test_configured_keys_are_used_when_they_verify() -> None:
    settings = ServiceSettings(
        database_url="postgresql:///x",
        jwt_secret=LOCAL_DEFAULT_JWT_SECRET,
        anon_key=CLI_ANON_KEY,
        service_role_key=CLI_SERVICE_KEY,
    )

    keys = JwtAuthority.from_settings(settings).api_keys

    assert (keys.anon, keys.service_role) == (CLI_ANON_KEY, CLI_SERVICE_KEY)


def test_a_configured_key_signed_with_another_secret_stops_start_up_without_leaking() -> None:
    with pytest.raises(ApiKeyError) as caught:
        JwtAuthority(JWT_SECRET, anon_key=CLI_ANON_KEY)

    message = str(caught.value)
    assert "SUPABASE_ANON_KEY" in message
    assert CLI_ANON_KEY not in message
    assert JWT_SECRET not in message


def test_a_configured_key_with_the_wrong_role_stops_start_up() -> None:
    with pytest.raises(ApiKeyError, match="SUPABASE_SERVICE_ROLE_KEY has role 'anon'"):
        JwtAuthority(LOCAL_DEFAULT_JWT_SECRET, service_role_key=CLI_ANON_KEY)


def test_a_short_secret_is_refused_without_repeating_it() -> None:
    with pytest.raises(ServiceSettingsError, match="SUPABASE_JWT_SECRET") as caught:
        JwtAuthority("short-secret")

    assert "short-secret" not in str(caught.value)


def test_the_issuer_follows_the_public_url() -> None:
    settings = ServiceSettings(
        database_url="postgresql:///x", jwt_secret=JWT_SECRET, public_url="https://ref.supabase.co/"
    )

    authority = JwtAuthority.from_settings(settings)
    claims = authority.verify(authority.mint_access_token(user_id=USER_ID, email=None, session_id="s").token)

    assert claims["iss"] == "https://ref.supabase.co/auth/v1"


def test_repr_shows_no_secret_or_key() -> None:
    authority = JwtAuthority(JWT_SECRET)

    shown = repr(authority) + repr(authority.api_keys)

    assert JWT_SECRET not in shown
    assert authority.api_keys.anon not in shown
