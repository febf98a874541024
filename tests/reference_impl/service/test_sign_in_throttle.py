"""Failed sign-ins are throttled per email and per client address (429, Retry-After,
GoTrue's `over_request_rate_limit`), with small limits set through the environment."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import pytest

from reference_impl.auth import JwtAuthority
from reference_impl.settings import ServiceSettingsError
from tests.reference_impl.service.conftest import Client, ServiceFactory, service_headers
from tests.reference_impl.service.error_shapes import gotrue_refusal

PASSWORD = "correct-horse-battery"
SIGN_IN = "/auth/v1/token?grant_type=password"
LIMITS = {
    "SIGN_IN_MAX_FAILURES_PER_EMAIL": "3",
    "SIGN_IN_MAX_FAILURES_PER_ADDRESS": "6",
    "SIGN_IN_FAILURE_WINDOW_MS": "60000",
}


async def _create_user(client: Client, authority: JwtAuthority, email: str) -> None:
    response = await client.post(
        "/auth/v1/admin/users",
        json={"email": email, "password": PASSWORD, "email_confirm": True},
        headers=service_headers(authority),
    )
    assert response.status == 200, await response.text()


async def _sign_in(
    client: Client, authority: JwtAuthority, email: str, password: str
) -> tuple[int, Any, str]:
    response = await client.post(
        SIGN_IN, json={"email": email, "password": password}, headers={"apikey": authority.api_keys.anon}
    )
    return response.status, await response.json(), response.headers.get("Retry-After", "")


async def test_twenty_quick_wrong_passwords_are_throttled_and_the_right_one_waits_too(
    start_service: ServiceFactory, authority: JwtAuthority
) -> None:
    client = await start_service(**LIMITS)
    await _create_user(client, authority, "target@example.test")

    outcomes = await asyncio.gather(
        *(_sign_in(client, authority, "target@example.test", f"guess-{n}") for n in range(20))
    )
    right_password = await _sign_in(client, authority, "Target@Example.test", PASSWORD)

    statuses = sorted(status for status, _, _ in outcomes)
    assert statuses == [400] * 3 + [429] * 17
    throttled = [(body, retry_after) for status, body, retry_after in outcomes if status == 429]
    for body, retry_after in throttled:
        gotrue_refusal(body, 429, "over_request_rate_limit", mentions="email")
        assert 1 <= int(retry_after) <= 60
    assert right_password[0] == 429


async def test_the_address_limit_counts_failures_across_emails(
    start_service: ServiceFactory, authority: JwtAuthority
) -> None:
    client = await start_service(**LIMITS)

    statuses = [
        (await _sign_in(client, authority, f"nobody-{n}@example.test", "wrong-guess"))[0] for n in range(7)
    ]
    status, body, retry_after = await _sign_in(client, authority, "another@example.test", "wrong-guess")

    assert statuses == [400] * 6 + [429]
    assert status == 429 and int(retry_after) >= 1
    gotrue_refusal(body, 429, "over_request_rate_limit", mentions="address")


async def test_another_address_is_not_throttled(
    start_service: ServiceFactory, authority: JwtAuthority
) -> None:
    client = await start_service(**{**LIMITS, "SIGN_IN_MAX_FAILURES_PER_EMAIL": "0"})
    for n in range(6):
        await _sign_in(client, authority, f"spray-{n}@example.test", "wrong-guess")
    await _create_user(client, authority, "elsewhere@example.test")

    throttled_here = await _sign_in(client, authority, "elsewhere@example.test", PASSWORD)
    connector = aiohttp.TCPConnector(local_addr=("127.0.0.2", 0))
    async with aiohttp.ClientSession(connector=connector) as other_address:
        response = await other_address.post(
            f"http://127.0.0.1:{client.port}{SIGN_IN}",
            json={"email": "elsewhere@example.test", "password": PASSWORD},
            headers={"apikey": authority.api_keys.anon},
        )
        from_elsewhere = response.status

    assert throttled_here[0] == 429
    assert from_elsewhere == 200


async def test_failures_leave_the_window(start_service: ServiceFactory, authority: JwtAuthority) -> None:
    window_s = 2.0  # long enough for four password hashes on a busy machine
    client = await start_service(**{**LIMITS, "SIGN_IN_FAILURE_WINDOW_MS": str(int(window_s * 1000))})
    await _create_user(client, authority, "patient@example.test")
    started = time.monotonic()
    for _ in range(3):
        await _sign_in(client, authority, "patient@example.test", "wrong-guess")
    status, _, retry_after = await _sign_in(client, authority, "patient@example.test", PASSWORD)
    assert time.monotonic() - started < window_s, "the machine is too slow for this window"
    assert status == 429 and retry_after in ("1", "2")

    await asyncio.sleep(window_s - (time.monotonic() - started) + 0.05)

    assert (await _sign_in(client, authority, "patient@example.test", PASSWORD))[0] == 200


async def test_a_success_clears_the_emails_failures(
    start_service: ServiceFactory, authority: JwtAuthority
) -> None:
    client = await start_service(**LIMITS)
    await _create_user(client, authority, "typo@example.test")
    for _ in range(2):
        await _sign_in(client, authority, "typo@example.test", "wrong-guess")
    assert (await _sign_in(client, authority, "typo@example.test", PASSWORD))[0] == 200

    again = [(await _sign_in(client, authority, "typo@example.test", "wrong-guess"))[0] for _ in range(3)]

    assert again == [400, 400, 400]


@pytest.mark.parametrize("setting", ["SIGN_IN_MAX_FAILURES_PER_EMAIL", "SIGN_IN_FAILURE_WINDOW_MS"])
async def test_malformed_limits_stop_the_service_naming_the_variable(
    start_service: ServiceFactory, setting: str
) -> None:
    with pytest.raises(ServiceSettingsError, match=setting):
        await start_service(**{setting: "lots"})
