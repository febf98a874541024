"""Finding the profile and targets in a prompt (D2): JSON objects first, then hints."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from fake_llm import json_body
from fake_llm.json_body import JsonBodyError
from fake_llm.plans.profile import DIETS, GOALS, Diet, Profile, Targets, compute_targets

PROFILE_KEYS = frozenset(
    {
        "age",
        "sex",
        "heightCm",
        "weightKg",
        "goal",
        "activityLevel",
        "trainingDaysPerWeek",
        "equipment",
        "dietaryPreference",
        "mealCount",
        "avoidExercises",
        "supplements",
    }
)
OBJECT_ATTEMPTS = 64
PROMPT_JSON_MAX_DEPTH = 32
DIET_HINT = re.compile(r"\b(vegetarian|eggitarian|non[- ]?veg)\b", re.IGNORECASE)
MEAL_HINT = re.compile(r"\b([3-6])\s*meals\b", re.IGNORECASE)
TRAINING_HINT = re.compile(r"\b([1-7])\s*(?:training\s*)?days?\s*(?:a|per)\s*week\b", re.IGNORECASE)


@dataclass(frozen=True)
class PromptPlanRequest:
    """What a prompt asks a plan to satisfy, and where each part came from."""

    profile: Profile
    targets: Targets
    profile_found: bool
    targets_found: bool


def _json_objects(text: str) -> Iterator[dict[str, Any]]:
    """Top-level strict JSON objects embedded in `text`, left to right; the first
    `OBJECT_ATTEMPTS` braces only, so a prompt full of braces costs a bounded time."""
    position = text.find("{")
    for _attempt in range(OBJECT_ATTEMPTS):
        if position == -1:
            return
        try:
            value, end = json_body.decode_at(text, position, max_depth=PROMPT_JSON_MAX_DEPTH)
        except JsonBodyError:
            position = text.find("{", position + 1)
            continue
        if isinstance(value, dict):
            yield value
        position = text.find("{", end)


def _candidates(texts: tuple[str, ...]) -> Iterator[dict[str, Any]]:
    """Every object, and its `profile`/`targets` members (the D1 job-input shape)."""
    for text in texts:
        for found in _json_objects(text):
            yield found
            for key in ("profile", "targets"):
                member = found.get(key)
                if isinstance(member, dict):
                    yield member


def _int_in(value: object, low: int, high: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = int(value)
    return number if low <= number <= high else None


def _float_in(value: object, low: float, high: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if low <= value <= high else None


def _strings(value: object) -> tuple[str, ...] | None:
    if not isinstance(value, list):
        return None
    return tuple(item for item in value if isinstance(item, str) and item.strip())


def _diet(value: object) -> Diet | None:
    if not isinstance(value, str):
        return None
    wanted = value.strip().lower().replace(" ", "-")
    return next((diet for diet in DIETS if diet.lower() == wanted), None)


def profile_from_json(data: Mapping[str, Any]) -> Profile:
    """A profile from its JSON object; a missing or out-of-range field keeps its default."""
    default = Profile()
    goal = data.get("goal")
    activity = data.get("activityLevel")
    sex = data.get("sex")
    return Profile(
        age=_int_in(data.get("age"), 13, 100) or default.age,
        sex=sex if isinstance(sex, str) and sex else default.sex,
        height_cm=_float_in(data.get("heightCm"), 100, 250) or default.height_cm,
        weight_kg=_float_in(data.get("weightKg"), 30, 300) or default.weight_kg,
        goal=goal if goal in GOALS else default.goal,
        activity_level=activity
        if activity in ("sedentary", "light", "moderate", "very_active")
        else default.activity_level,
        training_days_per_week=_int_in(data.get("trainingDaysPerWeek"), 1, 7)
        or default.training_days_per_week,
        equipment=_strings(data.get("equipment")) or default.equipment,
        dietary_preference=_diet(data.get("dietaryPreference")) or default.dietary_preference,
        meal_count=_int_in(data.get("mealCount"), 3, 6) or default.meal_count,
        avoid_exercises=_strings(data.get("avoidExercises")) or default.avoid_exercises,
        supplements=_strings(data.get("supplements")) or default.supplements,
    )


def _targets_from_json(data: Mapping[str, Any]) -> Targets | None:
    kcal = _int_in(data.get("total_kcal"), 800, 10_000)
    protein = _int_in(data.get("protein_g"), 20, 600)
    if kcal is None or protein is None:
        return None
    return Targets(total_kcal=kcal, protein_g=protein)


def _profile_from_hints(texts: tuple[str, ...]) -> Profile | None:
    joined = "\n".join(texts)
    diet = DIET_HINT.search(joined)
    meals = MEAL_HINT.search(joined)
    training = TRAINING_HINT.search(joined)
    if not (diet or meals or training):
        return None
    profile = Profile()
    if diet:
        profile = replace(profile, dietary_preference=_diet(diet.group(1)) or "Non-veg")
    if meals:
        profile = replace(profile, meal_count=int(meals.group(1)))
    if training:
        profile = replace(profile, training_days_per_week=int(training.group(1)))
    return profile


def read_plan_request(texts: tuple[str, ...]) -> PromptPlanRequest:
    """The profile and targets the message texts ask for (D2 order of evidence)."""
    profile: Profile | None = None
    targets: Targets | None = None
    for candidate in _candidates(texts):
        if profile is None and PROFILE_KEYS.intersection(candidate):
            profile = profile_from_json(candidate)
        if targets is None:
            targets = _targets_from_json(candidate)
        if profile is not None and targets is not None:
            break
    profile_found = profile is not None
    if profile is None:
        profile = _profile_from_hints(texts)
        profile_found = profile is not None
    chosen = profile or Profile()
    return PromptPlanRequest(
        profile=chosen,
        targets=targets or compute_targets(chosen),
        profile_found=profile_found,
        targets_found=targets is not None,
    )
