"""Plans fit the profile in the prompt (D2 extraction, rules of docs/contract.md "Targets and the plan"),
at both qualities."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from fake_llm.plans.extract import read_plan_request
from fake_llm.plans.generator import PlanGenerator
from fake_llm.plans.profile import Profile, Targets, compute_targets
from fake_llm.plans.quality import degrade
from tests.fake_llm.fake_llm_support import PROFILE, TARGETS, plan_problems

PROFILES: list[dict[str, Any]] = [
    PROFILE,
    {
        **PROFILE,
        "dietaryPreference": "Eggitarian",
        "mealCount": 3,
        "trainingDaysPerWeek": 7,
        "equipment": [],
        "avoidExercises": ["Plank", "Mountain climber", "Jumping jacks"],
    },
    {
        **PROFILE,
        "dietaryPreference": "Non-veg",
        "mealCount": 6,
        "trainingDaysPerWeek": 1,
        "equipment": ["full gym"],
        "avoidExercises": [],
    },
    {
        **PROFILE,
        "mealCount": 4,
        "trainingDaysPerWeek": 6,
        "equipment": ["barbell", "pull-up bar"],
        "avoidExercises": ["Pull ups", "Barbell deadlift"],
    },
]


def generated(profile: dict[str, Any], seed: int, text: str | None = None) -> tuple[dict[str, Any], Targets]:
    asked = read_plan_request((text or f"PROFILE (json):\n{json.dumps(profile)}",))
    return PlanGenerator().generate(asked.profile, asked.targets, seed), asked.targets


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_plans_satisfy_the_profile(profile: dict[str, Any], seed: int) -> None:
    plan, targets = generated(profile, seed)
    expected = {"total_kcal": targets.total_kcal, "protein_g": targets.protein_g}
    assert plan_problems(plan, profile, expected) == []
    training = [d for d in plan["days"].values() if d["workout"]["blocks"]]
    assert len(training) == profile["trainingDaysPerWeek"]


def test_targets_in_the_prompt_win() -> None:
    text = f"USER: x\nPROFILE (json):\n{json.dumps(PROFILE)}\nTARGETS (json):\n{json.dumps(TARGETS)}"
    asked = read_plan_request((text,))
    assert asked.targets == Targets(total_kcal=1710, protein_g=128)
    assert asked.profile_found and asked.targets_found


def test_job_input_shape_is_read_too() -> None:
    text = json.dumps({"profile": {**PROFILE, "mealCount": 3}, "targets": TARGETS})
    asked = read_plan_request(("Here is the job input:", text))
    assert asked.profile.meal_count == 3 and asked.targets.protein_g == 128


def test_missing_targets_use_the_design_formula() -> None:
    # male, 80 kg, 180 cm, 30 y: BMR 800 + 1125 - 150 + 5 = 1780; moderate x1.55 = 2759 -> 2760
    profile = {
        "age": 30,
        "sex": "male",
        "heightCm": 180,
        "weightKg": 80,
        "goal": "general_fitness",
        "activityLevel": "moderate",
        "mealCount": 4,
    }
    asked = read_plan_request((json.dumps(profile),))
    assert asked.targets == Targets(total_kcal=2760, protein_g=128)
    assert not asked.targets_found
    # female, 60 kg, 165 cm, 40 y, light, fat loss: (600 + 1031.25 - 200 - 161) x 1.375 x 0.8
    # = 1397.3 -> 1400; protein 60 x 2.0 = 120
    female = Profile(
        age=40, sex="female", height_cm=165, weight_kg=60, goal="fat_loss", activity_level="light"
    )
    assert compute_targets(female) == Targets(total_kcal=1400, protein_g=120)


def test_plain_text_hints_are_used_without_json() -> None:
    asked = read_plan_request(("Make an Eggitarian plan with 5 meals and 2 days per week of training.",))
    assert (
        asked.profile.dietary_preference,
        asked.profile.meal_count,
        asked.profile.training_days_per_week,
    ) == ("Eggitarian", 5, 2)


def test_unrecognisable_prompt_still_gets_a_plausible_plan() -> None:
    asked = read_plan_request(("Tell me a joke.",))
    assert not asked.profile_found
    plan = PlanGenerator().generate(asked.profile, asked.targets, 5)
    defaults = Profile()
    profile = {
        "avoidExercises": [],
        "mealCount": defaults.meal_count,
        "dietaryPreference": defaults.dietary_preference,
        "trainingDaysPerWeek": defaults.training_days_per_week,
    }
    expected = {"total_kcal": asked.targets.total_kcal, "protein_g": asked.targets.protein_g}
    assert plan_problems(plan, profile, expected) == []


def test_same_seed_same_plan_other_seed_other_plan() -> None:
    first, _ = generated(PROFILE, 11)
    assert generated(PROFILE, 11)[0] == first
    assert generated(PROFILE, 12)[0] != first


def test_realistic_quality_needs_a_fixer() -> None:
    plan, targets = generated(PROFILE, 3)
    expected = {"total_kcal": targets.total_kcal, "protein_g": targets.protein_g}
    for seed in range(20):
        degraded = degrade(plan, random.Random(seed))
        problems = plan_problems(degraded, PROFILE, expected)
        assert problems, "a realistic plan is never valid as sent"
        for problem in problems:
            assert any(word in problem for word in ("kcal", "protein", "reason", "supplementCard"))
        for day in degraded["days"].values():
            kcal = day["nutrition"]["total_kcal"]
            assert 0.93 * targets.total_kcal <= kcal <= 1.07 * targets.total_kcal
    assert plan_problems(plan, PROFILE, expected) == []  # the original is untouched
