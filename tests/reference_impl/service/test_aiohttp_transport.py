"""The DeepSeek clients' transport (httpx over aiohttp) against real loopback servers: what
httpcore did, aiohttp does too (docs/decisions.md S9)."""

from __future__ import annotations

import asyncio
import gzip
import socket
import ssl
import struct
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from reference_impl.queue.aiohttp_transport import AiohttpTransport
from reference_impl.queue.http_clients import deepseek_clients, proxy_in_environment

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ServerFactory = Callable[[Handler], Awaitable[str]]


@pytest.fixture
async def serve() -> AsyncIterator[ServerFactory]:
    """Factory: `await serve(handler)` -> the base URL of a loopback server answering any POST."""
    servers: list[TestServer] = []

    async def start(handler: Handler) -> str:
        app = web.Application()
        app.router.add_post("/{tail:.*}", handler)  # a proxy is asked for the whole URL
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        servers.append(server)
        return str(server.make_url("/"))

    yield start
    for server in servers:
        await server.close()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=AiohttpTransport(2, ssl.create_default_context())) as made:
        yield made


async def test_a_request_and_its_answer_pass_through_unchanged(
    serve: ServerFactory, client: httpx.AsyncClient
) -> None:
    async def echo(request: web.Request) -> web.Response:
        seen = f"{request.headers['Authorization']}|{request.content_type}|{await request.text()}"
        return web.Response(
            body=gzip.compress(seen.encode()), headers={"Content-Encoding": "gzip", "X-Id": "7"}
        )

    url = await serve(echo)
    response = await client.post(
        url, content=b'{"a":1}', headers={"Authorization": "Bearer k", "Content-Type": "application/json"}
    )

    assert response.status_code == 200
    assert response.headers["x-id"] == "7"
    assert response.text == 'Bearer k|application/json|{"a":1}'  # httpx decoded the gzip body


async def test_a_refused_connection_is_a_connect_error(client: httpx.AsyncClient) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    with pytest.raises(httpx.ConnectError):
        await client.post(f"http://127.0.0.1:{port}/", content=b"{}")


async def _cut_short(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Length": "100"})
    await response.prepare(request)
    await response.write(b"only part")
    assert request.transport is not None
    request.transport.close()
    return response


async def _hang_up(request: web.Request) -> web.Response:
    assert request.transport is not None
    request.transport.close()
    return web.Response()


@pytest.mark.parametrize(
    "handler", [_cut_short, _hang_up], ids=["body-cut-short", "hang-up-before-answering"]
)
async def test_a_server_that_hangs_up_is_a_protocol_error(
    serve: ServerFactory, client: httpx.AsyncClient, handler: Handler
) -> None:
    url = await serve(handler)
    with pytest.raises(httpx.RemoteProtocolError):
        await client.post(url, content=b"{}")


async def test_read_bodies_keep_their_connection_and_an_abandoned_one_is_closed(
    serve: ServerFactory, client: httpx.AsyncClient
) -> None:
    async def peer_port(request: web.Request) -> web.Response:
        assert request.transport is not None
        port = request.transport.get_extra_info("peername")[1]
        if request.query.get("big"):
            return web.Response(body=str(port).encode() + b" " + b"x" * 1_000_000)
        return web.Response(text=str(port))

    url = await serve(peer_port)
    first = (await client.post(url, content=b"{}")).text
    second = (await client.post(url, content=b"{}")).text
    async with client.stream("POST", url + "?big=1", content=b"{}") as abandoned:
        async for _ in abandoned.aiter_bytes():
            break  # left unread: the connection cannot be reused
    third = (await client.post(url, content=b"{}")).text

    assert first == second
    assert third != first


async def test_no_more_connections_than_the_limit(serve: ServerFactory, client: httpx.AsyncClient) -> None:
    open_now = 0
    most = 0

    async def slow(request: web.Request) -> web.Response:
        nonlocal open_now, most
        open_now += 1
        most = max(most, open_now)
        await asyncio.sleep(0.05)
        open_now -= 1
        return web.Response(text="ok")

    url = await serve(slow)
    answers = await asyncio.gather(*(client.post(url, content=b"{}") for _ in range(6)))

    assert [answer.status_code for answer in answers] == [200] * 6
    assert most == 2  # the transport's limit


async def test_a_reset_before_the_answer_is_a_read_error_as_httpcore_said(client: httpx.AsyncClient) -> None:
    async def reset_on_request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1)
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()  # an RST, not a FIN

    server = await asyncio.start_server(reset_on_request, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(httpx.ReadError):
            await client.post(f"http://127.0.0.1:{port}/", content=b"{}")
    finally:
        server.close()
        await server.wait_closed()


async def test_a_long_header_line_is_read_as_httpcore_read_it(
    serve: ServerFactory, client: httpx.AsyncClient
) -> None:
    async def long_header(request: web.Request) -> web.Response:
        return web.Response(text="ok", headers={"X-Long": "v" * 20_000})

    url = await serve(long_header)
    response = await client.post(url, content=b"{}")

    assert len(response.headers["x-long"]) == 20_000


async def test_a_header_value_with_a_line_break_is_a_local_protocol_error(
    serve: ServerFactory, client: httpx.AsyncClient
) -> None:
    async def never(request: web.Request) -> web.Response:
        raise AssertionError("the request must not be sent")

    url = await serve(never)
    with pytest.raises(httpx.LocalProtocolError):
        await client.post(url, content=b"{}", headers={"Authorization": "Bearer sk-one\r\nX-Injected: 1"})


async def test_a_proxy_named_in_the_environment_is_honoured(
    serve: ServerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def proxy(request: web.Request) -> web.Response:
        return web.Response(text=f"proxied {request.method} {request.url}")

    proxy_url = await serve(proxy)
    with socket.socket() as probe:  # the target: nothing listens there
        probe.bind(("127.0.0.1", 0))
        target = f"http://127.0.0.1:{probe.getsockname()[1]}/chat/completions"
    for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", proxy_url)

    assert proxy_in_environment()
    async with deepseek_clients(1) as clients:
        with clients.lease() as leased:
            response = await leased.post(target, content=b"{}")

    assert response.text == f"proxied POST {target}"
