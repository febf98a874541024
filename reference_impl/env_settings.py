"""Settings classes whose fields carry their environment variable: the one style of every
settings class of the reference service.

A field declared with `metadata=env_var("NAME", ...)` is read from `NAME` by
`settings_from_env`; a field of a settings dataclass type is read the same way, field by
field; a field without `env_var` is not configurable by environment. How a value is read
follows the field's type:

- `int`: a whole number;
- `timedelta`: a whole number of milliseconds (the variable's name ends in `_MS`);
- `str` or `str | None`: the text, stripped (`choices` make it one of a list, any case).

Unset or blank keeps the field's default; a required variable without a value is an
error. `low`/`high` bound a number (in milliseconds for a duration) and are checked both when
read and when the object is built in code (`check_limits` in `__post_init__`), so every
error names the variable. A `secret` value is never quoted in an error.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar, get_type_hints

SettingsT = TypeVar("SettingsT")
ENV_KEY = "env"


@dataclass(frozen=True)
class EnvVar:
    """The environment variable a settings field is read from, and what it accepts."""

    name: str
    low: int | None = None
    high: int | None = None
    required: bool = False
    secret: bool = False
    choices: tuple[str, ...] = ()


def env_var(
    name: str,
    *,
    low: int | None = None,
    high: int | None = None,
    required: bool = False,
    secret: bool = False,
    choices: tuple[str, ...] = (),
) -> dict[str, EnvVar]:
    """Field metadata naming the field's environment variable (`field(metadata=env_var(...))`)."""
    return {ENV_KEY: EnvVar(name, low, high, required, secret, choices)}


def env_var_of(cls: type[Any], field_name: str) -> EnvVar:
    """The variable that sets `cls`'s field `field_name`."""
    for item in dataclasses.fields(cls):
        if item.name == field_name and ENV_KEY in item.metadata:
            variable: EnvVar = item.metadata[ENV_KEY]
            return variable
    raise KeyError(f"{cls.__name__}.{field_name} has no environment variable")


def env_defaults(cls: type[Any]) -> dict[str, object]:
    """Every variable `cls` reads (nested settings included) with its default value; a
    duration's default in milliseconds; required variables are left out."""
    found: dict[str, object] = {}
    for item, hint, variable in _settings_fields(cls):
        if variable is None:
            if dataclasses.is_dataclass(hint):
                found.update(env_defaults(hint))  # type: ignore[arg-type]
            continue
        if item.default is dataclasses.MISSING:
            continue
        default = item.default
        found[variable.name] = whole_ms(default) if isinstance(default, timedelta) else default
    return found


def settings_from_env(cls: type[SettingsT], env: Mapping[str, str], error: type[ValueError]) -> SettingsT:
    """Build `cls` from `env`, raising `error` (naming the variable) on a missing or bad value."""
    values: dict[str, Any] = {}
    for item, hint, variable in _settings_fields(cls):
        if variable is None:
            if dataclasses.is_dataclass(hint) and item.init:
                values[item.name] = settings_from_env(hint, env, error)  # type: ignore[arg-type]
            continue
        raw = env.get(variable.name, "").strip()
        if not raw:
            if variable.required:
                raise error(f"{variable.name} is required")
            continue
        values[item.name] = _parse(variable, hint, raw, error)
    return cls(**values)


def check_limits(settings: object, error: type[ValueError]) -> None:
    """Raise `error` when a field of `settings` is outside its variable's limits."""
    for item, _, variable in _settings_fields(type(settings)):
        if variable is None:
            continue
        value = getattr(settings, item.name)
        if isinstance(value, timedelta):
            _check_range(variable, whole_ms(value), error, unit=" ms")
        elif isinstance(value, int) and not isinstance(value, bool):
            _check_range(variable, value, error, unit="")
        elif isinstance(value, str) and variable.choices and value not in variable.choices:
            raise error(f"{variable.name} must be one of {', '.join(variable.choices)}, got {value!r}")


def _settings_fields(cls: type[Any]) -> Iterator[tuple[dataclasses.Field[Any], Any, EnvVar | None]]:
    hints = get_type_hints(cls)
    for item in dataclasses.fields(cls):
        yield item, hints[item.name], item.metadata.get(ENV_KEY)


def _parse(variable: EnvVar, hint: Any, raw: str, error: type[ValueError]) -> object:
    shown = "a secret value" if variable.secret else repr(raw)
    if hint is int or hint is timedelta:
        unit = " of milliseconds" if hint is timedelta else ""
        try:
            number = int(raw)
        except ValueError:
            raise error(f"{variable.name} must be a whole number{unit}, got {shown}") from None
        _check_range(variable, number, error, unit=" ms" if hint is timedelta else "")
        return timedelta(milliseconds=number) if hint is timedelta else number
    if variable.choices:
        chosen = raw.upper() if all(choice.isupper() for choice in variable.choices) else raw
        if chosen not in variable.choices:
            raise error(f"{variable.name} must be one of {', '.join(variable.choices)}, got {shown}")
        return chosen
    return raw


def _check_range(variable: EnvVar, value: int, error: type[ValueError], *, unit: str) -> None:
    if variable.low is not None and variable.high is not None:
        if not variable.low <= value <= variable.high:
            raise error(f"{variable.name} must be from {variable.low} to {variable.high}{unit}, got {value}")
    elif variable.low is not None and value < variable.low:
        raise error(f"{variable.name} must be at least {variable.low}{unit}, got {value}")
    elif variable.high is not None and value > variable.high:
        raise error(f"{variable.name} must be at most {variable.high}{unit}, got {value}")


def whole_ms(value: timedelta) -> int:
    """A duration in whole milliseconds, as its variable gives it."""
    return round(value.total_seconds() * 1000)
