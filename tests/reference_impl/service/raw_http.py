"""HTTP/1.1 over a bare socket, for requests no client library sends: header bytes that
are not UTF-8, a body that stops arriving."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes = field(repr=False)

    def json(self) -> Any:
        return json.loads(self.body)


def request_head(
    method: str, path: str, headers: dict[str, bytes | str], *, content_length: int | None
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1".encode(), b"Host: 127.0.0.1"]
    for name, value in headers.items():
        lines.append(name.encode() + b": " + (value if isinstance(value, bytes) else value.encode()))
    if content_length is not None:
        lines.append(f"Content-Length: {content_length}".encode())
    return b"\r\n".join(lines) + b"\r\n\r\n"


async def read_response(reader: asyncio.StreamReader) -> RawResponse:
    status_line = await reader.readline()
    _, status, _ = status_line.decode().split(" ", 2)
    headers: dict[str, str] = {}
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return RawResponse(int(status), headers, body)


async def send_raw(
    port: int | None, method: str, path: str, headers: Mapping[str, bytes | str], body: bytes = b""
) -> RawResponse:
    """One request on its own connection to 127.0.0.1:`port`; the whole body is sent."""
    assert port is not None, "the server is not started"
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        head = request_head(method, path, {**headers, "Connection": "close"}, content_length=len(body))
        writer.write(head + body)
        await writer.drain()
        return await asyncio.wait_for(read_response(reader), timeout=30)
    finally:
        writer.close()
        await writer.wait_closed()
