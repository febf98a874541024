"""Writing on the connection: whole bodies, streamed writes, and ends without a response."""

from __future__ import annotations

import socket
import struct

from aiohttp import web

from fake_llm.journal import CallRecord


def body_response(
    record: CallRecord,
    status: int,
    body: bytes,
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
) -> web.Response:
    """A whole-body response, noted in `record`."""
    record.status = status
    record.bytes_sent = len(body)
    response = web.Response(status=status, body=body, headers=headers)
    response.content_type = content_type
    return response


async def open_stream(
    request: web.Request,
    record: CallRecord,
    content_type: str,
    *,
    content_length: int | None = None,
) -> web.StreamResponse:
    """Send 200 headers now; the body follows in writes (chunked unless a length is given)."""
    response = web.StreamResponse(status=200, headers={"Cache-Control": "no-cache"})
    response.content_type = content_type.split(";")[0]
    if "charset=" in content_type:
        response.charset = content_type.split("charset=")[1].strip()
    if content_length is not None:
        response.content_length = content_length
    await response.prepare(request)
    record.status = 200
    return response


async def write(response: web.StreamResponse, record: CallRecord, data: bytes) -> None:
    """Write `data` and count it in `record`."""
    await response.write(data)
    record.bytes_sent += len(data)


def drop_connection(request: web.Request, *, reset: bool) -> None:
    """Close the connection at once: with a TCP RST (SO_LINGER 0) when `reset`, else a FIN."""
    transport = request.transport
    if transport is None or transport.is_closing():
        return
    if reset:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


def nothing_sent() -> web.Response:
    """What a handler returns after dropping the connection: aiohttp cannot send it any more."""
    return web.Response(status=204)
