"""`AUTH_PASSWORD_HASH_COST` sets the scrypt cost of the passwords the service hashes."""

from __future__ import annotations

from harness.queue_db import QueueDatabase
from reference_impl.auth import JwtAuthority
from tests.reference_impl.service.conftest import ServiceFactory, service_headers

PASSWORD = "correct-horse-battery"


async def test_new_passwords_are_hashed_at_the_configured_cost_and_still_sign_in(
    start_service: ServiceFactory, authority: JwtAuthority, queue_db: QueueDatabase
) -> None:
    client = await start_service(AUTH_PASSWORD_HASH_COST="6")

    created = await client.post(
        "/auth/v1/admin/users",
        json={"email": "cheap@example.test", "password": PASSWORD, "email_confirm": True},
        headers=service_headers(authority),
    )
    assert created.status == 200, await created.text()
    stored = queue_db.conn.execute(
        "select encrypted_password from auth.users where email = %s", ("cheap@example.test",)
    ).fetchone()
    signed_in = await client.post(
        "/auth/v1/token?grant_type=password",
        json={"email": "cheap@example.test", "password": PASSWORD},
        headers={"apikey": authority.api_keys.anon},
    )

    assert stored is not None
    assert stored["encrypted_password"].startswith("$scrypt$ln=6,r=8,p=1$")
    assert signed_in.status == 200, await signed_in.text()
