"""The OpenAPI 3.1 document of `/functions/v1` (served at `/functions/v1/openapi.json`).

The profile's schema is generated from the model that validates it
(`reference_impl.pipeline.profile.Profile`), so the document and the checks cannot drift.
"""

from __future__ import annotations

from typing import Any

from reference_impl.function_errors import FUNCTION_ERROR_STATUS
from reference_impl.openapi.common import (
    API_VERSION,
    OPENAPI_VERSION,
    body_rules,
    json_content,
    ref,
    response,
)
from reference_impl.pipeline.profile import Profile
from reference_impl.settings import ServiceSettings

JOB_STATUSES = ["pending", "processing", "completed", "failed", "cancelled"]
# A trimmed list item: not blank and no NUL.
_LIST_ITEM_PATTERN = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"


def _profile_schema() -> dict[str, Any]:
    schema = Profile.model_json_schema()
    schema.pop("title", None)
    schema["description"] = (
        "The user's profile (docs/contract.md). Numbers are strict JSON numbers; list items are "
        "trimmed and must not be blank; unknown fields are refused."
    )
    for prop in schema["properties"].values():
        prop.pop("title", None)
        items = prop.get("items")
        if isinstance(items, dict) and items.get("type") == "string":
            items["pattern"] = _LIST_ITEM_PATTERN
    return schema


def _error_schema(codes: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["error", "error_code"],
        "properties": {
            "error": {"type": "string", "description": "what is wrong, for people"},
            "error_code": {"type": "string", "enum": codes},
            "details": {
                "type": "array",
                "description": "every refused field (INVALID_REQUEST)",
                "items": {
                    "type": "object",
                    "required": ["field", "message"],
                    "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
                },
            },
            "nextAllowedAt": {
                "type": "string",
                "format": "date-time",
                "description": "when a new plan may be generated (REGENERATION_TOO_SOON)",
            },
        },
    }


def _error(description: str, *codes: str) -> dict[str, Any]:
    statuses = {FUNCTION_ERROR_STATUS[code] for code in codes}
    assert len(statuses) == 1, f"one status per response, got {statuses}"
    return response(description, _error_schema(list(codes)))


def _common_errors(*, reads_body: bool = True) -> dict[str, Any]:
    errors = {
        "401": _error(
            "no token, a token this project did not sign, an expired one, or one whose session has ended",
            "AUTH_REQUIRED",
        ),
        "500": _error("the function failed (logged by the service)", "UNEXPECTED_ERROR"),
    }
    if reads_body:
        errors["400"] = _error(
            "the body or a field in it is invalid; `details` names every field", "INVALID_REQUEST"
        )
        errors["408"] = _error("the body did not arrive within the read timeout", "REQUEST_TIMEOUT")
        errors["413"] = _error("the body is larger than the limit", "PAYLOAD_TOO_LARGE")
    return errors


def functions_document(settings: ServiceSettings, *, max_jobs_limit: int) -> dict[str, Any]:
    """The document for the service's settings (the body limit is one of them)."""
    create_body = {
        "type": "object",
        "additionalProperties": False,
        "required": ["profile"],
        "properties": {
            "profile": ref("Profile"),
            "regenerate": {
                "type": "boolean",
                "default": False,
                "description": "replace the active job or the current plan (within the cooldown: 429)",
            },
        },
    }
    created = {
        "type": "object",
        "required": ["jobId", "status", "created"],
        "properties": {
            "jobId": {"type": "string", "format": "uuid"},
            "status": {"type": "string", "enum": ["pending", "processing"]},
            "created": {"type": "boolean", "description": "false when the user's active job was returned"},
            "supersededJobId": {"type": "string", "format": "uuid"},
        },
    }
    queue_body = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "maxJobs": {
                "type": "integer",
                "minimum": 1,
                "maximum": max_jobs_limit,
                "description": (
                    f"jobs to claim at most (default WORKER_CONCURRENCY, {settings.queue.worker_concurrency})"
                ),
            }
        },
    }
    processed = {
        "type": "object",
        "required": ["recovered", "processed"],
        "properties": {
            "recovered": {
                "type": "object",
                "required": ["stuck", "stale"],
                "properties": {
                    "stuck": {"type": "integer", "minimum": 0},
                    "stale": {"type": "integer", "minimum": 0},
                },
            },
            "processed": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["jobId", "status", "errorCode"],
                    "properties": {
                        "jobId": {"type": "string", "format": "uuid"},
                        "status": {"type": "string", "enum": JOB_STATUSES},
                        "errorCode": {"type": ["string", "null"]},
                    },
                },
            },
        },
    }
    worker_limit = {
        "type": "object",
        "required": ["code", "message", "error", "error_code"],
        "properties": {
            "code": {"const": "WORKER_LIMIT"},
            "message": {"type": "string"},
            "error": {"type": "string"},
            "error_code": {"const": "WORKER_LIMIT"},
        },
    }
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "plan-conformance reference service: Edge Functions",
            "version": API_VERSION,
            "description": (
                "The two Edge Functions of the plan-generation queue. Errors are "
                "`{error, error_code, details?}`. " + body_rules(settings.max_body_bytes) + " "
                "Unknown paths answer 404 NOT_FOUND and other methods 405 METHOD_NOT_ALLOWED with `Allow`."
            ),
        },
        "servers": [{"url": "/functions/v1"}],
        "paths": {
            "/create-plan-job": {
                "post": {
                    "operationId": "createPlanJob",
                    "summary": "Create a plan job for the signed-in user, or return their active one",
                    "security": [{"userJwt": []}],
                    "requestBody": {"required": True, "content": json_content(create_body)},
                    "responses": {
                        "202": response("the job (created, or the user's active job)", created),
                        **_common_errors(),
                        "429": _error(
                            "a plan was generated within the regeneration cooldown", "REGENERATION_TOO_SOON"
                        ),
                    },
                }
            },
            "/process-plan-queue": {
                "post": {
                    "operationId": "processPlanQueue",
                    "summary": "Recover stuck and stale jobs, then claim and run up to maxJobs attempts",
                    "security": [{"serviceRoleJwt": []}],
                    "requestBody": {"required": False, "content": json_content(queue_body)},
                    "responses": {
                        "200": response("what the invocation did", processed),
                        **_common_errors(),
                        "403": _error("a valid token without the service role", "FORBIDDEN"),
                        "546": response(
                            "the invocation passed its wall-clock limit and was killed (WALL_CLOCK_LIMIT_MS)",
                            worker_limit,
                        ),
                    },
                }
            },
        },
        "components": {
            "schemas": {"Profile": _profile_schema()},
            "securitySchemes": {
                "userJwt": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "a user's access token from /auth/v1/token, of a session not signed out",
                },
                "serviceRoleJwt": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "the service role key",
                },
            },
        },
    }
