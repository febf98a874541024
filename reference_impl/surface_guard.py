"""The catch-all middleware of each surface (`/functions/v1`, `/rest/v1`, `/auth/v1`).

Whatever a handler raises ends as an answer in the surface's own error shape: the
surface's own refusals as they are, a refused body (413, 408, 400), aiohttp's HTTP
errors (404 for an unknown path, 405 with `Allow` for a wrong method), and anything
unexpected as a logged 500 with a generic body, never a traceback. After a 408 the
connection is closed at once: the rest of the body is not waited for.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from aiohttp import web
from aiohttp.typedefs import Middleware

from reference_impl.request_input import BodyProblem, BodyRefused

logger = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class RefusalKind(StrEnum):
    """The refusals every surface renders, each in its own shape."""

    BODY_TOO_LARGE = "body_too_large"
    BODY_TIMEOUT = "body_timeout"
    BODY_INVALID = "body_invalid"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    HTTP_ERROR = "http_error"  # any other 4xx/5xx aiohttp raised
    UNEXPECTED = "unexpected"


_KIND_OF_PROBLEM = {
    BodyProblem.TOO_LARGE: RefusalKind.BODY_TOO_LARGE,
    BodyProblem.TIMEOUT: RefusalKind.BODY_TIMEOUT,
    BodyProblem.INVALID: RefusalKind.BODY_INVALID,
}


@dataclass(frozen=True)
class Refusal:
    """A refusal before the surface renders it: status, kind, a message safe to show, the
    field it concerns and what is wrong with it (bodies), and headers to keep (`Allow`)."""

    status: int
    kind: RefusalKind
    message: str
    field: str | None = None
    reason: str | None = None
    headers: tuple[tuple[str, str], ...] = ()


RenderRefusal = Callable[[Refusal], web.Response]
RenderKnown = Callable[[Exception], web.Response | None]


def surface_guard(surface: str, render: RenderRefusal, known: RenderKnown) -> Middleware:
    """A middleware for `surface`: `known` renders the surface's own exceptions (None for
    others), `render` everything else."""

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except BodyRefused as refused:
            kind = _KIND_OF_PROBLEM[refused.problem]
            refusal = Refusal(refused.status, kind, refused.message, refused.field, refused.reason)
            response = render(refusal)
            if refused.problem is BodyProblem.TIMEOUT:
                await _answer_and_close(request, response)
            return response
        except web.HTTPException as error:
            if error.status < 400:
                raise
            return render(_http_refusal(request, error))
        except Exception as error:
            rendered = known(error)
            if rendered is not None:
                return rendered
            logger.exception(
                "%s request failed", surface, extra={"event": f"{surface}.error", "path": request.path}
            )
            return render(Refusal(500, RefusalKind.UNEXPECTED, "unexpected failure; see the service log"))

    return guard


def _http_refusal(request: web.Request, error: web.HTTPException) -> Refusal:
    if error.status == 404:
        return Refusal(404, RefusalKind.NOT_FOUND, f"no route for {request.method} {request.path}")
    if isinstance(error, web.HTTPMethodNotAllowed):
        allowed = ", ".join(sorted(error.allowed_methods))
        return Refusal(
            405,
            RefusalKind.METHOD_NOT_ALLOWED,
            f"{request.path} does not accept {request.method}; it accepts {allowed}",
            headers=(("Allow", allowed),),
        )
    return Refusal(error.status, RefusalKind.HTTP_ERROR, error.reason)


async def _answer_and_close(request: web.Request, response: web.Response) -> None:
    """Send `response` now and drop the connection instead of waiting for the rest of
    the body (aiohttp would otherwise linger up to 10 s reading it)."""
    response.force_close()
    await response.prepare(request)
    await response.write_eof()
    protocol = request.protocol
    if protocol is not None:
        protocol.force_close()
