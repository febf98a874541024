"""Pipeline settings from the environment: defaults, parsing, clear errors, hidden key."""

from __future__ import annotations

import pytest

from reference_impl.pipeline.settings import PipelineSettings, SettingsError

SECRET = "sk-live-abcdef0123456789"


def test_defaults_when_nothing_is_set() -> None:
    settings = PipelineSettings.from_env({})

    assert settings.base_url == "https://api.deepseek.com"
    assert settings.model == "deepseek-chat"
    assert settings.api_key is None
    assert not settings.has_api_key
    assert settings.call_timeout_ms <= settings.attempt_timeout_ms < 150_000


def test_every_variable_is_read() -> None:
    settings = PipelineSettings.from_env(
        {
            "DEEPSEEK_API_KEY": SECRET,
            "DEEPSEEK_BASE_URL": "http://127.0.0.1:8089/v1",
            "DEEPSEEK_MODEL": "deepseek-v4-flash",
            "INTERNAL_TIMEOUT_MS": "50",
            "DEEPSEEK_CALL_TIMEOUT_MS": "40",
            "DEEPSEEK_MAX_TOKENS": "2048",
            "DEEPSEEK_IN_CALL_RETRIES": "0",
            "DEEPSEEK_RETRY_BACKOFF_MS": "5",
        }
    )

    assert settings == PipelineSettings(
        api_key=SECRET,
        base_url="http://127.0.0.1:8089/v1",
        model="deepseek-v4-flash",
        attempt_timeout_ms=50,
        call_timeout_ms=40,
        max_tokens=2048,
        in_call_retries=0,
        retry_backoff_ms=5,
    )
    assert settings.has_api_key


def test_blank_values_keep_defaults_and_a_blank_key_is_missing() -> None:
    settings = PipelineSettings.from_env({"DEEPSEEK_API_KEY": "  ", "DEEPSEEK_MODEL": ""})

    assert not settings.has_api_key
    assert settings.model == "deepseek-chat"


def test_api_key_is_not_in_repr() -> None:
    settings = PipelineSettings.from_env({"DEEPSEEK_API_KEY": SECRET})

    assert SECRET not in repr(settings)
    assert SECRET not in str(settings)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("INTERNAL_TIMEOUT_MS", "5s"),
        ("INTERNAL_TIMEOUT_MS", "0"),
        ("INTERNAL_TIMEOUT_MS", "-100"),
        ("DEEPSEEK_CALL_TIMEOUT_MS", "1.5"),
        ("DEEPSEEK_MAX_TOKENS", "0"),
        ("DEEPSEEK_MAX_TOKENS", "100000"),
        ("DEEPSEEK_IN_CALL_RETRIES", "11"),
        ("DEEPSEEK_RETRY_BACKOFF_MS", "-1"),
        ("DEEPSEEK_BASE_URL", "ftp://api.deepseek.com"),
        ("DEEPSEEK_BASE_URL", "api.deepseek.com"),
        ("DEEPSEEK_BASE_URL", "https://api.deepseek.com/?key=1"),
    ],
)
def test_bad_values_name_the_variable_and_value(name: str, value: str) -> None:
    with pytest.raises(SettingsError) as refused:
        PipelineSettings.from_env({name: value})

    assert name in str(refused.value)
    assert value in str(refused.value)


def test_credentials_in_the_base_url_are_refused_without_echoing_them() -> None:
    with pytest.raises(SettingsError) as refused:
        PipelineSettings.from_env({"DEEPSEEK_BASE_URL": f"https://user:{SECRET}@example.test"})

    assert "DEEPSEEK_BASE_URL" in str(refused.value)
    assert SECRET not in str(refused.value)


def test_direct_construction_is_checked_too() -> None:
    with pytest.raises(SettingsError, match="DEEPSEEK_CALL_TIMEOUT_MS"):
        PipelineSettings(call_timeout_ms=0)


def test_settings_are_frozen() -> None:
    settings = PipelineSettings()

    with pytest.raises(AttributeError):
        settings.model = "other"  # type: ignore[misc]
