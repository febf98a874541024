"""Who may use `/__admin` on a real server: the admin token, loopback without one, no cross-site
requests, JSON bodies only; and the control clients' handling of the token."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import openai
import pytest
from pydantic import SecretStr

from fake_llm.control import AsyncFakeLLMControl, ControlError, FakeLLMControl
from fake_llm.environment import ADMIN_TOKEN_ENV
from fake_llm.server import FakeDeepSeek
from fake_llm.settings import ServerSettings
from fake_llm.testing import fake_deepseek_fixture
from tests.fake_llm.fake_llm_support import plan_messages

ADMIN_TOKEN = "adm-7Qe2rV9xLk4sWp1zT8"
WRONG_TOKEN = "adm-WRONG-wrong-0000-x"
API_KEY = "sk-fake-chat-key-4242"
RULE = {"name": "probe", "action": {"type": "http_error", "status": 503}}
FOREIGN_ORIGIN = "http://evil.example"

guarded_fake = fake_deepseek_fixture(
    ServerSettings(admin_token=SecretStr(ADMIN_TOKEN), api_keys=(SecretStr(API_KEY),)),
    name="guarded_fake",
)

# Every admin route and method, with a body where the route reads one.
ADMIN_CALLS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/__admin/health", None),
    ("GET", "/__admin/faults", None),
    ("POST", "/__admin/faults", RULE),
    ("DELETE", "/__admin/faults", None),
    ("GET", "/__admin/faults/some-id", None),
    ("DELETE", "/__admin/faults/some-id", None),
    ("GET", "/__admin/presets", None),
    ("POST", "/__admin/presets/quota_exhausted", {"replace": True}),
    ("GET", "/__admin/requests", None),
    ("GET", "/__admin/requests/count", None),
    ("DELETE", "/__admin/requests", None),
    ("POST", "/__admin/reset", None),
    ("GET", "/__admin/settings", None),
    ("PATCH", "/__admin/settings", {"seed": 5}),
    ("POST", "/__admin/settings", {"seed": 5}),
    ("GET", "/__admin/no-such-route", None),
]


@pytest.fixture
async def http(fake: FakeDeepSeek) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=fake.url, timeout=5) as client:
        yield client


@pytest.fixture
async def guarded_http(guarded_fake: FakeDeepSeek) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=guarded_fake.url, timeout=5) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_admin_error(response: httpx.Response, status: int, *fragments: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    message = response.json()["error"]
    for fragment in fragments:
        assert fragment in message
    assert ADMIN_TOKEN not in response.text and WRONG_TOKEN not in response.text


# --- the admin token ---------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_CALLS)
async def test_every_admin_route_needs_the_token(
    guarded_fake: FakeDeepSeek,
    guarded_http: httpx.AsyncClient,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    guarded_fake.add_fault(RULE)
    settings_before = guarded_fake.state.runtime
    missing = await guarded_http.request(method, path, json=body)
    wrong = await guarded_http.request(method, path, json=body, headers=bearer(WRONG_TOKEN))
    basic = await guarded_http.request(
        method, path, json=body, headers={"Authorization": f"Basic {ADMIN_TOKEN}"}
    )
    assert_admin_error(missing, 401, "admin token required")
    assert_admin_error(wrong, 401, "admin token refused")
    assert_admin_error(basic, 401, "admin token required")
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    # nothing a refused call asked for happened
    assert [view.rule.name for view in guarded_fake.faults()] == ["probe"]
    assert guarded_fake.state.runtime == settings_before
    right = await guarded_http.request(method, path, json=body, headers=bearer(ADMIN_TOKEN))
    assert right.status_code != 401


async def test_right_token_reaches_every_route(guarded_http: httpx.AsyncClient) -> None:
    headers = bearer(ADMIN_TOKEN)
    added = await guarded_http.post("/__admin/faults", json=RULE, headers=headers)
    assert added.status_code == 201
    listed = await guarded_http.get("/__admin/faults", headers=headers)
    assert [view["rule"]["name"] for view in listed.json()["faults"]] == ["probe"]
    unknown = await guarded_http.get("/__admin/no-such-route", headers=headers)
    assert_admin_error(unknown, 404, "no admin route")
    wrong_method = await guarded_http.put("/__admin/faults", json=RULE, headers=headers)
    assert_admin_error(wrong_method, 405, "PUT is not allowed")
    assert "POST" in wrong_method.headers["Allow"]


async def test_chat_api_keeps_its_own_key_check(guarded_fake: FakeDeepSeek) -> None:
    """The admin token is not a chat key, and a chat key is not the admin token."""
    async with openai.AsyncOpenAI(base_url=guarded_fake.url, api_key=API_KEY, max_retries=0) as chat:
        answer = await chat.chat.completions.create(model="deepseek-chat", messages=plan_messages())
    assert answer.choices[0].message.content
    async with openai.AsyncOpenAI(
        base_url=guarded_fake.url, api_key=ADMIN_TOKEN, max_retries=0
    ) as with_admin_token:
        with pytest.raises(openai.AuthenticationError):
            await with_admin_token.chat.completions.create(model="deepseek-chat", messages=plan_messages())
    async with httpx.AsyncClient(base_url=guarded_fake.url) as client:
        refused = await client.get("/__admin/health", headers=bearer(API_KEY))
    assert refused.status_code == 401


async def test_control_clients_send_the_token(guarded_fake: FakeDeepSeek) -> None:
    async with AsyncFakeLLMControl(guarded_fake.url, admin_token=ADMIN_TOKEN) as control:
        rule_id = await control.add_fault(RULE)
        assert await control.load_preset("flaky", replace=False)
        settings = await control.settings(seed=11)
        await control.reset()
    assert rule_id and settings.seed == 11 and guarded_fake.faults() == []

    def drive_sync() -> int:
        with FakeLLMControl(guarded_fake.url, admin_token=ADMIN_TOKEN) as control:
            control.add_fault(RULE)
            control.settings(latency_ms=1)
            control.reset()
            return control.count()

    assert await asyncio.to_thread(drive_sync) == 0


async def test_control_clients_read_the_token_from_the_environment(
    guarded_fake: FakeDeepSeek, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ADMIN_TOKEN_ENV, ADMIN_TOKEN)
    async with AsyncFakeLLMControl(guarded_fake.url) as control:
        health = await control.health()
    assert health["status"] == "ok"


async def test_missing_or_wrong_token_is_a_clear_control_error(
    guarded_fake: FakeDeepSeek, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ADMIN_TOKEN_ENV, raising=False)
    async with AsyncFakeLLMControl(guarded_fake.url) as control:
        with pytest.raises(ControlError) as missing:
            await control.add_fault(RULE)
    async with AsyncFakeLLMControl(guarded_fake.url, admin_token=WRONG_TOKEN) as control:
        with pytest.raises(ControlError) as wrong:
            await control.health()

    def sync_wrong() -> str:
        with FakeLLMControl(guarded_fake.url, admin_token=WRONG_TOKEN) as control:
            try:
                control.clear_faults()
            except ControlError as error:
                return str(error)
        return "no error"

    sync_message = await asyncio.to_thread(sync_wrong)
    assert missing.value.status == 401 and wrong.value.status == 401
    assert guarded_fake.url in str(missing.value) and "none was given" in str(missing.value)
    assert ADMIN_TOKEN_ENV in str(missing.value)
    for message in (str(wrong.value), sync_message):
        assert guarded_fake.url in message and "refused the admin token" in message
        assert WRONG_TOKEN not in message and ADMIN_TOKEN not in message
    assert WRONG_TOKEN not in repr(wrong.value)
    assert guarded_fake.faults() == []


# --- loopback only without a token ------------------------------------------------------


async def test_without_token_only_loopback_host_names_are_answered(
    fake: FakeDeepSeek, http: httpx.AsyncClient
) -> None:
    """A DNS-rebinding page reaches the fake under its own name; the Host header gives it away."""
    rebound = await http.post("/__admin/faults", json=RULE, headers={"Host": f"evil.example:{fake.port}"})
    assert_admin_error(rebound, 403, "loopback names only", "evil.example")
    assert fake.faults() == []
    for host in (f"localhost:{fake.port}", f"127.0.0.1:{fake.port}", f"[::1]:{fake.port}"):
        allowed = await http.get("/__admin/health", headers={"Host": host})
        assert allowed.status_code == 200, host


async def test_with_token_any_host_name_is_answered(
    guarded_fake: FakeDeepSeek, guarded_http: httpx.AsyncClient
) -> None:
    response = await guarded_http.get(
        "/__admin/health", headers={"Host": f"fake-llm.internal:{guarded_fake.port}", **bearer(ADMIN_TOKEN)}
    )
    assert response.status_code == 200


def test_settings_refuse_a_non_loopback_host_without_token() -> None:
    for host in ("0.0.0.0", "::", "192.168.1.20", "fake-llm.internal"):
        with pytest.raises(ValueError, match="admin token"):
            ServerSettings(host=host)
        assert ServerSettings(host=host, admin_token=SecretStr(ADMIN_TOKEN)).host == host
    for host in ("127.0.0.1", "127.0.0.2", "::1", "localhost"):
        assert ServerSettings(host=host).admin_token is None


def test_settings_refuse_a_short_token_without_quoting_it() -> None:
    with pytest.raises(ValueError) as raised:
        ServerSettings(admin_token=SecretStr("short-secret"))
    assert "admin_token" in str(raised.value) and "16" in str(raised.value)
    assert "short-secret" not in str(raised.value)


# --- cross-site refusal -----------------------------------------------------------------


@pytest.mark.parametrize("origin", [FOREIGN_ORIGIN, "null", "http://127.0.0.1:1"])
async def test_foreign_origin_is_refused_even_with_the_token(
    guarded_fake: FakeDeepSeek, guarded_http: httpx.AsyncClient, origin: str
) -> None:
    headers = {"Origin": origin, **bearer(ADMIN_TOKEN)}
    posted = await guarded_http.post("/__admin/faults", json=RULE, headers=headers)
    read = await guarded_http.get("/__admin/requests", headers=headers)
    assert_admin_error(posted, 403, "cross-site request refused", repr(origin))
    assert_admin_error(read, 403, "cross-site request refused")
    assert guarded_fake.faults() == []


async def test_own_origin_is_accepted(fake: FakeDeepSeek, http: httpx.AsyncClient) -> None:
    response = await http.post("/__admin/faults", json=RULE, headers={"Origin": fake.url})
    assert response.status_code == 201
    assert [view.rule.name for view in fake.faults()] == ["probe"]


async def test_cross_site_fetch_metadata_is_refused(fake: FakeDeepSeek, http: httpx.AsyncClient) -> None:
    """A no-cors GET sends no Origin, but browsers mark it `Sec-Fetch-Site: cross-site`."""
    for site in ("cross-site", "same-site"):
        refused = await http.get("/__admin/requests", headers={"Sec-Fetch-Site": site})
        assert_admin_error(refused, 403, "Sec-Fetch-Site")
    for site in ("same-origin", "none"):
        assert (await http.get("/__admin/health", headers={"Sec-Fetch-Site": site})).status_code == 200


async def test_preflight_gets_no_permissive_headers(fake: FakeDeepSeek, http: httpx.AsyncClient) -> None:
    preflight_headers = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, authorization",
    }
    foreign = await http.options("/__admin/faults", headers={"Origin": FOREIGN_ORIGIN, **preflight_headers})
    plain = await http.options("/__admin/faults")
    assert_admin_error(foreign, 403, "cross-site request refused")
    assert plain.status_code == 204 and "POST" in plain.headers["Allow"]
    for response in (foreign, plain):
        assert not [name for name in response.headers if name.lower().startswith("access-control-")]
    assert fake.faults() == []


# --- JSON bodies only ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain;charset=UTF-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        None,
    ],
)
async def test_body_without_json_content_type_is_415(
    fake: FakeDeepSeek, http: httpx.AsyncClient, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = await http.post(
        "/__admin/faults", content=b'{"action": {"type": "empty_body"}}', headers=headers
    )
    assert_admin_error(response, 415, "application/json")
    assert fake.faults() == []


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "Application/JSON"]
)
async def test_json_content_types_with_parameters_are_accepted(
    fake: FakeDeepSeek, http: httpx.AsyncClient, content_type: str
) -> None:
    response = await http.post(
        "/__admin/faults",
        content=b'{"action": {"type": "empty_body"}}',
        headers={"Content-Type": content_type},
    )
    assert response.status_code == 201


async def test_bodiless_admin_post_needs_no_content_type(fake: FakeDeepSeek, http: httpx.AsyncClient) -> None:
    fake.add_fault(RULE)
    response = await http.post("/__admin/reset")
    assert response.status_code == 200 and fake.faults() == []
