"""Malformed input to a real server gets 4xx in the route's own error shape, never a 500:
the admin API answers `{"error": ...}` (400 unparsable, 413 too large, 422 naming the field),
the chat API DeepSeek's `{"error": {"message", "type", "param", "code"}}` (400/413/422)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from fake_llm.server import FakeDeepSeek

JSON = {"Content-Type": "application/json"}
DEEP = 30_000
DEEP_ARRAY = b"[" * DEEP + b"]" * DEEP  # 60,000 bytes: under the admin limit, so depth decides
HTTP_500 = {"type": "http_error", "status": 500}


def rule_with(**fields: object) -> bytes:
    return json.dumps({"action": HTTP_500, **fields}).encode()


def chat_body(**fields: object) -> dict[str, object]:
    return {"model": "deepseek-chat", "messages": [{"role": "user", "content": "a json plan"}], **fields}


@pytest.fixture
async def http(fake: FakeDeepSeek) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=fake.url, timeout=30) as client:
        yield client


def admin_error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text[:300]
    assert response.headers["Content-Type"].startswith("application/json")
    message = response.json()["error"]
    assert isinstance(message, str)
    return message


def deepseek_error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text[:300]
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error"
    return str(error["message"])


# --- admin API: bodies that do not parse (400) --------------------------------------------

UNPARSABLE_ADMIN_BODIES = {
    "nested 30,000 deep": (DEEP_ARRAY, "nested deeper than"),
    "nested 30,000 deep in a field": (
        b'{"name": ' + b"[" * DEEP + b"]" * DEEP + b', "action": {"type": "empty_body"}}',
        "nested deeper than",
    ),
    "lone surrogate": (
        b'{"name": "\\ud800", "action": {"type": "empty_body"}}',
        "lone surrogate escape in a string at name",
    ),
    "lone low surrogate in a key": (b'{"\\udc00": 1}', "lone surrogate"),
    "not UTF-8": (b'{"name": "caf\xe9", "action": {"type": "empty_body"}}', "not UTF-8"),
    "UTF-16": ('{"action": {"type": "empty_body"}}'.encode("utf-16"), "not UTF-8"),
    "integer of 5,000 digits": (
        b'{"priority": ' + b"9" * 5000 + b', "action": {"type": "empty_body"}}',
        "number of 5000 characters",
    ),
    "integer of 1,000 digits": (
        b'{"times": ' + b"1" * 1000 + b', "action": {"type": "empty_body"}}',
        "number of 1000 characters",
    ),
    "fraction of 5,000 digits": (
        b'{"match": {"probability": 0.' + b"5" * 5000 + b'}, "action": {"type": "empty_body"}}',
        "number of 5002 characters",
    ),
    "number out of range": (b'{"action": {"type": "delay", "ms": 1e400}}', "number out of range"),
    "NaN": (b'{"match": {"probability": NaN}, "action": {"type": "empty_body"}}', "NaN is not a JSON number"),
    "Infinity": (b'{"action": {"type": "delay", "ms": Infinity}}', "Infinity is not a JSON number"),
    "truncated": (b'{"action": {"type": ', "Expecting value"),
    "two values": (b'{"action": {"type": "empty_body"}} {}', "Extra data"),
}


@pytest.mark.parametrize("case", list(UNPARSABLE_ADMIN_BODIES))
async def test_admin_body_that_does_not_parse_is_400(
    fake: FakeDeepSeek, http: httpx.AsyncClient, case: str
) -> None:
    body, reason = UNPARSABLE_ADMIN_BODIES[case]
    response = await http.post("/__admin/faults", content=body, headers=JSON)
    message = admin_error(response, 400)
    assert message.startswith("invalid fault rule: body is not JSON") and reason in message
    assert fake.faults() == []


@pytest.mark.parametrize(
    "body",
    [b'{"seed": ' + b"7" * 4000 + b"}", b'{"latency_ms": NaN}', b'{"quality": "\\udfff"}', DEEP_ARRAY],
    ids=["seed of 4,000 digits", "NaN latency", "lone surrogate quality", "nested 30,000 deep"],
)
async def test_settings_body_that_does_not_parse_is_400(
    fake: FakeDeepSeek, http: httpx.AsyncClient, body: bytes
) -> None:
    before = fake.state.runtime
    assert admin_error(await http.patch("/__admin/settings", content=body, headers=JSON), 400).startswith(
        "invalid settings: body is not JSON"
    )
    assert fake.state.runtime == before


# --- admin API: bodies that parse but are wrong (422 naming the field) ---------------------

WRONG_ADMIN_BODIES = {
    "NUL in the name": (rule_with(name="a\u0000b"), ["name"]),
    "NUL in a nested string": (rule_with(match={"user": "u\u0000"}), ["match.user"]),
    "NUL in a key": (b'{"act\\u0000ion": {}}', ["act\u0000ion"]),
    "body is a list": (b"[]", ["(body)"]),
    "body is null": (b"null", ["(body)"]),
    "body is a string": (b'"rule"', ["(body)"]),
    "body is a number": (b"42", ["(body)"]),
    "name is a number": (rule_with(name=1), ["name"]),
    "match is a list": (rule_with(match=[]), ["match"]),
    "stage is a word": (rule_with(match={"stage": "first"}), ["match.stage"]),
    "nth is an object": (rule_with(match={"nth": {"n": 1}}), ["match.nth.int", "match.nth.list[int]"]),
    "times is a string": (rule_with(times="many"), ["times"]),
    "priority is a float": (rule_with(priority=1.5), ["priority"]),
    "priority is huge": (rule_with(priority=10**90 * -1), ["priority"]),
    "action is a string": (json.dumps({"action": "fail"}).encode(), ["action"]),
    "unknown action": (json.dumps({"action": {"type": "explode"}}).encode(), ["action"]),
    "status is a list": (
        json.dumps({"action": {"type": "http_error", "status": [500]}}).encode(),
        ["action.http_error.status"],
    ),
    "unknown field": (rule_with(when="now"), ["when"]),
    "bad regex": (rule_with(match={"body_regex": "("}), ["match.body_regex"]),
}


@pytest.mark.parametrize("case", list(WRONG_ADMIN_BODIES))
async def test_admin_body_that_parses_but_is_wrong_is_422_naming_the_field(
    fake: FakeDeepSeek, http: httpx.AsyncClient, case: str
) -> None:
    body, fields = WRONG_ADMIN_BODIES[case]
    response = await http.post("/__admin/faults", content=body, headers=JSON)
    admin_error(response, 422)
    assert [detail["field"] for detail in response.json()["details"]] == fields
    assert fake.faults() == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"seed": "seven"}', "seed"),
        (b'{"seed": 9223372036854775808}', "seed"),
        (b'{"latency_ms": [1]}', "latency_ms"),
        (b'{"quality": "\\u0000"}', "quality"),
        (b'{"quality": null, "speed": 1}', "speed"),
    ],
)
async def test_wrong_settings_are_422_naming_the_field(
    fake: FakeDeepSeek, http: httpx.AsyncClient, body: bytes, field: str
) -> None:
    response = await http.post("/__admin/settings", content=body, headers=JSON)
    admin_error(response, 422)
    assert [detail["field"] for detail in response.json()["details"]] == [field]


@pytest.mark.parametrize(
    ("body", "field"),
    [(b'{"replace": "\\u0000"}', "replace"), (b'{"replace": {}}', "replace"), (b"[true]", "(body)")],
)
async def test_wrong_preset_load_is_422(
    fake: FakeDeepSeek, http: httpx.AsyncClient, body: bytes, field: str
) -> None:
    response = await http.post("/__admin/presets/flaky", content=body, headers=JSON)
    admin_error(response, 422)
    assert response.json()["details"][0]["field"] == field
    assert fake.faults() == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("stage=%00", "stage"),
        ("user=a%00b", "user"),
        ("limit=" + "9" * 5000, "limit"),
        ("since_seq=1e400", "since_seq"),
        ("stage=%ED%A0%80", "stage"),
        ("colour=red", "colour"),
    ],
)
async def test_wrong_journal_query_is_422(http: httpx.AsyncClient, query: str, field: str) -> None:
    response = await http.get(f"/__admin/requests?{query}")
    admin_error(response, 422)
    assert response.json()["details"][0]["field"] == field


# --- admin API: size ------------------------------------------------------------------------


async def test_huge_admin_body_is_413_declared_or_streamed(
    fake: FakeDeepSeek, http: httpx.AsyncClient
) -> None:
    limit = fake.settings.admin_body_limit_bytes
    huge = rule_with(name="x" * (limit + 1))

    async def streamed() -> AsyncIterator[bytes]:
        for start in range(0, len(huge), 8192):
            yield huge[start : start + 8192]

    declared = await http.post("/__admin/faults", content=huge, headers=JSON)
    chunked = await http.post("/__admin/faults", content=streamed(), headers=JSON)
    assert "Content-Length" not in chunked.request.headers
    for response in (declared, chunked):
        assert f"over the limit of {limit} bytes" in admin_error(response, 413)
    assert fake.faults() == []
    assert (await http.get("/__admin/health")).status_code == 200


# --- chat API ---------------------------------------------------------------------------------

UNPARSABLE_CHAT_BODIES = {
    "nested 30,000 deep": b'{"model": "deepseek-chat", "messages": ' + DEEP_ARRAY + b"}",
    "nested 200 deep in metadata": json.dumps(chat_body(metadata=json.loads("[" * 200 + "]" * 200))).encode(),
    "integer of 5,000 digits": json.dumps(chat_body()).encode()[:-1]
    + b', "max_tokens": '
    + b"9" * 5000
    + b"}",
    "NaN temperature": json.dumps(chat_body()).encode()[:-1] + b', "temperature": NaN}',
    "number out of range": json.dumps(chat_body()).encode()[:-1] + b', "top_p": 1e999}',
    "lone surrogate": b'{"model": "deepseek-chat", "messages": [{"role": "user", "content": "\\ud83d"}]}',
    "not UTF-8": b'{"model": "deepseek-chat", "messages": [{"role": "user", "content": "\xff\xfe"}]}',
    "truncated": b'{"model": "deepseek-chat", "messages": [',
}


@pytest.mark.parametrize("case", list(UNPARSABLE_CHAT_BODIES))
async def test_chat_body_that_does_not_parse_is_deepseeks_400(
    fake: FakeDeepSeek, http: httpx.AsyncClient, case: str
) -> None:
    response = await http.post(
        "/chat/completions",
        content=UNPARSABLE_CHAT_BODIES[case],
        headers={**JSON, "Authorization": f"Bearer {fake.api_key}"},
    )
    assert deepseek_error(response, 400).startswith("Failed to parse the request body as JSON")
    assert fake.journal()[-1].outcome == "invalid_request"


WRONG_CHAT_BODIES = {
    "body is a list": ([], "invalid type"),
    "model is a number": ({"model": 3, "messages": []}, "model: invalid type"),
    "messages is a string": ({"model": "deepseek-chat", "messages": "hi"}, "messages: invalid type"),
    "message is a number": ({"model": "deepseek-chat", "messages": [7]}, "messages[0]: invalid type"),
    "content is an object": (
        {"model": "deepseek-chat", "messages": [{"role": "user", "content": {"text": 1}}]},
        "messages[0].content",
    ),
    "user is an object": (chat_body(user={"id": 1}), "user: invalid type"),
    "thinking is a string": (chat_body(thinking="on"), "thinking: invalid type"),
    "thinking type unknown": (chat_body(thinking={"type": "maybe"}), "thinking.type"),
    "logprobs is a string": (chat_body(logprobs="yes"), "logprobs: invalid type"),
    "stream is a string": (chat_body(stream="yes"), "stream: invalid type"),
    "temperature is a string": (chat_body(temperature="hot"), "temperature: invalid type"),
}


@pytest.mark.parametrize("case", list(WRONG_CHAT_BODIES))
async def test_chat_body_of_wrong_types_is_deepseeks_422(
    fake: FakeDeepSeek, http: httpx.AsyncClient, case: str
) -> None:
    body, fragment = WRONG_CHAT_BODIES[case]
    response = await http.post(
        "/chat/completions", json=body, headers={"Authorization": f"Bearer {fake.api_key}"}
    )
    message = deepseek_error(response, 422)
    assert message.startswith("Failed to deserialize the JSON body") and fragment in message


async def test_huge_chat_body_is_deepseeks_413(fake: FakeDeepSeek, http: httpx.AsyncClient) -> None:
    limit = fake.settings.chat_body_limit_bytes
    huge = json.dumps(chat_body(user="x" * limit)).encode()
    response = await http.post(
        "/chat/completions", content=huge, headers={**JSON, "Authorization": f"Bearer {fake.api_key}"}
    )
    assert f"the limit is {limit} bytes" in deepseek_error(response, 413)
    assert fake.journal()[-1].status == 413


@pytest.mark.parametrize(
    "content",
    [
        '{"a":' * DEEP,
        "PROFILE (json): " + "{" * DEEP + "}" * DEEP,
        '{"age": Infinity, "weightKg": NaN, "mealCount": 3}',
        '{"age": ' + "9" * 5000 + ', "mealCount": 3}',
        '{"supplements": ["\\ud800"], "mealCount": 3}',
        "a NUL \u0000 in the prompt",
        "{}" * 20_000,
    ],
    ids=[
        "unclosed deep object",
        "closed deep object",
        "non-finite",
        "huge number",
        "lone surrogate",
        "NUL",
        "many braces",
    ],
)
async def test_odd_json_inside_a_prompt_still_gets_a_plan(
    fake: FakeDeepSeek, http: httpx.AsyncClient, content: str
) -> None:
    """The prompt is text: whatever JSON-like it holds, the fake answers with a plan (defaults
    where the embedded object is not strict JSON)."""
    response = await http.post(
        "/chat/completions",
        json={"model": "deepseek-chat", "messages": [{"role": "user", "content": content}]},
        headers={"Authorization": f"Bearer {fake.api_key}"},
    )
    assert response.status_code == 200, response.text[:300]
    plan = json.loads(response.json()["choices"][0]["message"]["content"])
    assert len(plan["days"]) == 7


async def test_journal_lists_malformed_calls(fake: FakeDeepSeek, http: httpx.AsyncClient) -> None:
    """The journal shows a body that was not strict JSON as text, and lists without a 500."""
    headers = {**JSON, "Authorization": f"Bearer {fake.api_key}"}
    await http.post(
        "/chat/completions", content=UNPARSABLE_CHAT_BODIES["nested 30,000 deep"], headers=headers
    )
    await http.post("/chat/completions", content=UNPARSABLE_CHAT_BODIES["not UTF-8"], headers=headers)
    response = await http.get("/__admin/requests")
    assert response.status_code == 200
    bodies = [entry["request_body"] for entry in response.json()["requests"]]
    assert all(isinstance(body, str) for body in bodies) and "\ufffd" in bodies[1]
