"""The targets formula of docs/contract.md "Targets and the plan", checked against hand-computed values."""

from __future__ import annotations

import re
from typing import Any

import pytest

from harness.oracle import ProfileError, Targets, compute_targets
from harness.queue_db import DEFAULT_JOB_INPUT


def test_male_muscle_gain_moderate(profile: dict[str, Any]) -> None:
    # BMR = 800 + 1125 - 150 + 5 = 1780; x1.55 = 2759; x1.1 = 3034.9 -> 3030; 80 kg x 1.8 = 144
    assert compute_targets(profile) == Targets(total_kcal=3030, protein_g=144)


def test_female_fat_loss_sedentary(profile: dict[str, Any]) -> None:
    profile.update(
        sex="female", age=25, heightCm=165, weightKg=60, goal="fat_loss", activityLevel="sedentary"
    )
    # BMR = 600 + 1031.25 - 125 - 161 = 1345.25; x1.2 = 1614.3; x0.8 = 1291.44 -> 1290; 60 x 2.0
    assert compute_targets(profile) == Targets(total_kcal=1290, protein_g=120)


@pytest.mark.parametrize("goal", ["recomposition", "general_fitness"])
def test_other_goals_keep_tdee_and_use_1_6_protein(profile: dict[str, Any], goal: str) -> None:
    profile.update(goal=goal, activityLevel="light")
    # 1780 x 1.375 = 2447.5 -> 2450; 80 x 1.6 = 128
    assert compute_targets(profile) == Targets(total_kcal=2450, protein_g=128)


def test_very_active_factor(profile: dict[str, Any]) -> None:
    profile.update(activityLevel="very_active", goal="general_fitness")
    # 1780 x 1.725 = 3070.5 -> 3070
    assert compute_targets(profile).total_kcal == 3070


def test_kcal_half_rounds_up_not_to_even(profile: dict[str, Any]) -> None:
    profile.update(age=16, heightCm=170, weightKg=80, activityLevel="sedentary", goal="general_fitness")
    # BMR = 800 + 1062.5 - 80 + 5 = 1787.5; x1.2 = 2145 exactly -> 2150 (banker's gives 2140)
    assert compute_targets(profile).total_kcal == 2150


def test_protein_half_rounds_up(profile: dict[str, Any]) -> None:
    profile.update(weightKg=70.25, goal="fat_loss")
    assert compute_targets(profile).protein_g == 141


@pytest.mark.parametrize(
    ("field", "value", "path"),
    [
        ("heightCm", None, "heightCm"),
        ("mealCount", "four", "mealCount"),
        ("activityLevel", "extreme", "activityLevel"),
        ("avoidExercises", ["Squat", 7], "avoidExercises[1]"),
    ],
)
def test_bad_profile_names_the_field(profile: dict[str, Any], field: str, value: object, path: str) -> None:
    if value is None:
        del profile[field]
    else:
        profile[field] = value
    with pytest.raises(ProfileError, match=r"invalid profile: .*" + re.escape(path)) as info:
        compute_targets(profile)
    assert info.value.fields == (path,)


def test_non_mapping_profile_is_refused() -> None:
    with pytest.raises(ProfileError, match="profile must be an object"):
        compute_targets(["not", "a", "profile"])  # type: ignore[arg-type]


def test_the_database_scenarios_default_job_input_carries_the_oracles_targets() -> None:
    targets = compute_targets(DEFAULT_JOB_INPUT["profile"])
    assert DEFAULT_JOB_INPUT["targets"] == {"total_kcal": targets.total_kcal, "protein_g": targets.protein_g}
