"""The user profile of docs/contract.md "Targets and the plan" and its field-level validation for
`create-plan-job`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

MAX_LIST_ITEMS = 30
MAX_ITEM_LENGTH = 80

ShortText = Annotated[
    str,
    StringConstraints(strict=True, strip_whitespace=True, min_length=1, max_length=MAX_ITEM_LENGTH),
]
ShortTextList = Annotated[tuple[ShortText, ...], Field(max_length=MAX_LIST_ITEMS)]

Sex = Literal["male", "female"]
Goal = Literal["fat_loss", "muscle_gain", "recomposition", "general_fitness"]
ActivityLevel = Literal["sedentary", "light", "moderate", "very_active"]
DietaryPreference = Literal["Vegetarian", "Eggitarian", "Non-veg"]


class Profile(BaseModel):
    """A user's profile as sent in `create-plan-job` and snapshotted in the job input.

    Field names are the camelCase JSON names of docs/contract.md "Targets and the plan". Numbers are strict: a
    string or a boolean where a number belongs is refused, not coerced. The three lists
    may be omitted and then are empty.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    age: Annotated[int, Field(strict=True, ge=13, le=100)]
    sex: Sex
    heightCm: Annotated[float, Field(strict=True, ge=100, le=250)]
    weightKg: Annotated[float, Field(strict=True, ge=30, le=300)]
    goal: Goal
    activityLevel: ActivityLevel
    trainingDaysPerWeek: Annotated[int, Field(strict=True, ge=1, le=7)]
    equipment: ShortTextList = ()
    dietaryPreference: DietaryPreference
    mealCount: Annotated[int, Field(strict=True, ge=3, le=6)]
    avoidExercises: ShortTextList = ()
    supplements: ShortTextList = ()

    def to_json(self) -> dict[str, Any]:
        """The profile as a JSON object with its camelCase names."""
        return self.model_dump(mode="json")


@dataclass(frozen=True)
class FieldError:
    """One refused field: its dotted path (`profile.mealCount`) and what is wrong."""

    field: str
    message: str


class ProfileInvalid(ValueError):
    """The profile has one or more bad fields; `errors` names every one of them."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{error.field}: {error.message}" for error in errors))


def parse_profile(data: object, *, path: str = "profile") -> Profile:
    """Validate `data` as a profile, or raise `ProfileInvalid` naming every bad field.

    `path` prefixes each field name in the errors, so nested bodies report
    `profile.mealCount` rather than `mealCount`.
    """
    if not isinstance(data, dict):
        raise ProfileInvalid([FieldError(path, f"must be a JSON object, got {_json_type(data)}")])
    try:
        return Profile.model_validate(data)
    except ValidationError as invalid:
        raise ProfileInvalid(
            [_field_error(path, error) for error in invalid.errors(include_url=False)]
        ) from None


def _field_error(path: str, error: Any) -> FieldError:
    location = ".".join([path, *(str(part) for part in error["loc"])])
    kind = error["type"]
    if kind == "missing":
        return FieldError(location, "is required")
    if kind == "extra_forbidden":
        return FieldError(location, "is not a profile field")
    message = _MESSAGES_BY_TYPE.get(kind, str(error["msg"]))
    received = error.get("input")
    if not isinstance(received, dict | list | tuple):
        message = f"{message} (got {_shorten(json.dumps(received, default=str))})"
    return FieldError(location, message)


_MESSAGES_BY_TYPE = {
    "tuple_type": "must be an array of strings",
    "int_type": "must be a whole number",
    "float_type": "must be a number",
    "string_type": "must be a string",
    "finite_number": "must be a finite number",
}
_ECHO_LIMIT = 40


def _shorten(text: str) -> str:
    return text if len(text) <= _ECHO_LIMIT else text[: _ECHO_LIMIT - 3] + "..."


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return type(value).__name__
