"""The targets formula, checked against values worked out by hand in each test."""

from __future__ import annotations

from typing import Any

import pytest

from reference_impl.pipeline.profile import parse_profile
from reference_impl.pipeline.targets import Targets, TargetsInvalid, compute_targets


def targets_for(profile_data: dict[str, Any], **changes: object) -> Targets:
    return compute_targets(parse_profile({**profile_data, **changes}))


def test_male_fat_loss_moderate(profile_data: dict[str, Any]) -> None:
    # BMR = 10*80 + 6.25*180 - 5*30 + 5 = 800 + 1125 - 150 + 5 = 1780
    # TDEE = 1780 * 1.55 = 2759; fat loss: 2759 * 0.8 = 2207.2 -> 2210
    # protein = 80 * 2.0 = 160
    targets = targets_for(
        profile_data,
        sex="male",
        age=30,
        heightCm=180,
        weightKg=80,
        goal="fat_loss",
        activityLevel="moderate",
    )

    assert targets == Targets(total_kcal=2210, protein_g=160)


def test_female_muscle_gain_light(profile_data: dict[str, Any]) -> None:
    # BMR = 10*60 + 6.25*165 - 5*25 - 161 = 600 + 1031.25 - 125 - 161 = 1345.25
    # TDEE = 1345.25 * 1.375 = 1849.71875; muscle gain: * 1.1 = 2034.690625 -> 2030
    # protein = 60 * 1.8 = 108
    targets = targets_for(
        profile_data,
        sex="female",
        age=25,
        heightCm=165,
        weightKg=60,
        goal="muscle_gain",
        activityLevel="light",
    )

    assert targets == Targets(total_kcal=2030, protein_g=108)


def test_recomposition_very_active_has_no_goal_adjustment(profile_data: dict[str, Any]) -> None:
    # BMR = 10*70.5 + 6.25*175 - 5*40 + 5 = 705 + 1093.75 - 200 + 5 = 1603.75
    # TDEE = 1603.75 * 1.725 = 2766.46875 -> 2770
    # protein = 70.5 * 1.6 = 112.8 -> 113
    targets = targets_for(
        profile_data,
        sex="male",
        age=40,
        heightCm=175,
        weightKg=70.5,
        goal="recomposition",
        activityLevel="very_active",
    )

    assert targets == Targets(total_kcal=2770, protein_g=113)


def test_general_fitness_sedentary(profile_data: dict[str, Any]) -> None:
    # BMR = 10*55 + 6.25*160 - 5*50 - 161 = 550 + 1000 - 250 - 161 = 1139
    # TDEE = 1139 * 1.2 = 1366.8 -> 1370
    # protein = 55 * 1.6 = 88
    targets = targets_for(
        profile_data,
        sex="female",
        age=50,
        heightCm=160,
        weightKg=55,
        goal="general_fitness",
        activityLevel="sedentary",
    )

    assert targets == Targets(total_kcal=1370, protein_g=88)


def test_kcal_half_rounds_up_to_the_next_ten(profile_data: dict[str, Any]) -> None:
    # BMR = 10*95.75 + 6.25*180 - 5*30 + 5 = 957.5 + 1125 - 150 + 5 = 1937.5
    # TDEE = 1937.5 * 1.2 = 2325 exactly: half-way between 2320 and 2330 -> 2330
    # (round-half-even, as Python's round() does, would give 2320)
    targets = targets_for(
        profile_data,
        sex="male",
        age=30,
        heightCm=180,
        weightKg=95.75,
        goal="general_fitness",
        activityLevel="sedentary",
    )

    assert targets.total_kcal == 2330


def test_protein_half_rounds_up(profile_data: dict[str, Any]) -> None:
    # protein = 65.25 * 2.0 = 130.5 -> 131 (round-half-even would give 130)
    # BMR = 652.5 + 1125 - 150 + 5 = 1632.5; 1632.5 * 1.2 * 0.8 = 1567.2 -> 1570
    targets = targets_for(
        profile_data,
        sex="male",
        age=30,
        heightCm=180,
        weightKg=65.25,
        goal="fat_loss",
        activityLevel="sedentary",
    )

    assert targets == Targets(total_kcal=1570, protein_g=131)


def test_json_round_trip() -> None:
    targets = Targets(total_kcal=2350, protein_g=150)

    assert targets.to_json() == {"total_kcal": 2350, "protein_g": 150}
    assert Targets.from_json({"total_kcal": 2350, "protein_g": 150}) == targets


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ([], "targets"),
        ({"total_kcal": 2350}, "targets.protein_g"),
        ({"total_kcal": "2350", "protein_g": 150}, "targets.total_kcal"),
        ({"total_kcal": 2350, "protein_g": 150.5}, "targets.protein_g"),
        ({"total_kcal": 0, "protein_g": 150}, "targets.total_kcal"),
        ({"total_kcal": 2350, "protein_g": True}, "targets.protein_g"),
        ({"total_kcal": 2350, "protein_g": 150, "fat_g": 70}, "fat_g"),
    ],
)
def test_bad_targets_json_names_the_field(data: object, named: str) -> None:
    with pytest.raises(TargetsInvalid, match=named):
        Targets.from_json(data)
