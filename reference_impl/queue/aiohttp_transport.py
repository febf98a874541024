"""An httpx transport that sends requests through aiohttp's client.

The DeepSeek calls keep httpx's API (the pipeline's deadlines, error mapping and its unit
tests are written against it), but httpcore's connection pool and anyio streams were
about 40 % of the service's CPU per job (docs/performance.md). This transport hands each
request to an `aiohttp.ClientSession` with a connector of its own and gives back an
`httpx.Response` streaming aiohttp's body. aiohttp does not decompress and has no
timeouts of its own: httpx decodes the body as it would, and deadlines stay the
pipeline's, enforced by cancellation. aiohttp's errors become the httpx errors httpcore
raised for the same failure (`ConnectError`, `ReadError` for a reset, `RemoteProtocolError`
for a hang-up or a body cut short, `LocalProtocolError` for a header that cannot be
sent), so callers catch `httpx.RequestError` as before. Response header lines may be as
long as httpcore allowed (`MAX_HEADER_BYTES`), not aiohttp's 8 KiB.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator

import aiohttp
import httpx

MAX_HEADER_BYTES = 100 * 1024


class AiohttpTransport(httpx.AsyncBaseTransport):
    """At most `max_connections` connections, kept alive between requests."""

    def __init__(self, max_connections: int, tls: ssl.SSLContext) -> None:
        self._max_connections = max_connections
        self._tls = tls
        self._session: aiohttp.ClientSession | None = None

    def _open_session(self) -> aiohttp.ClientSession:
        # made on first use, inside the running loop that will use it
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self._max_connections, limit_per_host=self._max_connections, ssl=self._tls
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=None, sock_read=None),
                auto_decompress=False,
                max_line_size=MAX_HEADER_BYTES,
                max_field_size=MAX_HEADER_BYTES,
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
            )
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        session = self._open_session()
        body = await request.aread()
        headers = [
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, value in request.headers.raw
            if name.lower() != b"host"
        ]
        try:
            response = await session.request(
                request.method,
                str(request.url),
                data=body or None,
                headers=headers,
                allow_redirects=False,
                compress=None,
            )
        except aiohttp.ClientConnectorError as failure:
            raise httpx.ConnectError(_describe(failure), request=request) from None
        except aiohttp.ServerDisconnectedError:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            ) from None
        except aiohttp.ClientOSError as failure:
            raise httpx.ReadError(_describe(failure), request=request) from None
        except aiohttp.ClientResponseError as failure:
            raise httpx.RemoteProtocolError(failure.message or _describe(failure), request=request) from None
        except aiohttp.ClientError as failure:
            raise httpx.ReadError(_describe(failure), request=request) from None
        except ValueError as failure:  # a header aiohttp will not send (a CR or LF in a value)
            raise httpx.LocalProtocolError(_describe(failure), request=request) from None
        return httpx.Response(
            status_code=response.status,
            headers=response.raw_headers,
            stream=_ResponseBody(response, request),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": (response.reason or "").encode()},
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class _ResponseBody(httpx.AsyncByteStream):
    """aiohttp's body as httpx reads it; a body left unread closes its connection."""

    def __init__(self, response: aiohttp.ClientResponse, request: httpx.Request) -> None:
        self._response = response
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_any():
                yield chunk
        except aiohttp.ClientPayloadError as failure:
            raise httpx.RemoteProtocolError(_describe(failure), request=self._request) from None
        except aiohttp.ClientError as failure:
            raise httpx.ReadError(_describe(failure), request=self._request) from None

    async def aclose(self) -> None:
        if self._response.content.at_eof():
            self._response.release()
        else:
            self._response.close()


def _describe(failure: BaseException) -> str:
    return str(failure) or type(failure).__name__
