"""DeepSeek's routes: chat completions, models and balance, with its auth and refusals."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from fake_llm import wire
from fake_llm.actions.context import ActionContext
from fake_llm.chat_request import ChatRequestError, parse_chat_request
from fake_llm.completion import identity_for
from fake_llm.errors import error_response, masked_key
from fake_llm.journal import CallRecord
from fake_llm.json_body import BodyTooLarge, read_limited
from fake_llm.models import models_listing
from fake_llm.state import STATE_KEY, FakeState


def balance_body() -> dict[str, Any]:
    """The body of `GET /user/balance`: an account with balance left."""
    return {
        "is_available": True,
        "balance_infos": [
            {
                "currency": "CNY",
                "total_balance": "110.00",
                "granted_balance": "10.00",
                "topped_up_balance": "100.00",
            }
        ],
    }


def _refuse_unauthorized(
    request: web.Request, state: FakeState, record: CallRecord
) -> web.Response | None:
    """DeepSeek's 401 when the Bearer key is missing or not accepted, else None."""
    header = request.headers.get("Authorization", "")
    key = header[len("Bearer ") :].strip() if header.startswith("Bearer ") else ""
    if state.server.accepts_key(key):
        return None
    record.status = 401
    record.finish("unauthorized")
    message = f"Authentication Fails, Your api key: {masked_key(key)} is invalid" if key else None
    return error_response(401, message)


async def chat_completions(request: web.Request) -> web.StreamResponse:
    """`POST /chat/completions` and `/v1/chat/completions`."""
    state = request.app[STATE_KEY]
    try:
        raw = await read_limited(request, state.server.chat_body_limit_bytes)
    except BodyTooLarge as error:
        record = state.journal.start(request.method, request.path, b"")
        record.status = 413
        record.finish("invalid_request")
        return error_response(413, f"Request body too large: the limit is {error.limit} bytes")
    record = state.journal.start(request.method, request.path, raw)
    refusal = _refuse_unauthorized(request, state, record)
    if refusal is not None:
        return refusal
    try:
        chat = parse_chat_request(raw)
    except ChatRequestError as error:
        record.status = error.status
        record.finish("invalid_request")
        return error_response(error.status, error.message)
    record.model, record.stage, record.user, record.stream = (
        chat.model.id,
        chat.stage,
        chat.user,
        chat.stream,
    )
    runtime = state.runtime
    stored = state.rules.select(request.path, chat)
    identity = identity_for(runtime.seed, raw)
    ctx = ActionContext(
        http=request,
        chat=chat,
        identity=identity,
        record=record,
        answers=state.answers,
        quality=runtime.quality,
        chunk_chars=state.server.stream_chunk_chars,
        shutdown=state.shutdown,
        rule_rng=stored.action_rng if stored is not None else None,
    )
    try:
        if runtime.latency_ms and not await ctx.pause(runtime.latency_ms / 1000):
            return ctx.end_for_shutdown()
        if stored is None:
            return await ctx.send_default()
        record.rule_id, record.rule_name = stored.id, stored.rule.name
        record.action = stored.rule.action.type
        return await stored.rule.action.perform(ctx)
    except asyncio.CancelledError:
        record.finish("client_disconnected")
        raise
    except ConnectionError:
        record.finish("client_disconnected")
        return wire.nothing_sent()
    finally:
        if record.duration_ms is None:
            record.finish()


async def list_models(request: web.Request) -> web.Response:
    """`GET /models` and `/v1/models`."""
    state = request.app[STATE_KEY]
    record = state.journal.start(request.method, request.path, b"")
    refusal = _refuse_unauthorized(request, state, record)
    if refusal is not None:
        return refusal
    response = wire.body_response(record, 200, json.dumps(models_listing()).encode())
    record.finish()
    return response


async def user_balance(request: web.Request) -> web.Response:
    """`GET /user/balance`."""
    state = request.app[STATE_KEY]
    record = state.journal.start(request.method, request.path, b"")
    refusal = _refuse_unauthorized(request, state, record)
    if refusal is not None:
        return refusal
    response = wire.body_response(record, 200, json.dumps(balance_body()).encode())
    record.finish()
    return response


def add_api_routes(app: web.Application) -> None:
    """Register DeepSeek's routes on `app`."""
    for prefix in ("", "/v1"):
        app.router.add_post(f"{prefix}/chat/completions", chat_completions)
        app.router.add_get(f"{prefix}/models", list_models)
    app.router.add_get("/user/balance", user_balance)
