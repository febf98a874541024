"""A small service and its OpenAPI 3.1 document for the fuzzer's tests, with planted faults.

    POST /items    {"size": 0..100} -> 201 {"size": n}; a size above 60 is a 500 (the server error)
    GET  /status   -> 200 {"ok": true}, but {"ok": "yes"} when `verbose=true` (a body off its schema)
    GET  /teapot   -> 418 for `brew=tea`, an undocumented status; else 200
    POST /signup   {"email": ...} -> 200 {"id": <uuid>} (a user the fuzz run must report)
    POST /token    -> 401 (a sign-in operation)

Every route answers 401 unless `apikey` is the anon key; the service keeps every request it
answered (method, path with query, body, client address) for the tests to compare.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

ANON_KEY = "anon-key-for-the-fuzz-tests-0123456789"
SERVICE_KEY = "service-key-for-the-fuzz-tests-0123456789"
USER_TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLWZ1enotdGVzdCJ9.c2lnbmF0dXJlLWZ1enotdGVzdA"
SERVER_ERROR_ABOVE = 60

_ERROR = {"type": "object", "required": ["message"], "properties": {"message": {"type": "string"}}}


def _json_response(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "fuzz test service", "version": "1"},
    "servers": [{"url": "/api"}],
    "components": {"securitySchemes": {"apikey": {"type": "apiKey", "in": "header", "name": "apikey"}}},
    "security": [{"apikey": []}],
    "paths": {
        "/items": {
            "post": {
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "additionalProperties": False,
                                "required": ["size"],
                                "properties": {"size": {"type": "integer", "minimum": 0, "maximum": 100}},
                            }
                        }
                    },
                },
                "responses": {
                    "201": _json_response(
                        "made", {"type": "object", "properties": {"size": {"type": "integer"}}}
                    ),
                    "400": _json_response("bad body", _ERROR),
                    "401": _json_response("no key", _ERROR),
                },
            }
        },
        "/status": {
            "get": {
                "parameters": [{"name": "verbose", "in": "query", "schema": {"type": "boolean"}}],
                "responses": {
                    "200": _json_response(
                        "ok",
                        {"type": "object", "required": ["ok"], "properties": {"ok": {"type": "boolean"}}},
                    ),
                    "400": _json_response("bad query", _ERROR),
                    "401": _json_response("no key", _ERROR),
                },
            }
        },
        "/teapot": {
            "get": {
                "parameters": [
                    {"name": "brew", "in": "query", "required": True, "schema": {"enum": ["tea", "coffee"]}}
                ],
                "responses": {
                    "200": _json_response("brewed", {"type": "object"}),
                    "400": _json_response("bad query", _ERROR),
                    "401": _json_response("no key", _ERROR),
                },
            }
        },
        "/signup": {
            "post": {
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["email"],
                                "properties": {"email": {"type": "string", "minLength": 1}},
                            }
                        }
                    },
                },
                "responses": {
                    "200": _json_response(
                        "the user", {"type": "object", "properties": {"id": {"type": "string"}}}
                    ),
                    "400": _json_response("bad body", _ERROR),
                    "401": _json_response("no key", _ERROR),
                },
            }
        },
        "/token": {"post": {"responses": {"401": _json_response("wrong key or password", _ERROR)}}},
    },
}


@dataclass
class FuzzTestService:
    """The app and what it saw."""

    seen: list[tuple[str, str, str, str | None]] = field(default_factory=list)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/api/openapi.json", self._document)
        app.router.add_post("/api/items", self._items)
        app.router.add_get("/api/status", self._status)
        app.router.add_get("/api/teapot", self._teapot)
        app.router.add_post("/api/signup", self._signup)
        app.router.add_post("/api/token", self._token)
        return app

    def requests(self) -> list[tuple[str, str, str]]:
        """Method, path with query, body of every fuzzed request, in order."""
        return [(method, path, body) for method, path, body, _ in self.seen]

    async def _document(self, request: web.Request) -> web.Response:
        return web.json_response(DOCUMENT)

    async def _seen(self, request: web.Request) -> str | None:
        """Record the request; its body as text ("" when not UTF-8), or None without the anon key."""
        raw = await request.read()
        body = raw.decode("utf-8", "replace")
        self.seen.append((request.method, request.path_qs, body, request.remote))
        if request.headers.get("apikey") != ANON_KEY:
            return None
        return body if body.encode("utf-8", "replace") == raw else ""

    async def _items(self, request: web.Request) -> web.Response:
        body = await self._seen(request)
        if body is None:
            return web.json_response({"message": "no key"}, status=401)
        try:
            size = json.loads(body)["size"]
        except (ValueError, TypeError, KeyError):
            return web.json_response({"message": "bad body"}, status=400)
        if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= 100:
            return web.json_response({"message": "bad size"}, status=400)
        if size > SERVER_ERROR_ABOVE:
            return web.json_response({"message": "size overflowed"}, status=500)
        return web.json_response({"size": size}, status=201)

    async def _status(self, request: web.Request) -> web.Response:
        if await self._seen(request) is None:
            return web.json_response({"message": "no key"}, status=401)
        verbose = request.query.get("verbose")
        if verbose not in (None, "true", "false"):
            return web.json_response({"message": "bad verbose"}, status=400)
        return web.json_response({"ok": "yes" if verbose == "true" else True})

    async def _teapot(self, request: web.Request) -> web.Response:
        if await self._seen(request) is None:
            return web.json_response({"message": "no key"}, status=401)
        brew = request.query.get("brew")
        if brew not in ("tea", "coffee"):
            return web.json_response({"message": "bad brew"}, status=400)
        return (
            web.json_response({"message": "I'm a teapot"}, status=418)
            if brew == "tea"
            else web.json_response({})
        )

    async def _signup(self, request: web.Request) -> web.Response:
        body = await self._seen(request)
        if body is None:
            return web.json_response({"message": "no key"}, status=401)
        try:
            email = json.loads(body)["email"]
        except (ValueError, TypeError, KeyError):
            return web.json_response({"message": "bad body"}, status=400)
        if not isinstance(email, str) or not email:
            return web.json_response({"message": "bad email"}, status=400)
        return web.json_response({"id": str(uuid.uuid4())})

    async def _token(self, request: web.Request) -> web.Response:
        await self._seen(request)
        return web.json_response({"message": "wrong key or password"}, status=401)
