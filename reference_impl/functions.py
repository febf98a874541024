"""The Edge Functions of DESIGN §3.6: create-plan-job and process-plan-queue.

POST /functions/v1/create-plan-job     user JWT + apikey; {profile, regenerate?}
    202 {jobId, status, created}; 400 INVALID_REQUEST (details name every field);
    401 AUTH_REQUIRED; 413 PAYLOAD_TOO_LARGE; 429 REGENERATION_TOO_SOON {nextAllowedAt}
POST /functions/v1/process-plan-queue  service role; {maxJobs?}
    200 {recovered: {stuck, stale}, processed: [{jobId, status, errorCode}]};
    401 AUTH_REQUIRED; 403 FORBIDDEN; 546 WORKER_LIMIT when the wall clock killed it
"""

from __future__ import annotations

import json
import logging
from typing import Any

import psycopg
from aiohttp import web
from psycopg.types.json import Jsonb

from pgcaller import Caller
from reference_impl.auth.request_auth import AuthFailure, authenticate
from reference_impl.function_errors import function_error
from reference_impl.keys import DATABASE_KEY, SETTINGS_KEY
from reference_impl.logs import log_transition
from reference_impl.pipeline.profile import FieldError, ProfileInvalid, parse_profile
from reference_impl.pipeline.targets import compute_targets
from reference_impl.worker_keys import LOOP_KEY, METRICS_KEY, RUNNER_KEY

logger = logging.getLogger(__name__)
CREATE_FIELDS = frozenset({"profile", "regenerate"})
MAX_JOBS_LIMIT = 500


def create_functions_app() -> web.Application:
    app = web.Application(middlewares=[_unexpected_errors])
    app.router.add_post("/create-plan-job", create_plan_job)
    app.router.add_post("/process-plan-queue", process_plan_queue)
    return app


@web.middleware
async def _unexpected_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except web.HTTPException:
        raise
    except Exception:
        logger.exception("function failed", extra={"event": "function.error", "path": request.path})
        return function_error(500, "UNEXPECTED_ERROR", "the function failed; see the service log")


def _caller(request: web.Request) -> Caller | web.Response:
    """The caller by the JWT alone, as the platform checks Edge Function requests."""
    try:
        return authenticate(request, require_api_key=False)
    except AuthFailure as failure:
        return function_error(401, "AUTH_REQUIRED", failure.message)


async def _json_body(request: web.Request, *, allow_empty: bool) -> dict[str, Any] | web.Response:
    limit = request.config_dict[SETTINGS_KEY].max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        return _too_large(request.content_length, limit)
    raw = bytearray()
    async for chunk in request.content.iter_chunked(16 * 1024):
        raw += chunk
        if len(raw) > limit:
            return _too_large(None, limit)
    if not raw.strip() and allow_empty:
        return {}
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return _invalid([FieldError("body", f"is not valid JSON: {error}")])
    if not isinstance(body, dict):
        return _invalid([FieldError("body", "must be a JSON object")])
    return body


def _too_large(size: int | None, limit: int) -> web.Response:
    told = f"{size} bytes" if size is not None else f"more than {limit} bytes"
    return function_error(413, "PAYLOAD_TOO_LARGE", f"request body is {told}; the limit is {limit} bytes")


def _invalid(errors: list[FieldError]) -> web.Response:
    details = [{"field": error.field, "message": error.message} for error in errors]
    summary = "; ".join(f"{error.field} {error.message}" for error in errors)
    return function_error(400, "INVALID_REQUEST", f"invalid request: {summary}", details=details)


async def create_plan_job(request: web.Request) -> web.Response:
    caller = _caller(request)
    if isinstance(caller, web.Response):
        return caller
    if caller.role != "authenticated" or caller.user_id is None:
        return function_error(401, "AUTH_REQUIRED", "create-plan-job needs a signed-in user's access token")
    body = await _json_body(request, allow_empty=False)
    if isinstance(body, web.Response):
        return body

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
                caller.user_id,
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
            userId=caller.user_id,
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
    caller = _caller(request)
    if isinstance(caller, web.Response):
        return caller
    if caller.role != "service_role":
        return function_error(403, "FORBIDDEN", "process-plan-queue needs the service role key")
    body = await _json_body(request, allow_empty=True)
    if isinstance(body, web.Response):
        return body
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
