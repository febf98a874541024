"""The `/rest/v1` sub-application: the subset of PostgREST the app and the harness use.

`GET /<table>` reads (READ ONLY, as the caller, so RLS decides what is visible) and
`POST /rpc/<function>` calls (as the caller, so grants decide who may). Tables are never
written through it: the contract routes every mutation through functions, so other
methods get 405. Every route first passes the gateway's API key check. The parent
application provides `DATABASE_KEY` and `JWT_AUTHORITY_KEY`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from aiohttp import web
from psycopg_pool import PoolTimeout

from pgcaller import Caller
from reference_impl.auth.request_auth import AuthFailure, authenticate
from reference_impl.keys import DATABASE_KEY
from reference_impl.rest.catalog import EXPOSED_SCHEMA, find_functions, find_table
from reference_impl.rest.errors import PostgrestError, auth_failure_response, from_database_error
from reference_impl.rest.headers import (
    ARRAY_CONTENT_TYPE,
    OBJECT_CONTENT_TYPE,
    check_profile,
    prefers_count,
    range_outcome,
    wants_single_object,
)
from reference_impl.rest.query_params import parse_read_query
from reference_impl.rest.rpc import call_function, resolve_function
from reference_impl.rest.table_read import read_table

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def create_rest_app() -> web.Application:
    """The PostgREST stand-in, to be mounted at `/rest/v1`."""
    app = web.Application(middlewares=[_render_refusals])
    app.router.add_post("/rpc/{function}", call_rpc)
    app.router.add_route("*", "/rpc/{function}", _method_not_allowed("POST"))
    app.router.add_get("/{table}", read_rows)
    app.router.add_route("*", "/{table}", _method_not_allowed("GET, HEAD"))
    return app


@web.middleware
async def _render_refusals(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except PostgrestError as error:
        return error.response()
    except AuthFailure as failure:
        return auth_failure_response(failure)


@asynccontextmanager
async def _database_errors(caller: Caller) -> AsyncIterator[None]:
    """Turn a failed database call into PostgREST's error for the caller's role."""
    try:
        yield
    except (psycopg.Error, PoolTimeout) as error:
        raise from_database_error(error, role=caller.role) from None


def _single_object_of(array_body: str) -> str:
    rows = json.loads(array_body)
    if len(rows) != 1:
        raise _not_one_row(len(rows))
    return json.dumps(rows[0], separators=(",", ":"))


def _not_one_row(row_count: int) -> PostgrestError:
    return PostgrestError(
        406,
        "PGRST116",
        "Cannot coerce the result to a single JSON object",
        details=f"The result contains {row_count} rows",
    )


def _json_response(
    body: str, *, single: bool, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        text=body,
        status=status,
        content_type=OBJECT_CONTENT_TYPE if single else ARRAY_CONTENT_TYPE,
        charset="utf-8",
        headers=headers,
    )


async def read_rows(request: web.Request) -> web.Response:
    caller = authenticate(request)
    check_profile(request.headers.get("Accept-Profile"))
    query = parse_read_query(request.query.items())
    single = wants_single_object(request.headers.get("Accept", ""))
    name = request.match_info["table"]
    async with _database_errors(caller):
        database = request.config_dict[DATABASE_KEY]
        async with database.as_caller(caller, read_only=True, method="GET", path=f"/{name}") as conn:
            table = await find_table(conn, name)
            if table is None:
                raise PostgrestError(
                    404, "PGRST205", f"Could not find the table '{EXPOSED_SCHEMA}.{name}' in the schema cache"
                )
            result = await read_table(
                conn,
                table,
                query,
                single=single,
                count_total=prefers_count(request.headers.get("Prefer", "")),
            )
    outcome = range_outcome(query.offset, result.page_rows, result.total_rows)
    if single and result.page_rows != 1:
        raise _not_one_row(result.page_rows)
    return _json_response(
        result.body, single=single, status=outcome.status, headers={"Content-Range": outcome.content_range}
    )


async def _rpc_arguments(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        arguments = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PostgrestError(400, "PGRST102", "Empty or invalid json", details=str(error)) from None
    if not isinstance(arguments, dict):
        raise PostgrestError(
            400,
            "PGRST102",
            "Empty or invalid json",
            details="the body of a function call must be a JSON object of named arguments",
        )
    return arguments


async def call_rpc(request: web.Request) -> web.Response:
    caller = authenticate(request)
    check_profile(request.headers.get("Content-Profile"))
    single = wants_single_object(request.headers.get("Accept", ""))
    arguments = await _rpc_arguments(request)
    name = request.match_info["function"]
    async with _database_errors(caller):
        database = request.config_dict[DATABASE_KEY]
        async with database.as_caller(caller, method="POST", path=f"/rpc/{name}") as conn:
            function = resolve_function(name, await find_functions(conn, name), frozenset(arguments))
            result = await call_function(conn, function, arguments)
    if result.body is None:
        return web.Response(status=204)
    if result.row_count is None:
        return _json_response(result.body, single=single)
    if single:
        return _json_response(_single_object_of(result.body), single=True)
    outcome = range_outcome(0, result.row_count, None)
    return _json_response(result.body, single=False, headers={"Content-Range": outcome.content_range})


def _method_not_allowed(allowed: str) -> Handler:
    async def refuse(request: web.Request) -> web.StreamResponse:
        authenticate(request)
        raise PostgrestError(
            405,
            "PGRST117",
            f"Unsupported HTTP method: {request.method}",
            details=f"{request.path} accepts {allowed}; the reference service writes only through functions",
            headers={"Allow": allowed},
        )

    return refuse
