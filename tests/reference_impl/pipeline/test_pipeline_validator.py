"""Plan validation: each rule of docs/contract.md "Targets and the plan" reported with the day and the
field."""

from __future__ import annotations

from typing import Any

import pytest

from reference_impl.pipeline.diet import diet_violation
from reference_impl.pipeline.profile import Profile, parse_profile
from reference_impl.pipeline.targets import Targets
from reference_impl.pipeline.validator import Violation, validate_plan


def where(violations: list[Violation]) -> set[tuple[str | None, str]]:
    return {(violation.day, violation.field) for violation in violations}


def test_valid_plan_has_no_violations(valid_plan: dict[str, Any], profile: Profile, targets: Targets) -> None:
    assert validate_plan(valid_plan, profile, targets) == []


def test_missing_and_extra_days(valid_plan: dict[str, Any], profile: Profile, targets: Targets) -> None:
    valid_plan["days"]["Funday"] = valid_plan["days"].pop("sunday")

    assert where(validate_plan(valid_plan, profile, targets)) == {
        ("sunday", ""),
        ("Funday", ""),
    }


@pytest.mark.parametrize("plan", [None, [], {"week": {}}, {"days": []}])
def test_plan_shape_is_required(plan: object, profile: Profile, targets: Targets) -> None:
    violations = validate_plan(plan, profile, targets)

    assert len(violations) == 1
    assert violations[0].day is None


@pytest.mark.parametrize("part", ["workout", "nutrition", "recovery", "reason"])
def test_each_part_of_a_day_is_required(
    valid_plan: dict[str, Any], profile: Profile, targets: Targets, part: str
) -> None:
    del valid_plan["days"]["wednesday"][part]

    violations = validate_plan(valid_plan, profile, targets)

    assert where(violations) == {("wednesday", part)}
    assert "missing" in violations[0].message


@pytest.mark.parametrize(("key", "off_by"), [("total_kcal", 50), ("protein_g", -1)])
def test_daily_targets_must_be_exact(
    valid_plan: dict[str, Any], profile: Profile, targets: Targets, key: str, off_by: int
) -> None:
    valid_plan["days"]["friday"]["nutrition"][key] += off_by

    violations = validate_plan(valid_plan, profile, targets)

    assert where(violations) == {("friday", f"nutrition.{key}")}
    assert "must equal the target" in violations[0].message


def test_meal_count_must_match(valid_plan: dict[str, Any], profile: Profile, targets: Targets) -> None:
    valid_plan["days"]["monday"]["nutrition"]["meals"].pop()

    violations = validate_plan(valid_plan, profile, targets)

    assert where(violations) == {("monday", "nutrition.meals")}
    assert f"exactly mealCount {profile.mealCount} meals, got {profile.mealCount - 1}" in (
        violations[0].message
    )


@pytest.mark.parametrize(
    ("preference", "food", "breaks"),
    [
        ("Vegetarian", "Scrambled eggs", True),
        ("Vegetarian", "Grilled chicken breast", True),
        ("Vegetarian", "Prawn curry", True),
        ("Vegetarian", "Tuna salad", True),
        ("Vegetarian", "Eggplant curry", False),
        ("Vegetarian", "Paneer tikka", False),
        ("Eggitarian", "Boiled egg whites", False),
        ("Eggitarian", "Masala omelette", False),
        ("Eggitarian", "Salmon fillet", True),
        ("Eggitarian", "Lamb kebab", True),
        ("Non-veg", "Beef steak with eggs", False),
    ],
)
def test_diet_rule(
    make_plan: Any,
    profile_data: dict[str, Any],
    targets: Targets,
    preference: str,
    food: str,
    breaks: bool,
) -> None:
    profile = parse_profile({**profile_data, "dietaryPreference": preference})
    plan = make_plan()
    plan["days"]["tuesday"]["nutrition"]["meals"][2]["items"].append({"food": food, "qty": 1})

    violations = validate_plan(plan, profile, targets)

    if breaks:
        assert where(violations) == {("tuesday", "nutrition.meals.2.items.1.food")}
        assert preference in violations[0].message
    else:
        assert violations == []


@pytest.mark.parametrize(
    ("food", "word"),
    [("EGGS", "egg"), ("chicken-tikka", "chicken"), ("Fish fingers", "fish"), ("Eggnog", None)],
)
def test_diet_words_match_whole_words_with_plural(food: str, word: str | None) -> None:
    assert diet_violation(food, "Vegetarian") == word


@pytest.mark.parametrize(
    "written",
    ["Barbell Back Squat", "barbell back squat", "BarbellBack  Squat", " barbell backsquat "],
)
def test_avoided_exercise_is_found_case_and_spacing_insensitively(
    valid_plan: dict[str, Any], profile: Profile, targets: Targets, written: str
) -> None:
    valid_plan["days"]["monday"]["workout"]["blocks"][0]["items"][1]["exercise"] = written

    violations = validate_plan(valid_plan, profile, targets)

    assert where(violations) == {("monday", "workout.blocks.0.items.1.exercise")}
    assert "avoidExercises" in violations[0].message


def test_similar_exercise_is_not_an_avoided_one(
    valid_plan: dict[str, Any], profile: Profile, targets: Targets
) -> None:
    valid_plan["days"]["monday"]["workout"]["blocks"][0]["items"][1]["exercise"] = "Front Squat"

    assert validate_plan(valid_plan, profile, targets) == []


def test_training_days_with_blocks_are_limited(
    valid_plan: dict[str, Any], profile: Profile, targets: Targets
) -> None:
    valid_plan["days"]["sunday"]["workout"] = valid_plan["days"]["monday"]["workout"]

    violations = validate_plan(valid_plan, profile, targets)

    assert where(violations) == {(None, "days")}
    assert "4 training days have blocks, more than trainingDaysPerWeek (3)" in (violations[0].message)


def test_rest_day_has_no_blocks(valid_plan: dict[str, Any], profile: Profile, targets: Targets) -> None:
    # Swap a training day's blocks onto a rest day and make the training day rest: still 3
    # training days, but one of them is labelled Rest.
    days = valid_plan["days"]
    days["sunday"]["workout"]["blocks"] = days["monday"]["workout"]["blocks"]
    days["monday"]["workout"] = {"focus": "Rest", "durationMin": 0}

    assert where(validate_plan(valid_plan, profile, targets)) == {("sunday", "workout.blocks")}


def test_supplement_card_and_reason_are_required(
    valid_plan: dict[str, Any], profile: Profile, targets: Targets
) -> None:
    del valid_plan["days"]["thursday"]["recovery"]["supplementCard"]
    valid_plan["days"]["saturday"]["reason"] = "   "

    assert where(validate_plan(valid_plan, profile, targets)) == {
        ("thursday", "recovery.supplementCard"),
        ("saturday", "reason"),
    }


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("workout", "focus"), "", "workout.focus"),
        (("workout", "durationMin"), "45 min", "workout.durationMin"),
        (("workout", "blocks"), {"name": "x"}, "workout.blocks"),
        (("nutrition", "meals"), None, "nutrition.meals"),
        (("recovery", "mobility"), "stretch", "recovery.mobility"),
        (("recovery", "sleep"), [8], "recovery.sleep"),
    ],
)
def test_malformed_fields_are_named(
    valid_plan: dict[str, Any],
    profile: Profile,
    targets: Targets,
    path: tuple[str, str],
    value: object,
    field: str,
) -> None:
    valid_plan["days"]["monday"][path[0]][path[1]] = value

    assert where(validate_plan(valid_plan, profile, targets)) == {("monday", field)}


@pytest.mark.parametrize(("key", "value"), [("sets", 0), ("reps", ""), ("restSec", -5), ("exercise", None)])
def test_malformed_exercise_items_are_named(
    valid_plan: dict[str, Any], profile: Profile, targets: Targets, key: str, value: object
) -> None:
    valid_plan["days"]["tuesday"]["workout"]["blocks"][0]["items"][0][key] = value

    assert where(validate_plan(valid_plan, profile, targets)) == {
        ("tuesday", f"workout.blocks.0.items.0.{key}")
    }


@pytest.mark.parametrize(("key", "value"), [("kcal", -1), ("protein_g", "lots"), ("items", [])])
def test_malformed_meals_are_named(
    valid_plan: dict[str, Any], profile: Profile, targets: Targets, key: str, value: object
) -> None:
    valid_plan["days"]["monday"]["nutrition"]["meals"][1][key] = value

    assert where(validate_plan(valid_plan, profile, targets)) == {("monday", f"nutrition.meals.1.{key}")}


def test_violation_text_names_day_and_field() -> None:
    assert str(Violation("monday", "reason", "is missing")) == "monday.reason: is missing"
    assert str(Violation(None, "days", "too many")) == "days: too many"
