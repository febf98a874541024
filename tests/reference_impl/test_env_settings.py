"""Settings whose fields carry their environment variable: reading, limits, nesting, secrets."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from reference_impl.env_settings import check_limits, env_defaults, env_var, env_var_of, settings_from_env

SECRET = "sk-do-not-print-0123456789"


class ExampleError(ValueError):
    pass


@dataclass(frozen=True)
class Inner:
    wait: timedelta = field(
        default=timedelta(seconds=2), metadata=env_var("EXAMPLE_WAIT_MS", low=1, high=10_000)
    )

    def __post_init__(self) -> None:
        check_limits(self, ExampleError)


@dataclass(frozen=True)
class Outer:
    url: str = field(metadata=env_var("EXAMPLE_URL", required=True))
    token: str | None = field(default=None, repr=False, metadata=env_var("EXAMPLE_TOKEN", secret=True))
    count: int = field(default=3, metadata=env_var("EXAMPLE_COUNT", low=1, high=5))
    level: str = field(default="INFO", metadata=env_var("EXAMPLE_LEVEL", choices=("DEBUG", "INFO")))
    inner: Inner = field(default_factory=Inner)
    fixed: int = 7

    def __post_init__(self) -> None:
        check_limits(self, ExampleError)


def test_every_field_is_read_from_its_variable_nested_ones_too() -> None:
    settings = settings_from_env(
        Outer,
        {
            "EXAMPLE_URL": " http://127.0.0.1:1 ",
            "EXAMPLE_TOKEN": SECRET,
            "EXAMPLE_COUNT": "5",
            "EXAMPLE_LEVEL": "debug",
            "EXAMPLE_WAIT_MS": "250",
            "fixed": "9",
        },
        ExampleError,
    )

    assert settings == Outer(
        url="http://127.0.0.1:1",
        token=SECRET,
        count=5,
        level="DEBUG",
        inner=Inner(timedelta(milliseconds=250)),
    )
    assert settings.fixed == 7


def test_blank_values_keep_the_defaults() -> None:
    settings = settings_from_env(
        Outer, {"EXAMPLE_URL": "u", "EXAMPLE_COUNT": "  ", "EXAMPLE_WAIT_MS": ""}, ExampleError
    )

    assert (settings.count, settings.inner.wait) == (3, timedelta(seconds=2))


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "EXAMPLE_URL is required"),
        ({"EXAMPLE_COUNT": "many"}, "EXAMPLE_COUNT must be a whole number, got 'many'"),
        ({"EXAMPLE_COUNT": "6"}, "EXAMPLE_COUNT must be from 1 to 5, got 6"),
        ({"EXAMPLE_WAIT_MS": "1.5"}, "EXAMPLE_WAIT_MS must be a whole number of milliseconds, got '1.5'"),
        ({"EXAMPLE_WAIT_MS": "0"}, "EXAMPLE_WAIT_MS must be from 1 to 10000 ms, got 0"),
        ({"EXAMPLE_LEVEL": "loud"}, "EXAMPLE_LEVEL must be one of DEBUG, INFO, got 'loud'"),
    ],
)
def test_a_bad_value_is_refused_naming_its_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(ExampleError) as refused:
        settings_from_env(Outer, {"EXAMPLE_URL": "u", **env} if env else {}, ExampleError)

    assert str(refused.value) == message


def test_a_secret_is_never_quoted() -> None:
    @dataclass(frozen=True)
    class Numbered:
        pin: int = field(default=1, metadata=env_var("EXAMPLE_PIN", secret=True))

    with pytest.raises(ExampleError) as refused:
        settings_from_env(Numbered, {"EXAMPLE_PIN": SECRET}, ExampleError)

    assert "EXAMPLE_PIN" in str(refused.value)
    assert SECRET not in str(refused.value)


def test_limits_hold_for_objects_built_in_code() -> None:
    with pytest.raises(ExampleError, match="EXAMPLE_WAIT_MS must be from 1 to 10000 ms, got 20000"):
        Inner(wait=timedelta(seconds=20))
    with pytest.raises(ExampleError, match="EXAMPLE_LEVEL must be one of DEBUG, INFO, got 'debug'"):
        Outer(url="u", level="debug")


def test_defaults_and_variables_are_listed_by_name() -> None:
    assert env_defaults(Outer) == {
        "EXAMPLE_TOKEN": None,
        "EXAMPLE_COUNT": 3,
        "EXAMPLE_LEVEL": "INFO",
        "EXAMPLE_WAIT_MS": 2000,
    }
    assert env_var_of(Outer, "count").name == "EXAMPLE_COUNT"
    with pytest.raises(KeyError):
        env_var_of(Outer, "fixed")
