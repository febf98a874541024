"""The user profile the oracle reads (docs/contract.md "Targets and the plan"), parsed with errors that
name the field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

Sex = Literal["male", "female"]
Goal = Literal["fat_loss", "muscle_gain", "recomposition", "general_fitness"]
ActivityLevel = Literal["sedentary", "light", "moderate", "very_active"]
DietaryPreference = Literal["Vegetarian", "Eggitarian", "Non-veg"]


class ProfileError(ValueError):
    """A profile the oracle cannot use; `fields` names every offending field path."""

    def __init__(self, fields: tuple[str, ...], message: str) -> None:
        super().__init__(message)
        self.fields = fields


class Profile(BaseModel):
    """The `create-plan-job` profile, camelCase as sent on the wire; extra keys are ignored."""

    model_config = ConfigDict(strict=True, frozen=True, extra="ignore")

    age: int = Field(ge=13, le=100)
    sex: Sex
    heightCm: float = Field(ge=100, le=250)
    weightKg: float = Field(ge=30, le=300)
    goal: Goal
    activityLevel: ActivityLevel
    trainingDaysPerWeek: int = Field(ge=1, le=7)
    equipment: list[str]
    dietaryPreference: DietaryPreference
    mealCount: int = Field(ge=3, le=6)
    avoidExercises: list[str]
    supplements: list[str]


def _field_path(location: tuple[int | str, ...]) -> str:
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else part)
    return path


def parse_profile(profile: Mapping[str, Any]) -> Profile:
    """Validate `profile`; raise `ProfileError` naming each wrong field (never echoing values)."""
    if not isinstance(profile, Mapping):
        raise ProfileError(("profile",), f"profile must be an object, got {type(profile).__name__}")
    try:
        return Profile.model_validate(dict(profile))
    except ValidationError as error:
        problems = [(_field_path(e["loc"]), e["msg"]) for e in error.errors()]
        fields = tuple(dict.fromkeys(path for path, _ in problems))
        described = "; ".join(f"{path}: {message}" for path, message in problems)
        raise ProfileError(fields, f"invalid profile: {described}") from None
