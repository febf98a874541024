"""Who the fuzzer calls each operation as, and how a reproduction names the credentials."""

from __future__ import annotations

import pytest

from harness.fuzz.callers import Credentials, caller_of, operation_security
from harness.fuzz.documents import Role
from harness.redact import Redactor

CREDENTIALS = Credentials(
    anon_key="anon-key-0123456789", service_key="service-key-0123456789", user_token="user-token-0123456789"
)


@pytest.mark.parametrize(
    ("path", "security", "calls_as", "role"),
    [
        ("/create-plan-job", [{"userJwt": []}], None, Role.USER),
        ("/process-plan-queue", [{"serviceRoleJwt": []}], None, Role.SERVICE),
        ("/signup", [{"apikey": []}], None, Role.ANON),
        ("/user", [{"apikey": [], "bearer": []}], None, Role.USER),
        ("/admin/users", [{"apikey": [], "bearer": []}], None, Role.SERVICE),
        ("/admin/users/{user_id}", [{"apikey": [], "bearer": []}], None, Role.SERVICE),
        ("/health", None, None, Role.ANON),
        ("/rpc/claim_next_plan_job", [{"apikey": []}], Role.SERVICE, Role.SERVICE),
        ("/plan_generation_jobs", [{"apikey": [], "bearer": []}], Role.ANON, Role.ANON),
    ],
)
def test_the_caller_is_the_one_the_document_names(
    path: str, security: list[dict[str, list[str]]] | None, calls_as: Role | None, role: Role
) -> None:
    assert caller_of(path, security, calls_as) is role


def test_an_operations_own_security_wins_over_the_documents() -> None:
    document = {
        "security": [{"apikey": []}],
        "paths": {"/a": {"get": {"security": [{"userJwt": []}]}}, "/b": {"get": {}}},
    }

    assert operation_security(document, "/a", "GET") == [{"userJwt": []}]
    assert operation_security(document, "/b", "GET") == [{"apikey": []}]
    assert operation_security({"paths": {}}, "/c", "GET") is None


def test_each_role_sends_what_supabase_js_sends() -> None:
    assert CREDENTIALS.headers(Role.ANON) == {
        "apikey": "anon-key-0123456789",
        "Authorization": "Bearer anon-key-0123456789",
    }
    assert CREDENTIALS.headers(Role.USER) == {
        "apikey": "anon-key-0123456789",
        "Authorization": "Bearer user-token-0123456789",
    }
    assert CREDENTIALS.headers(Role.SERVICE) == {
        "apikey": "service-key-0123456789",
        "Authorization": "Bearer service-key-0123456789",
    }


def test_calls_as_a_user_need_a_token() -> None:
    with pytest.raises(ValueError, match="user_token"):
        Credentials(anon_key="anon-key-0123456789", service_key="service-key-0123456789").headers(Role.USER)


def test_a_reproduction_names_the_credentials_and_the_redactor_leaves_the_names() -> None:
    text = "apikey: service-key-0123456789\nAuthorization: Bearer user-token-0123456789"

    masked = Redactor(()).text(CREDENTIALS.mask(text))

    assert masked == "apikey: <service role key>\nAuthorization: Bearer <user access token>"
    assert repr(CREDENTIALS).count("0123456789") == 0
