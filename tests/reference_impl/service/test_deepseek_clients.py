"""The service's DeepSeek clients: small pools, and an attempt always on the least-busy one."""

from __future__ import annotations

from contextlib import ExitStack

import httpx

from reference_impl.queue.http_clients import CONNECTIONS_PER_CLIENT, DeepSeekClients, deepseek_clients


async def test_every_slot_has_a_connection_and_no_client_is_over_its_pool() -> None:
    concurrency = 10 * CONNECTIONS_PER_CLIENT + 1
    async with deepseek_clients(concurrency) as clients:
        pools = {id(client): client for client in clients.clients}
        with ExitStack() as leases:
            leased = [leases.enter_context(clients.lease()) for _ in range(concurrency)]
            per_client = {key: sum(client is pools[key] for client in leased) for key in pools}

    assert len(clients.clients) == 11
    assert max(per_client.values()) <= CONNECTIONS_PER_CLIENT
    assert max(per_client.values()) - min(per_client.values()) <= 1


async def test_a_freed_client_is_leased_again_before_busier_ones() -> None:
    clients = DeepSeekClients(3 * CONNECTIONS_PER_CLIENT)
    try:
        with clients.lease() as first, clients.lease() as second, clients.lease() as third:
            assert len({id(first), id(second), id(third)}) == 3
            with clients.lease() as fourth:
                assert fourth is first
        with clients.lease() as again:
            assert isinstance(again, httpx.AsyncClient)
            assert again is first
    finally:
        await clients.aclose()
