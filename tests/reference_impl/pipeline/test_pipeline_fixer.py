"""The fixer: exact targets, a reason and a supplement card where missing, nothing else."""

from __future__ import annotations

import copy
from typing import Any

from reference_impl.pipeline.fixer import fix_plan
from reference_impl.pipeline.profile import Profile
from reference_impl.pipeline.targets import Targets
from reference_impl.pipeline.validator import validate_plan


def test_valid_plan_is_unchanged(valid_plan: dict[str, Any], profile: Profile, targets: Targets) -> None:
    result = fix_plan(valid_plan, profile, targets)

    assert result.plan == valid_plan
    assert result.changes == ()


def test_daily_totals_are_forced_to_the_targets(
    valid_plan: dict[str, Any], profile: Profile, targets: Targets
) -> None:
    valid_plan["days"]["monday"]["nutrition"]["total_kcal"] = 1999
    valid_plan["days"]["tuesday"]["nutrition"]["protein_g"] = "lots"
    valid_plan["days"]["wednesday"]["nutrition"]["total_kcal"] = float(targets.total_kcal)
    del valid_plan["days"]["thursday"]["nutrition"]["protein_g"]

    result = fix_plan(valid_plan, profile, targets)

    for day in result.plan["days"].values():
        assert day["nutrition"]["total_kcal"] == targets.total_kcal
        assert type(day["nutrition"]["total_kcal"]) is int
        assert day["nutrition"]["protein_g"] == targets.protein_g
    assert len(result.changes) == 4
    assert f"monday.nutrition.total_kcal: 1999 -> {targets.total_kcal}" in result.changes
    assert validate_plan(result.plan, profile, targets) == []


def test_missing_reason_is_written(valid_plan: dict[str, Any], profile: Profile, targets: Targets) -> None:
    del valid_plan["days"]["monday"]["reason"]
    valid_plan["days"]["sunday"]["reason"] = ""

    result = fix_plan(valid_plan, profile, targets)

    assert "Monday" in result.plan["days"]["monday"]["reason"]
    assert "rest day" in result.plan["days"]["sunday"]["reason"]
    assert set(result.changes) == {"monday.reason: added", "sunday.reason: added"}
    assert validate_plan(result.plan, profile, targets) == []


def test_missing_supplement_card_comes_from_the_profile(
    valid_plan: dict[str, Any], profile: Profile, targets: Targets
) -> None:
    del valid_plan["days"]["friday"]["recovery"]["supplementCard"]
    valid_plan["days"]["saturday"]["recovery"]["supplementCard"] = {"current": ["zinc"]}

    result = fix_plan(valid_plan, profile, targets)

    assert result.plan["days"]["friday"]["recovery"]["supplementCard"] == {
        "current": ["creatine", "vitamin D"],
        "addOns": [],
    }
    assert result.plan["days"]["saturday"]["recovery"]["supplementCard"] == {
        "current": ["zinc"],
        "addOns": [],
    }
    assert validate_plan(result.plan, profile, targets) == []


def test_missing_day_is_not_invented(make_plan: Any, profile: Profile, targets: Targets) -> None:
    plan = make_plan(thursday=None)

    result = fix_plan(plan, profile, targets)

    assert "thursday" not in result.plan["days"]
    assert [str(violation) for violation in validate_plan(result.plan, profile, targets)] == [
        "thursday: day is missing"
    ]


def test_diet_and_avoid_violations_are_left_for_validation(
    valid_plan: dict[str, Any], profile: Profile, targets: Targets
) -> None:
    valid_plan["days"]["monday"]["nutrition"]["meals"][0]["items"][0]["food"] = "Chicken curry"
    valid_plan["days"]["tuesday"]["workout"]["blocks"][0]["items"][0]["exercise"] = "Barbell Back Squat"

    result = fix_plan(valid_plan, profile, targets)

    assert result.plan["days"]["monday"]["nutrition"]["meals"][0]["items"][0]["food"] == ("Chicken curry")
    assert {
        (violation.day, violation.field) for violation in validate_plan(result.plan, profile, targets)
    } == {
        ("monday", "nutrition.meals.0.items.0.food"),
        ("tuesday", "workout.blocks.0.items.0.exercise"),
    }


def test_missing_parts_are_not_invented(
    valid_plan: dict[str, Any], profile: Profile, targets: Targets
) -> None:
    del valid_plan["days"]["monday"]["nutrition"]
    del valid_plan["days"]["monday"]["recovery"]

    result = fix_plan(valid_plan, profile, targets)

    assert "nutrition" not in result.plan["days"]["monday"]
    assert "recovery" not in result.plan["days"]["monday"]


def test_input_plan_is_not_modified(valid_plan: dict[str, Any], profile: Profile, targets: Targets) -> None:
    valid_plan["days"]["monday"]["nutrition"]["total_kcal"] = 1
    del valid_plan["days"]["monday"]["reason"]
    before = copy.deepcopy(valid_plan)

    fix_plan(valid_plan, profile, targets)

    assert valid_plan == before


def test_in_place_fixes_the_plan_itself(
    valid_plan: dict[str, Any], profile: Profile, targets: Targets
) -> None:
    valid_plan["days"]["monday"]["nutrition"]["total_kcal"] = 1

    result = fix_plan(valid_plan, profile, targets, in_place=True)

    assert result.plan is valid_plan
    assert valid_plan["days"]["monday"]["nutrition"]["total_kcal"] == targets.total_kcal
