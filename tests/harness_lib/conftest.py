"""Fixtures for the harness library tests: a profile, a plan builder, a fake clock."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest

from harness.oracle import DAY_NAMES, Targets

from .fakes import FakeClock

PlanBuilder = Callable[[Mapping[str, Any], Targets], dict[str, Any]]

_VEGETARIAN_FOODS = ("Oats with milk", "Paneer tikka", "Lentil soup", "Chickpea salad", "Tofu")


@pytest.fixture
def profile() -> dict[str, Any]:
    return {
        "age": 30,
        "sex": "male",
        "heightCm": 180,
        "weightKg": 80,
        "goal": "muscle_gain",
        "activityLevel": "moderate",
        "trainingDaysPerWeek": 4,
        "equipment": ["dumbbells", "bench"],
        "dietaryPreference": "Vegetarian",
        "mealCount": 4,
        "avoidExercises": ["Deadlift"],
        "supplements": ["creatine"],
    }


def _day(training: bool, profile: Mapping[str, Any], targets: Targets) -> dict[str, Any]:
    blocks = (
        [
            {
                "name": "Main",
                "items": [{"exercise": "Goblet Squat", "sets": 3, "reps": "8-12", "restSec": 90}],
            }
        ]
        if training
        else []
    )
    meals = [
        {
            "name": f"Meal {index + 1}",
            "items": [{"food": _VEGETARIAN_FOODS[index % 5], "qty": 1}],
            "kcal": targets.total_kcal / profile["mealCount"],
            "protein_g": targets.protein_g / profile["mealCount"],
        }
        for index in range(profile["mealCount"])
    ]
    return {
        "workout": {
            "focus": "Strength" if training else "Rest",
            "durationMin": 45 if training else 0,
            "blocks": blocks,
        },
        "nutrition": {
            "total_kcal": targets.total_kcal,
            "protein_g": targets.protein_g,
            "meals": meals,
        },
        "recovery": {
            "mobility": ["hip flow"],
            "sleep": ["8 h"],
            "supplementCard": {"current": ["creatine"], "addOns": []},
        },
        "reason": "Balanced load for the week.",
    }


@pytest.fixture
def build_plan() -> PlanBuilder:
    """A plan that meets every rule: the first `trainingDaysPerWeek` days train, the rest rest."""

    def build(profile: Mapping[str, Any], targets: Targets) -> dict[str, Any]:
        training_days = profile["trainingDaysPerWeek"]
        return {
            "days": {
                name: _day(index < training_days, profile, targets) for index, name in enumerate(DAY_NAMES)
            }
        }

    return build


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
