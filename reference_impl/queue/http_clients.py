"""HTTP clients for DeepSeek calls, sharded so no connection pool grows large.

Each client is an `httpx.AsyncClient` (the pipeline's API) whose requests go through
aiohttp (`AiohttpTransport`): httpcore's pool and anyio streams were about 40 % of the
service's CPU per job. With a proxy named in the environment they stay on httpx's own
transport, the only one that honours it. Sharding predates the transport and stays:
httpcore matched every waiting request against every connection (one client with 200
connections spent 88 % of the service's CPU there), and small pools keep any pool's
bookkeeping small. An attempt leases the client with the fewest attempts on it and
keeps it for both stages; since the clients hold a connection for every attempt slot, a
lease never waits for a connection. The clients share one TLS context (loading the CA
bundle costs about 30 ms per client).
"""

from __future__ import annotations

import contextlib
import ssl
import urllib.request
from collections.abc import AsyncIterator, Iterator

import httpx

from reference_impl.queue.aiohttp_transport import AiohttpTransport

CONNECTIONS_PER_CLIENT = 4


class DeepSeekClients:
    """`concurrency` connections in all, spread over clients of at most
    `CONNECTIONS_PER_CLIENT` each."""

    def __init__(self, concurrency: int) -> None:
        shards = max(1, -(-concurrency // CONNECTIONS_PER_CLIENT))
        per_client = -(-concurrency // shards)
        tls = httpx.create_ssl_context()
        proxied = proxy_in_environment()
        self.clients = tuple(_client(per_client, tls, proxied=proxied) for _ in range(shards))
        self._leases = [0] * shards

    @contextlib.contextmanager
    def lease(self) -> Iterator[httpx.AsyncClient]:
        """The client with the fewest attempts on it, for one attempt."""
        index = min(range(len(self._leases)), key=self._leases.__getitem__)
        self._leases[index] += 1
        try:
            yield self.clients[index]
        finally:
            self._leases[index] -= 1

    async def aclose(self) -> None:
        for client in self.clients:
            await client.aclose()


def _client(max_connections: int, tls: ssl.SSLContext, *, proxied: bool) -> httpx.AsyncClient:
    """Deadlines are enforced by the pipeline (by cancellation), not by httpx timeouts.

    httpx honours a proxy named in the environment (`HTTPS_PROXY`, `ALL_PROXY`, ...) only
    on its own transport, so with one named the clients are plain httpx, as before S9."""
    if proxied:
        limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        return httpx.AsyncClient(
            timeout=httpx.Timeout(None), follow_redirects=False, verify=tls, limits=limits
        )
    return httpx.AsyncClient(
        timeout=httpx.Timeout(None),
        follow_redirects=False,
        verify=tls,
        transport=AiohttpTransport(max_connections, tls),
    )


def proxy_in_environment() -> bool:
    """Whether the environment names an HTTP proxy (the variables httpx reads)."""
    return any(scheme in urllib.request.getproxies() for scheme in ("http", "https", "all"))


@contextlib.asynccontextmanager
async def deepseek_clients(concurrency: int) -> AsyncIterator[DeepSeekClients]:
    clients = DeepSeekClients(concurrency)
    try:
        yield clients
    finally:
        await clients.aclose()
