"""The Edge Functions of docs/contract.md "HTTP surface": create-plan-job and process-plan-queue.

POST /functions/v1/create-plan-job     user JWT of a live session; {profile, regenerate?}
    202 {jobId, status, created}; 400 INVALID_REQUEST (details name every field);
    401 AUTH_REQUIRED; 408 REQUEST_TIMEOUT; 413 PAYLOAD_TOO_LARGE;
    429 REGENERATION_TOO_SOON {nextAllowedAt}
POST /functions/v1/process-plan-queue  service role; {maxJobs?}
    200 {recovered: {stuck, stale}, processed: [{jobId, status, errorCode}]};
    401 AUTH_REQUIRED; 403 FORBIDDEN; 546 WORKER_LIMIT when the wall clock killed it
GET  /functions/v1/openapi.json        the OpenAPI 3.1 document of both (docs/openapi.md)

Every other failure is answered in the same `{error, error_code, details?}` shape by the
surface guard (`reference_impl.surface_guard`).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import psycopg
from aiohttp import web
from psycopg.types.json import Jsonb

from pgcaller import Caller
from reference_impl.app_keys import DATABASE_KEY, SETTINGS_KEY
from reference_impl.auth.claims import parse_uuid, session_of
from reference_impl.auth.request_auth import AuthFailure, AuthFailureReason, authenticate
from reference_impl.auth.sessions import session_is_active
from reference_impl.function_errors import function_error
from reference_impl.logs import log_transition
from reference_impl.openapi.functions_document import functions_document
from reference_impl.pipeline.profile import FieldError, ProfileInvalid, parse_profile
from reference_impl.pipeline.targets import compute_targets
from reference_impl.request_input import BodyLimits, read_json_object
from reference_impl.surface_guard import Refusal, RefusalKind, surface_guard
from reference_impl.worker_app_keys import LOOP_KEY, METRICS_KEY, RUNNER_KEY

logger = logging.getLogger(__name__)
FUNCTION_NAMES = ("create-plan-job", "process-plan-queue")
CREATE_FIELDS = frozenset({"profile", "regenerate"})
MAX_JOBS_LIMIT = 500


def create_functions_app() -> web.Application:
    app = web.Application(middlewares=[surface_guard("functions", _render_refusal, _render_known)])
    app.router.add_post("/create-plan-job", create_plan_job)
    app.router.add_post("/process-plan-queue", process_plan_queue)
    app.router.add_get("/openapi.json", openapi_document)
    return app


_CODE_OF_REFUSAL = {
    RefusalKind.BODY_TOO_LARGE: "PAYLOAD_TOO_LARGE",
    RefusalKind.BODY_TIMEOUT: "REQUEST_TIMEOUT",
    RefusalKind.BODY_INVALID: "INVALID_REQUEST",
    RefusalKind.NOT_FOUND: "NOT_FOUND",
    RefusalKind.METHOD_NOT_ALLOWED: "METHOD_NOT_ALLOWED",
    RefusalKind.HTTP_ERROR: "INVALID_REQUEST",
    RefusalKind.UNEXPECTED: "UNEXPECTED_ERROR",
}


def _render_refusal(refusal: Refusal) -> web.Response:
    if refusal.kind is RefusalKind.BODY_INVALID:
        return _invalid([FieldError(refusal.field or "body", refusal.reason or refusal.message)])
    message = refusal.message
    code = _CODE_OF_REFUSAL[refusal.kind]
    if refusal.kind is RefusalKind.UNEXPECTED or refusal.status >= 500:
        message, code = "the function failed; see the service log", "UNEXPECTED_ERROR"
    elif refusal.kind is RefusalKind.NOT_FOUND:
        message = f"{message}: the functions are {', '.join(FUNCTION_NAMES)}"
    response = function_error(refusal.status, code, message)
    response.headers.extend(refusal.headers)
    return response


def _render_known(error: Exception) -> web.Response | None:
    if isinstance(error, AuthFailure):
        return function_error(401, "AUTH_REQUIRED", error.message)
    return None


async def openapi_document(request: web.Request) -> web.Response:
    return web.json_response(
        functions_document(request.config_dict[SETTINGS_KEY], max_jobs_limit=MAX_JOBS_LIMIT)
    )


async def _signed_in_user(request: web.Request) -> str:
    """The user id of a signed-in user's token whose session has not ended, or
    `AuthFailure` (401 AUTH_REQUIRED) saying what is wrong."""
    caller = authenticate(request, require_api_key=False)
    if caller.role != "authenticated":
        raise AuthFailure(
            AuthFailureReason.TOKEN_INVALID,
            f"create-plan-job needs a signed-in user's access token, not a token of the {caller.role} role",
        )
    user_id = parse_uuid(caller.user_id) if caller.user_id else None
    if user_id is None:
        raise AuthFailure(AuthFailureReason.TOKEN_INVALID, "the token's sub claim must be a user id (a UUID)")
    session = session_of(caller.claims)
    if session.invalid:
        raise AuthFailure(AuthFailureReason.TOKEN_INVALID, "the token's session_id claim must be a UUID")
    db = request.config_dict[DATABASE_KEY]
    if session.id is not None and not await session_is_active(db, user_id=user_id, session_id=session.id):
        raise AuthFailure(
            AuthFailureReason.SESSION_ENDED,
            f"the session {session.id} of this token has ended (signed out); sign in again",
        )
    return user_id


async def _json_body(request: web.Request, *, allow_empty: bool) -> dict[str, Any]:
    settings = request.config_dict[SETTINGS_KEY]
    limits = BodyLimits(settings.max_body_bytes, settings.body_read_timeout.total_seconds())
    return await read_json_object(request, limits, allow_empty=allow_empty)


def _invalid(errors: list[FieldError]) -> web.Response:
    details = [{"field": error.field, "message": error.message} for error in errors]
    summary = "; ".join(f"{error.field} {error.message}" for error in errors)
    return function_error(400, "INVALID_REQUEST", f"invalid request: {summary}", details=details)


async def create_plan_job(request: web.Request) -> web.Response:
    user_id = await _signed_in_user(request)
    body = await _json_body(request, allow_empty=False)

    errors = [
        FieldError(name, "is not a create-plan-job field") for name in sorted(set(body) - CREATE_FIELDS)
    ]
    regenerate = body.get("regenerate", False)
    if not isinstance(regenerate, bool):
        errors.append(FieldError("regenerate", "must be true or false"))
    profile = None
    if "profile" not in body:
        errors.append(FieldError("profile", "is required"))
    else:
        try:
            profile = parse_profile(body["profile"], path="profile")
        except ProfileInvalid as invalid:
            errors.extend(invalid.errors)
    if errors or profile is None:
        return _invalid(errors)

    targets = compute_targets(profile)
    job_input = {"profile": profile.to_json(), "targets": targets.to_json()}
    settings = request.config_dict[SETTINGS_KEY]
    try:
        row = await request.config_dict[DATABASE_KEY].fetch_one(
            Caller.service(),
            "select * from public.enqueue_plan_job(%s, %s, %s, %s, %s)",
            (
                user_id,
                Jsonb(job_input),
                regenerate,
                settings.queue.max_retries,
                settings.queue.regeneration_cooldown,
            ),
        )
    except psycopg.Error as error:
        if error.sqlstate == "PT429":
            next_allowed = json.loads(error.diag.message_detail or "{}").get("nextAllowedAt")
            return function_error(
                429,
                "REGENERATION_TOO_SOON",
                f"a new plan can be generated from {next_allowed}",
                nextAllowedAt=next_allowed,
            )
        if error.sqlstate == "23503":
            return function_error(401, "AUTH_REQUIRED", "the signed-in user no longer exists")
        raise
    assert row is not None
    if row["superseded_job_id"] is not None:
        log_transition(
            "job.superseded",
            {"id": row["superseded_job_id"], "status": "cancelled", "error_code": "SUPERSEDED"},
            by_job=str(row["job_id"]),
        )
    if row["created"]:
        request.config_dict[METRICS_KEY].record_job_created()
        log_transition(
            "job.created",
            {"id": row["job_id"], "status": row["status"], "retry_count": 0, "error_code": None},
            userId=user_id,
            regenerate=regenerate,
        )
    request.config_dict[LOOP_KEY].trigger()
    response: dict[str, Any] = {
        "jobId": str(row["job_id"]),
        "status": row["status"],
        "created": row["created"],
    }
    if row["superseded_job_id"] is not None:
        response["supersededJobId"] = str(row["superseded_job_id"])
    return web.json_response(response, status=202)


async def process_plan_queue(request: web.Request) -> web.Response:
    caller = authenticate(request, require_api_key=False)
    if caller.role != "service_role":
        return function_error(403, "FORBIDDEN", "process-plan-queue needs the service role key")
    body = await _json_body(request, allow_empty=True)
    settings = request.config_dict[SETTINGS_KEY]
    max_jobs = body.get("maxJobs", settings.queue.worker_concurrency)
    unknown = sorted(set(body) - {"maxJobs"})
    errors = [FieldError(name, "is not a process-plan-queue field") for name in unknown]
    if isinstance(max_jobs, bool) or not isinstance(max_jobs, int) or not 1 <= max_jobs <= MAX_JOBS_LIMIT:
        errors.append(FieldError("maxJobs", f"must be a whole number from 1 to {MAX_JOBS_LIMIT}"))
    if errors:
        return _invalid(errors)

    outcome = await request.config_dict[RUNNER_KEY].run(max_jobs)
    request.config_dict[METRICS_KEY].record_invocation(outcome)
    if outcome.killed:
        message = (
            f"the invocation passed its wall-clock limit and was killed after {outcome.killed_after_ms} ms; "
            "jobs it had claimed stay processing until stuck recovery"
        )
        return web.json_response(
            {"code": "WORKER_LIMIT", "message": message, "error": message, "error_code": "WORKER_LIMIT"},
            status=546,
        )
    return web.json_response(outcome.to_response())
