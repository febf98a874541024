"""Who may call `/__admin`: a client with the admin token (without one, loopback clients using
loopback names), never a page of another site. Refusals use the admin API's error shape
`{"error": ...}`; decisions F6 and F7 in `docs/decisions.md`.

Checks, in order: cross-site signals (`Origin`, `Sec-Fetch-Site`) 403; a CORS preflight is
answered 204 with no `Access-Control-Allow-*` header; the token 401 (or, without a token, a
non-loopback peer or `Host` 403); a body that is not `application/json` 415; a declared body
over the limit 413. Unknown admin routes and methods get 404/405 in the same shape.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler
from yarl import URL

from fake_llm.settings import ServerSettings, is_loopback_host, same_secret
from fake_llm.state import SETTINGS_KEY

ADMIN = "/__admin"
ADMIN_METHODS = "GET, POST, PATCH, DELETE, OPTIONS"
SAME_SITE_FETCHES = ("same-origin", "none")


class AdminRefusal(Exception):
    """An admin call refused with `status` and a JSON body; the guard turns it into a response."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None):
        super().__init__(body.get("error"))
        self.status = status
        self.body = body
        self.headers = headers or {}

    def response(self) -> web.Response:
        """The refusal as an HTTP response."""
        return web.json_response(
            self.body, status=self.status, headers=self.headers, dumps=json.dumps
        )


def refusal(status: int, message: str, headers: dict[str, str] | None = None) -> AdminRefusal:
    """An `AdminRefusal` whose body is `{"error": message}`."""
    return AdminRefusal(status, {"error": message}, headers)


def shown(value: str, limit: int = 120) -> str:
    """A client-sent value, quoted and cut short, for an error message."""
    return repr(value if len(value) <= limit else value[:limit] + "...")


def is_admin_path(path: str) -> bool:
    """Whether `path` is under `/__admin`."""
    return path == ADMIN or path.startswith(f"{ADMIN}/")


def _check_site(request: web.Request) -> None:
    origin = request.headers.get(hdrs.ORIGIN)
    own = f"{request.scheme}://{request.host}"
    if origin is not None and origin.lower() != own.lower():
        raise refusal(
            403, f"cross-site request refused: Origin {shown(origin)} is not this server ({own})"
        )
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site.lower() not in SAME_SITE_FETCHES:
        raise refusal(403, f"cross-site request refused: Sec-Fetch-Site is {shown(fetch_site)}")


def _host_name(host_header: str) -> str:
    try:
        return URL(f"http://{host_header}").host or ""
    except (ValueError, UnicodeError):
        return ""


def _check_access(request: web.Request, settings: ServerSettings) -> None:
    token = settings.admin_token
    if token is None:
        peer = request.remote
        if peer and not is_loopback_host(peer):
            raise refusal(403, "this fake has no admin token: its admin API answers loopback clients only")
        host = request.headers.get(hdrs.HOST)
        if host is not None and not is_loopback_host(_host_name(host)):
            raise refusal(
                403,
                f"this fake has no admin token: its admin API answers loopback names only, "
                f"not Host {shown(host)}",
            )
        return
    scheme, _, given = request.headers.get(hdrs.AUTHORIZATION, "").partition(" ")
    challenge = {str(hdrs.WWW_AUTHENTICATE): 'Bearer realm="fake-llm admin"'}
    if scheme.lower() != "bearer" or not given.strip():
        raise refusal(
            401, "admin token required: send Authorization: Bearer <admin token>", challenge
        )
    if not same_secret(given.strip(), token):
        raise refusal(401, "admin token refused", challenge)


def _check_body(request: web.Request, settings: ServerSettings) -> None:
    if not request.body_exists:
        return
    if request.content_type != "application/json":
        sent = request.headers.get(hdrs.CONTENT_TYPE)
        raise refusal(
            415,
            "admin request bodies must be JSON: send Content-Type: application/json "
            f"(got {shown(sent) if sent is not None else 'none'})",
        )
    limit = settings.admin_body_limit_bytes
    if request.content_length is not None and request.content_length > limit:
        raise refusal(413, f"body over the limit of {limit} bytes")


@web.middleware
async def guard_admin(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Apply the admin API's access rules to every `/__admin` request; pass the rest through."""
    if not is_admin_path(request.path):
        return await handler(request)
    settings = request.app[SETTINGS_KEY]
    try:
        _check_site(request)
        if request.method == hdrs.METH_OPTIONS:
            return web.Response(status=204, headers={str(hdrs.ALLOW): ADMIN_METHODS})
        _check_access(request, settings)
        _check_body(request, settings)
        return await handler(request)
    except AdminRefusal as refused:
        return refused.response()
    except web.HTTPNotFound:
        return refusal(404, f"no admin route {shown(request.path)}").response()
    except web.HTTPMethodNotAllowed as error:
        allowed = ", ".join(sorted(error.allowed_methods))
        return refusal(
            405,
            f"{request.method} is not allowed on {shown(request.path)}",
            {str(hdrs.ALLOW): allowed},
        ).response()
