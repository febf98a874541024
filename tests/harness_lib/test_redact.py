"""Redaction: every kind of secret is removed from text and values; ordinary text is kept."""

from __future__ import annotations

import jwt
import pytest

from harness.redact import REDACTED, Redactor

SERVICE_JWT = jwt.encode({"role": "service_role", "iss": "supabase-demo"}, "x" * 40)
DEEPSEEK_KEY = "sk-" + "0123456789abcdef" * 2


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        (f"apikey header was {SERVICE_JWT} (service)", ["apikey header was ", " (service)"]),
        ("Authorization: Bearer opaque.token_value-123", ["Authorization: Bearer "]),
        (f"DeepSeek 401 with key {DEEPSEEK_KEY}", ["DeepSeek 401 with key "]),
        ("SUPABASE key sb_secret_AbCdEf123456 set", ["SUPABASE key ", " set"]),
        (
            "postgresql://postgres:hunter2pass@127.0.0.1:5432/app",
            ["postgresql://postgres:", "@127.0.0.1:5432/app"],
        ),
        ("host=127.0.0.1 password=hunter2 user=app", ["host=127.0.0.1 password=", " user=app"]),
        ('{"apikey": "plainkey99", "status": 401}', ['{"apikey": "', '", "status": 401}']),
        ("<failure>password=hunter2</failure>", ["<failure>password=", "</failure>"]),
    ],
)
def test_secrets_by_shape_are_redacted(text: str, kept: list[str]) -> None:
    redactor = Redactor()
    assert redactor.findings(text)
    redacted = redactor.text(text)
    assert REDACTED in redacted
    for part in kept:
        assert part in redacted
    assert redactor.findings(redacted) == []
    assert redactor.text(redacted) == redacted


@pytest.mark.parametrize(
    "text",
    [
        "AI_TIMEOUT: no answer within 30000 ms (attempt 2 of 3)",
        "password authentication failed for user app",
        "job 1b4e28ba-2fa1-11d2-883f-0016d3cca427 claimed with token 6fa459ea-ee8a-3ca4-894e",
        "pip install scikit-learn; sk-learn is its old name",
        "deep link /plan-preview?jobId=42",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    redactor = Redactor()
    assert redactor.text(text) == text
    assert redactor.findings(text) == []


def test_explicit_secrets_are_removed_longest_first() -> None:
    redactor = Redactor(("abcd", "abcdefgh"))
    assert redactor.text("x abcdefgh y abcd") == f"x {REDACTED} y {REDACTED}"
    assert redactor.findings("--abcd--") == ["explicit secret #1"]


def test_a_too_short_secret_is_refused_without_echoing_it() -> None:
    with pytest.raises(ValueError, match="secret #1") as info:
        Redactor(("long-enough", "ab3"))
    assert "ab3" not in str(info.value)


def test_values_are_redacted_recursively_and_by_key() -> None:
    redactor = Redactor(("topsecretvalue",))
    value = {
        "job": {"error_message": "call failed: topsecretvalue rejected", "claim_token": "6fa4"},
        "headers": {"apikey": "anon123", "Authorization": "Basic Zm9vOmJhcg==", "X-Id": 7},
        "env": {"SUPABASE_SERVICE_ROLE_KEY": "abc", "deepseek-api-key": "def", "timeout": None},
        "log": [f"token {SERVICE_JWT}", ("tuple", 1), 2.5, None, True],
        "db_password": 12345,
    }
    assert redactor.value(value) == {
        "job": {"error_message": f"call failed: {REDACTED} rejected", "claim_token": "6fa4"},
        "headers": {"apikey": REDACTED, "Authorization": REDACTED, "X-Id": 7},
        "env": {
            "SUPABASE_SERVICE_ROLE_KEY": REDACTED,
            "deepseek-api-key": REDACTED,
            "timeout": None,
        },
        "log": [f"token {REDACTED}", ["tuple", 1], 2.5, None, True],
        "db_password": REDACTED,
    }
    assert value["headers"]["apikey"] == "anon123"  # type: ignore[index]
