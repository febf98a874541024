"""The fuzzer's allow-list: each entry allows only its own case, and never a server error."""

from __future__ import annotations

import json
from typing import Any

import pytest

from harness.fuzz.allowances import (
    ALLOWANCES,
    NEGATIVE_REJECTION,
    POSITIVE_ACCEPTANCE,
    Allowance,
    Finding,
    allowance_for,
    error_code_of,
)

INTERVAL = {"type": "string", "format": "interval", "pattern": "^[0-9]{1,6} (minutes|hours)$"}
HEALTH_ARGS: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"p_window": INTERVAL},
}
CLAIM_ARGS: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["p_worker_id"],
    "properties": {"p_worker_id": {"type": "string", "format": "text", "pattern": "^[^\\u0000]*$"}},
}


def _finding(**fields: Any) -> Finding:
    defaults: dict[str, Any] = {
        "check": POSITIVE_ACCEPTANCE,
        "operation": "POST /signup",
        "status": 422,
        "error_code": None,
    }
    if "body" in fields:  # the body as sent, as the runner gives both
        defaults["body_text"] = json.dumps(fields["body"])
    return Finding(**{**defaults, **fields})


@pytest.mark.parametrize(
    "finding",
    [
        _finding(error_code="user_already_exists"),
        _finding(operation="POST /admin/users", error_code="email_exists"),
        _finding(operation="POST /token", status=400, error_code="invalid_credentials"),
        _finding(
            operation="POST /token",
            status=400,
            error_code="validation_failed",
            query={"grant_type": "refresh_token"},
            body={"email": "a@b.c", "password": "secret"},
        ),
        _finding(operation="GET /plan_generation_jobs", status=416, error_code="PGRST103"),
        _finding(operation="POST /rpc/claim_next_plan_job", status=400, error_code="PT400"),
        _finding(
            operation="POST /rpc/complete_plan_job",
            status=400,
            error_code="PGRST102",
            body_text='{"p_plan": {"a\\u0000": 1}}',
        ),
        _finding(
            operation="POST /rpc/plan_job_health",
            status=400,
            error_code="22008",
            body={"p_window": "437048 months"},
            body_schema=HEALTH_ARGS,
        ),
        _finding(
            check=NEGATIVE_REJECTION, operation="POST /rpc/get_active_plan_job", status=200, body_text=" \n"
        ),
        _finding(
            check=NEGATIVE_REJECTION,
            operation="POST /rpc/plan_job_health",
            status=200,
            body={"p_window": "4 hours*"},
            body_schema=HEALTH_ARGS,
        ),
        _finding(
            check=NEGATIVE_REJECTION,
            operation="POST /rpc/claim_next_plan_job",
            status=200,
            body={"p_worker_id": -35228},
            body_schema=CLAIM_ARGS,
        ),
        _finding(
            check=NEGATIVE_REJECTION,
            operation="POST /rpc/claim_next_plan_job",
            status=200,
            body={"p_worker_id": {}},
            body_schema=CLAIM_ARGS,
        ),
    ],
    ids=[
        "signup-email",
        "admin-email",
        "wrong-password",
        "other-grant-body",
        "offset-past-rows",
        "function-argument-check",
        "nul-in-json-argument",
        "time-out-of-range",
        "empty-rpc-body",
        "time-form",
        "number-for-text",
        "object-for-text",
    ],
)
def test_a_documented_exception_is_allowed(finding: Finding) -> None:
    assert allowance_for(finding) is not None


@pytest.mark.parametrize(
    "finding",
    [
        _finding(error_code="validation_failed"),  # another refusal of the same operation and status
        _finding(operation="POST /admin/users", error_code="user_already_exists", status=400),  # other status
        _finding(check="response_schema_conformance", error_code="user_already_exists"),  # another check
        _finding(
            operation="POST /token",
            status=400,
            error_code="validation_failed",
            query={"grant_type": "password"},
            body={"email": "a@b.c", "password": "secret"},  # the body the grant asks for, refused
        ),
        _finding(operation="POST /rpc/claim_next_plan_job", status=400, error_code="22P02"),
        _finding(operation="POST /rpc/complete_plan_job", status=400, error_code="PGRST102", body_text="{}"),
        _finding(
            operation="POST /rpc/claim_next_plan_job",
            status=400,
            error_code="22008",
            body={"p_worker_id": "w"},
            body_schema=CLAIM_ARGS,  # no time argument
        ),
        _finding(check=NEGATIVE_REJECTION, operation="POST /rpc/plan_job_health", status=200, body_text="{}"),
        _finding(
            check=NEGATIVE_REJECTION,
            operation="POST /rpc/plan_job_health",
            status=200,
            body={"p_window": "4 hours*", "p_other": 1},  # an argument the function does not have
            body_schema=HEALTH_ARGS,
        ),
        _finding(
            check=NEGATIVE_REJECTION,
            operation="POST /rpc/claim_next_plan_job",
            status=200,
            body={"p_worker_id": None},  # a null is no text PostgreSQL reads
            body_schema=CLAIM_ARGS,
        ),
        _finding(
            check=NEGATIVE_REJECTION,
            operation="POST /rpc/claim_next_plan_job",
            status=200,
            body={"p_worker_id": "a\u0000b"},  # the right type breaking its pattern
            body_schema=CLAIM_ARGS,
        ),
        _finding(check=NEGATIVE_REJECTION, operation="GET /plan_generation_jobs", status=200, body_text=""),
    ],
    ids=[
        "other-code",
        "other-status",
        "other-check",
        "right-grant-body",
        "type-error",
        "pgrst102-without-nul",
        "range-without-time-argument",
        "non-empty-body",
        "extra-argument",
        "null-for-text",
        "nul-in-text",
        "table-read",
    ],
)
def test_anything_else_is_not_allowed(finding: Finding) -> None:
    assert allowance_for(finding) is None


@pytest.mark.parametrize("status", [500, 502, 503, 504, 546])
def test_no_allowance_covers_a_server_error(status: int) -> None:
    with pytest.raises(ValueError, match="a server error is never right"):
        Allowance(POSITIVE_ACCEPTANCE, r"POST /x", status, "code", "why")
    for check in (POSITIVE_ACCEPTANCE, NEGATIVE_REJECTION, "not_a_server_error"):
        assert allowance_for(_finding(check=check, status=status, error_code="PT400")) is None


def test_an_allowance_names_an_error_code_or_a_test() -> None:
    with pytest.raises(ValueError, match="must name an error code or a test"):
        Allowance(POSITIVE_ACCEPTANCE, r"POST /x", 400, None, "why")
    assert all(allowance.error_code or allowance.when for allowance in ALLOWANCES)


def test_error_codes_are_read_from_each_surfaces_body() -> None:
    assert error_code_of({"code": 422, "error_code": "email_exists", "msg": "..."}) == "email_exists"
    assert error_code_of({"code": "PT400", "message": "..."}) == "PT400"
    assert error_code_of({"error": "...", "error_code": "INVALID_REQUEST"}) == "INVALID_REQUEST"
    assert error_code_of({"message": "Invalid API key"}) is None
    assert error_code_of(None) is None
