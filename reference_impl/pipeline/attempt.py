"""One attempt of plan generation for a claimed job, with no database and no HTTP server.

Stage 1 (draft) -> Stage 2 (review) -> JSON extraction -> fixer -> validator, all under
the attempt's deadline (`INTERNAL_TIMEOUT_MS`). Every failure leaves as a
`PipelineError` carrying its docs/contract.md "Error codes" code; anything unforeseen becomes
`UNEXPECTED_ERROR` with a message saying what it was. The caller saves the plan with
`complete_plan_job` or reports the error with `fail_plan_job`.
"""

from __future__ import annotations

import asyncio
import logging
import time
import traceback
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx

from reference_impl.pipeline.deadline import Clock, Deadline
from reference_impl.pipeline.deepseek import ChatCompletion, DeepSeekClient
from reference_impl.pipeline.errors import ErrorCode, PipelineError
from reference_impl.pipeline.fixer import fix_plan
from reference_impl.pipeline.json_extract import extract_json_object
from reference_impl.pipeline.profile import Profile, ProfileInvalid, parse_profile
from reference_impl.pipeline.prompts import stage1_messages, stage2_messages
from reference_impl.pipeline.redaction import redact
from reference_impl.pipeline.settings import PipelineSettings, env_name_of
from reference_impl.pipeline.targets import Targets, TargetsInvalid
from reference_impl.pipeline.validator import Violation, validate_plan

VIOLATIONS_IN_MESSAGE = 5

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AttemptResult:
    """A plan that passed validation, and what producing it took.

    `stage_calls` counts chat calls (2 on success); `http_requests` counts the HTTP
    requests behind them, in-call 429/503 retries included; `fixes` lists what the
    fixer changed.
    """

    plan: dict[str, Any]
    stage_calls: int
    http_requests: int
    fixes: tuple[str, ...]
    duration_ms: int


async def run_attempt(
    job_id: str | UUID,
    user_id: str | UUID,
    job_input: object,
    client: httpx.AsyncClient,
    settings: PipelineSettings,
    *,
    clock: Clock = time.monotonic,
) -> AttemptResult:
    """Run one attempt for the job whose `input` (decision D1 shape) is `job_input`.

    `client` is the service's shared `httpx.AsyncClient`; DeepSeek is reached at
    `settings.base_url`. Raises `PipelineError` on every failure; cancellation from the
    caller (shutdown, the wall-clock kill) propagates unchanged.
    """
    deadline = Deadline.start(settings.attempt_timeout_ms, clock)
    try:
        async with asyncio.timeout(deadline.remaining_s()) as attempt_scope:
            return await _generate(job_id, user_id, job_input, client, settings, deadline)
    except PipelineError:
        raise
    except TimeoutError as failure:
        if not attempt_scope.expired():
            raise _unexpected(job_id, failure, settings) from None
        raise PipelineError(
            ErrorCode.AI_TIMEOUT,
            f"attempt aborted after {deadline.elapsed_ms()} ms: attempt deadline "
            f"{env_name_of('attempt_timeout_ms')}={settings.attempt_timeout_ms} ms reached",
        ) from None
    except Exception as failure:
        # Not chained: the original exception's text may hold a secret, and a chained
        # cause is printed wherever the error is logged. Its redacted traceback is
        # logged here instead.
        raise _unexpected(job_id, failure, settings) from None


async def _generate(
    job_id: str | UUID,
    user_id: str | UUID,
    job_input: object,
    client: httpx.AsyncClient,
    settings: PipelineSettings,
    deadline: Deadline,
) -> AttemptResult:
    profile, targets = _read_job_input(job_input)
    deepseek = DeepSeekClient(client, settings, clock=deadline.clock)
    log_fields = {"jobId": str(job_id)}

    draft_call = await deepseek.chat(stage1_messages(user_id, profile, targets), stage=1, deadline=deadline)
    draft = _plan_json(draft_call, stage=1)
    logger.info("stage 1 draft received", extra={**log_fields, "elapsed_ms": deadline.elapsed_ms()})

    review_call = await deepseek.chat(
        stage2_messages(user_id, profile, targets, draft), stage=2, deadline=deadline
    )
    reviewed = _plan_json(review_call, stage=2)
    logger.info("stage 2 plan received", extra={**log_fields, "elapsed_ms": deadline.elapsed_ms()})

    fixed = fix_plan(reviewed, profile, targets, in_place=True)  # `reviewed` is this attempt's own
    violations = validate_plan(fixed.plan, profile, targets)
    if violations:
        raise PipelineError(ErrorCode.VALIDATION_FAILED, _describe_violations(violations))
    return AttemptResult(
        plan=fixed.plan,
        stage_calls=2,
        http_requests=draft_call.requests + review_call.requests,
        fixes=fixed.changes,
        duration_ms=deadline.elapsed_ms(),
    )


def _read_job_input(job_input: object) -> tuple[Profile, Targets]:
    if not isinstance(job_input, dict):
        raise PipelineError(
            ErrorCode.UNEXPECTED_ERROR, "job input must be a JSON object with profile and targets"
        )
    try:
        profile = parse_profile(job_input.get("profile"), path="input.profile")
        targets = Targets.from_json(job_input.get("targets"), path="input.targets")
    except (ProfileInvalid, TargetsInvalid) as invalid:
        raise PipelineError(ErrorCode.UNEXPECTED_ERROR, f"job input is invalid: {invalid}") from None
    return profile, targets


def _plan_json(completion: ChatCompletion, *, stage: int) -> dict[str, Any]:
    try:
        return extract_json_object(completion.content, completion.finish_reason)
    except PipelineError as failure:
        raise PipelineError(
            failure.code, f"stage {stage}: {failure.message}", retry_after_s=failure.retry_after_s
        ) from None


def _describe_violations(violations: list[Violation]) -> str:
    shown = "; ".join(str(violation) for violation in violations[:VIOLATIONS_IN_MESSAGE])
    more = len(violations) - VIOLATIONS_IN_MESSAGE
    rest = f"; and {more} more" if more > 0 else ""
    return f"plan breaks {len(violations)} rule(s) after the fixer: {shown}{rest}"


def _unexpected(job_id: str | UUID, failure: BaseException, settings: PipelineSettings) -> PipelineError:
    secrets = [settings.api_key]
    logger.error(
        "unexpected error in a plan attempt:\n%s",
        redact("".join(traceback.format_exception(failure)), secrets),
        extra={"jobId": str(job_id)},
    )
    detail = redact(str(failure), secrets) or "no detail"
    return PipelineError(ErrorCode.UNEXPECTED_ERROR, f"unexpected {type(failure).__name__}: {detail}")
