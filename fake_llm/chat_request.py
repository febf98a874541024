"""Reading a chat-completion request body and refusing it the way DeepSeek does (400/422)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fake_llm import json_body
from fake_llm.json_body import JsonBodyError
from fake_llm.models import ModelInfo, find_model

ROLES = ("system", "user", "assistant", "tool")
CHAT_MAX_DEPTH = 128  # serde_json's recursion limit (DeepSeek's 422 texts are axum/serde_json's)
STAGE_PATTERN = re.compile(r"\bstage\s*([12])\b", re.IGNORECASE)
USER_LINE_PATTERN = re.compile(r"^\s*USER:\s*(\S+)\s*$", re.MULTILINE)


class ChatRequestError(Exception):
    """A request DeepSeek would refuse; `status` is 400 or 422."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Message:
    """One message of the conversation, with its text flattened."""

    role: str
    text: str


@dataclass(frozen=True)
class ChatRequest:
    """A valid chat-completion request and what the fake reads from it (D2 stage and user)."""

    raw: bytes
    body: dict[str, Any]
    model: ModelInfo
    messages: tuple[Message, ...]
    stream: bool
    max_tokens: int | None
    json_mode: bool
    thinking: bool
    stage: int | None
    user: str | None

    def mentions_user(self, user: str) -> bool:
        """Whether the body's `user` field or the prompt's `USER:` line names `user`."""
        return self.body.get("user") == user or self.user == user


def _deserialize_error(detail: str) -> ChatRequestError:
    return ChatRequestError(
        422, f"Failed to deserialize the JSON body into the target type: {detail}"
    )


def _message_text(index: int, content: object) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if not isinstance(part, dict) or not isinstance(part.get("text"), str):
                raise _deserialize_error(f"messages[{index}].content: expected text parts")
            parts.append(part["text"])
        return "\n".join(parts)
    raise _deserialize_error(f"messages[{index}].content: invalid type, expected a string")


def _read_messages(raw_messages: object, model: ModelInfo) -> tuple[Message, ...]:
    if not isinstance(raw_messages, list):
        raise _deserialize_error("messages: invalid type, expected a sequence")
    if not raw_messages:
        raise ChatRequestError(400, "Empty input messages")
    messages = []
    for index, raw in enumerate(raw_messages):
        if not isinstance(raw, dict):
            raise _deserialize_error(f"messages[{index}]: invalid type, expected an object")
        role = raw.get("role")
        if role not in ROLES:
            expected = ", ".join(f"`{r}`" for r in ROLES)
            raise _deserialize_error(
                f"messages[{index}].role: unknown variant `{role}`, expected one of {expected}"
            )
        if model.thinks and "reasoning_content" in raw:
            raise ChatRequestError(
                400,
                "The reasoning_content is an intermediate result for display purposes only and "
                "will not be included in the context for inference. Please remove the "
                "reasoning_content from your input messages.",
            )
        messages.append(Message(role=str(role), text=_message_text(index, raw.get("content"))))
    return tuple(messages)


def _check_types(body: dict[str, Any]) -> None:
    """The optional fields the fake reads must have DeepSeek's types (422 like its deserializer)."""
    for field, expected, wanted in (
        ("user", str, "a string"),
        ("logprobs", bool, "a boolean"),
        ("thinking", dict, "an object"),
    ):
        value = body.get(field)
        if value is not None and not isinstance(value, expected):
            raise _deserialize_error(f"{field}: invalid type, expected {wanted}")
    thinking_type = (body.get("thinking") or {}).get("type")
    if thinking_type is not None and thinking_type not in ("enabled", "disabled"):
        raise _deserialize_error(
            "thinking.type: unknown variant, expected one of `enabled`, `disabled`"
        )


def _check_range(body: dict[str, Any], field: str, low: float, high: float) -> None:
    value = body.get(field)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _deserialize_error(f"{field}: invalid type, expected a number")
    if not low <= value <= high:
        raise ChatRequestError(
            422, f"Invalid {field} value, the valid range of {field} is [{low}, {high}]"
        )


def _read_max_tokens(body: dict[str, Any], model: ModelInfo) -> int | None:
    value = body.get("max_tokens")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _deserialize_error("max_tokens: invalid type, expected an integer")
    if not 1 <= value <= model.max_output_tokens:
        raise ChatRequestError(
            400,
            f"Invalid max_tokens value, the valid range of max_tokens is "
            f"[1, {model.max_output_tokens}]",
        )
    return value


def _read_json_mode(body: dict[str, Any], messages: tuple[Message, ...]) -> bool:
    response_format = body.get("response_format")
    if response_format is None:
        return False
    if not isinstance(response_format, dict) or response_format.get("type") not in (
        "text",
        "json_object",
    ):
        raise _deserialize_error(
            "response_format.type: unknown variant, expected one of `text`, `json_object`"
        )
    if response_format["type"] != "json_object":
        return False
    if not any("json" in m.text.lower() for m in messages if m.role in ("system", "user")):
        raise ChatRequestError(
            400,
            "Prompt must contain the word 'json' in some form to use 'response_format' of type "
            "'json_object'.",
        )
    return True


def find_stage(messages: tuple[Message, ...]) -> int | None:
    """D2: the stage named in the system message first, then in the other messages."""
    ordered = [m for m in messages if m.role == "system"] + [
        m for m in messages if m.role != "system"
    ]
    for message in ordered:
        found = STAGE_PATTERN.search(message.text)
        if found:
            return int(found.group(1))
    return None


def find_user(messages: tuple[Message, ...]) -> str | None:
    """D2: the id on the prompt's `USER: <id>` line, if any."""
    for message in messages:
        found = USER_LINE_PATTERN.search(message.text)
        if found:
            return found.group(1)
    return None


def parse_chat_request(raw: bytes) -> ChatRequest:
    """Validate `raw` as DeepSeek does; raise `ChatRequestError` naming what is wrong."""
    try:
        body = json_body.loads(raw, max_depth=CHAT_MAX_DEPTH)
    except JsonBodyError as error:
        raise ChatRequestError(400, f"Failed to parse the request body as JSON: {error}") from None
    if not isinstance(body, dict):
        raise _deserialize_error("invalid type, expected an object")
    for field in ("model", "messages"):
        if field not in body:
            raise _deserialize_error(f"missing field `{field}`")
    if not isinstance(body["model"], str):
        raise _deserialize_error("model: invalid type, expected a string")
    model = find_model(body["model"])
    if model is None:
        raise ChatRequestError(400, "Model Not Exist")
    stream = body.get("stream", False)
    if stream is not None and not isinstance(stream, bool):
        raise _deserialize_error("stream: invalid type, expected a boolean")
    _check_types(body)
    if model.thinks and body.get("logprobs"):
        raise ChatRequestError(400, "deepseek-reasoner does not support logprobs")
    messages = _read_messages(body["messages"], model)
    _check_range(body, "temperature", 0, 2)
    _check_range(body, "top_p", 0, 1)
    _check_range(body, "frequency_penalty", -2, 2)
    _check_range(body, "presence_penalty", -2, 2)
    thinking = body.get("thinking") or {}
    return ChatRequest(
        raw=raw,
        body=body,
        model=model,
        messages=messages,
        stream=bool(stream),
        max_tokens=_read_max_tokens(body, model),
        json_mode=_read_json_mode(body, messages),
        thinking=model.thinks or thinking.get("type") == "enabled",
        stage=find_stage(messages),
        user=find_user(messages),
    )
