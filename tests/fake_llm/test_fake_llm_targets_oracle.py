"""The fake's daily targets agree with the harness oracle's on every profile of a grid.

The two are written apart on purpose (`fake_llm` never imports `harness`); only this test
compares them. Both must round halves up in decimal (decisions P1, D31): with binary floats
and `round()` the fake gave 94 g for 52.5 kg x 1.8 where the oracle gives 95 g.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

import pytest

from fake_llm.plans.profile import Profile
from fake_llm.plans.profile import compute_targets as fake_targets
from harness.oracle import compute_targets as oracle_targets

SEXES = ("male", "female")
GOALS = ("fat_loss", "muscle_gain", "recomposition", "general_fitness")
ACTIVITY_LEVELS = ("sedentary", "light", "moderate", "very_active")
HEIGHTS_CM = tuple(float(Decimal(290 + step) / 2) for step in range(121))  # 145.0 .. 205.0
WEIGHTS_KG = tuple(float(Decimal(80 + step) / 2) for step in range(221))  # 40.0 .. 150.0
AGES = tuple(range(18, 81))
PROTEIN_WEIGHTS_KG = tuple(float(Decimal(60 + step) / 2) for step in range(541))  # 30.0 .. 300.0


def _wire_profile(
    sex: str, goal: str, activity: str, age: int, height: float, weight: float
) -> dict[str, Any]:
    return {
        "age": age,
        "sex": sex,
        "heightCm": height,
        "weightKg": weight,
        "goal": goal,
        "activityLevel": activity,
        "trainingDaysPerWeek": 3,
        "equipment": [],
        "dietaryPreference": "Non-veg",
        "mealCount": 4,
        "avoidExercises": [],
        "supplements": [],
    }


def _disagreement(sex: str, goal: str, activity: str, age: int, height: float, weight: float) -> str | None:
    oracle = oracle_targets(_wire_profile(sex, goal, activity, age, height, weight))
    fake = fake_targets(
        Profile(age=age, sex=sex, height_cm=height, weight_kg=weight, goal=goal, activity_level=activity)
    )
    if (fake.total_kcal, fake.protein_g) == (oracle.total_kcal, oracle.protein_g):
        return None
    return (
        f"{sex} {goal} {activity} age {age} {height} cm {weight} kg: fake {fake.total_kcal} kcal "
        f"{fake.protein_g} g, oracle {oracle.total_kcal} kcal {oracle.protein_g} g"
    )


@pytest.mark.parametrize(("sex", "goal", "activity"), list(itertools.product(SEXES, GOALS, ACTIVITY_LEVELS)))
def test_targets_agree_over_heights_weights_and_ages(sex: str, goal: str, activity: str) -> None:
    """Every height and weight at 0.5 steps; the age walks through 18..80 along the grid."""
    found = [
        problem
        for index, (height, weight) in enumerate(itertools.product(HEIGHTS_CM, WEIGHTS_KG))
        if (problem := _disagreement(sex, goal, activity, AGES[index % len(AGES)], height, weight))
    ]
    assert not found, f"{len(found)} disagreements, e.g. {found[:5]}"


@pytest.mark.parametrize("goal", GOALS)
def test_protein_agrees_for_every_half_kilo(goal: str) -> None:
    found = [
        problem
        for weight in PROTEIN_WEIGHTS_KG
        if (problem := _disagreement("female", goal, "light", 40, 165.0, weight))
    ]
    assert not found, f"{len(found)} disagreements, e.g. {found[:5]}"


@pytest.mark.parametrize(
    ("goal", "height", "weight", "kcal", "protein"),
    [
        ("muscle_gain", 170.0, 52.5, 1900, 95),  # 94.5 g: half up, not to even (94)
        ("fat_loss", 157.5, 52.0, 1310, 104),  # exactly 1305 kcal: half up, not to even (1300)
    ],
)
def test_exact_halves_round_up_in_both(
    goal: str, height: float, weight: float, kcal: int, protein: int
) -> None:
    profile = _wire_profile("male", goal, "sedentary", 30, height, weight)
    oracle = oracle_targets(profile)
    fake = fake_targets(
        Profile(age=30, sex="male", height_cm=height, weight_kg=weight, goal=goal, activity_level="sedentary")
    )
    assert (oracle.total_kcal, oracle.protein_g) == (kcal, protein)
    assert (fake.total_kcal, fake.protein_g) == (kcal, protein)
