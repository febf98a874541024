"""The plan validity rules of docs/contract.md "Targets and the plan": each rule flags what it should and
nothing else."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest

from harness.oracle import PlanRule, ProfileError, Targets, check_plan, compute_targets

PlanBuilder = Callable[[Mapping[str, Any], Targets], dict[str, Any]]


@pytest.fixture
def targets(profile: dict[str, Any]) -> Targets:
    return compute_targets(profile)


@pytest.fixture
def plan(profile: dict[str, Any], targets: Targets, build_plan: PlanBuilder) -> dict[str, Any]:
    return build_plan(profile, targets)


def _rules(plan: object, profile: dict[str, Any], targets: Targets) -> set[tuple[str | None, str]]:
    return {(v.day, v.rule) for v in check_plan(plan, profile, targets).violations}


def test_a_plan_that_meets_every_rule_is_valid(
    plan: dict[str, Any], profile: dict[str, Any], targets: Targets
) -> None:
    verdict = check_plan(plan, profile, targets)
    assert verdict.valid
    assert verdict.violations == []


def _set_food(plan: dict[str, Any], day: str, food: str) -> None:
    plan["days"][day]["nutrition"]["meals"][1]["items"].append({"food": food, "qty": "100 g"})


@pytest.mark.parametrize(
    ("diet", "food", "flagged"),
    [
        ("Vegetarian", "Grilled chicken breast", True),
        ("Vegetarian", "Boiled Eggs", True),
        ("Vegetarian", "Masala omelette", True),
        ("Vegetarian", "Prawns curry", True),
        ("Vegetarian", "Eggplant curry", False),
        ("Vegetarian", "Chickpeas", False),
        ("Vegetarian", "Hamburger bun", False),
        ("Eggitarian", "Boiled eggs", False),
        ("Eggitarian", "Egg white omelette", False),
        ("Eggitarian", "Chicken tikka", True),
        ("Eggitarian", "Smoked SALMON", True),
        ("Eggitarian", "Sea  bass fillet", True),
        ("Non-veg", "Chicken tikka", False),
        ("Non-veg", "Tuna and eggs", False),
    ],
)
def test_diet_words(
    plan: dict[str, Any],
    profile: dict[str, Any],
    targets: Targets,
    diet: str,
    food: str,
    flagged: bool,
) -> None:
    profile["dietaryPreference"] = diet
    _set_food(plan, "wednesday", food)
    verdict = check_plan(plan, profile, targets)
    expected = {("wednesday", PlanRule.DIET)} if flagged else set()
    assert {(v.day, v.rule) for v in verdict.violations} == expected
    assert verdict.valid is not flagged
    if flagged:
        assert food in verdict.violations[0].detail


def test_missing_day_is_flagged_for_that_day_only(
    plan: dict[str, Any], profile: dict[str, Any], targets: Targets
) -> None:
    del plan["days"]["friday"]
    assert _rules(plan, profile, targets) == {("friday", PlanRule.MISSING_DAY)}


def test_unknown_day_name_is_a_structure_violation(
    plan: dict[str, Any], profile: dict[str, Any], targets: Targets
) -> None:
    plan["days"]["Funday"] = plan["days"]["monday"]
    assert _rules(plan, profile, targets) == {(None, PlanRule.STRUCTURE)}


@pytest.mark.parametrize(
    ("field", "rule"),
    [("total_kcal", PlanRule.KCAL_MISMATCH), ("protein_g", PlanRule.PROTEIN_MISMATCH)],
)
def test_targets_must_match_exactly(
    plan: dict[str, Any], profile: dict[str, Any], targets: Targets, field: str, rule: PlanRule
) -> None:
    plan["days"]["sunday"]["nutrition"][field] += 1
    assert _rules(plan, profile, targets) == {("sunday", rule)}


def test_integral_float_targets_are_accepted(
    plan: dict[str, Any], profile: dict[str, Any], targets: Targets
) -> None:
    plan["days"]["sunday"]["nutrition"]["total_kcal"] = float(targets.total_kcal)
    assert check_plan(plan, profile, targets).valid


def test_meal_count_must_equal_the_profile(
    plan: dict[str, Any], profile: dict[str, Any], targets: Targets
) -> None:
    plan["days"]["tuesday"]["nutrition"]["meals"].pop()
    assert _rules(plan, profile, targets) == {("tuesday", PlanRule.MEAL_COUNT)}


@pytest.mark.parametrize("avoided", ["Goblet Squat", "goblet  squat", "GOBLETSQUAT", " Goblet\tSquat "])
def test_avoided_exercise_matches_ignoring_case_and_spacing(
    plan: dict[str, Any], profile: dict[str, Any], targets: Targets, avoided: str
) -> None:
    profile["avoidExercises"] = [avoided]
    profile["trainingDaysPerWeek"] = 7
    plan["days"]["monday"]["workout"]["blocks"] = []
    found = _rules(plan, profile, targets)
    assert found == {(day, PlanRule.AVOIDED_EXERCISE) for day in ("tuesday", "wednesday", "thursday")}


def test_a_different_exercise_containing_the_avoided_name_is_allowed(
    plan: dict[str, Any], profile: dict[str, Any], targets: Targets
) -> None:
    profile["avoidExercises"] = ["Squat"]
    assert check_plan(plan, profile, targets).valid


def test_too_many_training_days(plan: dict[str, Any], profile: dict[str, Any], targets: Targets) -> None:
    profile["trainingDaysPerWeek"] = 3
    verdict = check_plan(plan, profile, targets)
    assert [(v.day, v.rule) for v in verdict.violations] == [(None, PlanRule.TOO_MANY_TRAINING_DAYS)]
    assert "4 days" in verdict.violations[0].detail


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_missing_or_blank_reason(
    plan: dict[str, Any], profile: dict[str, Any], targets: Targets, reason: str | None
) -> None:
    if reason is None:
        del plan["days"]["saturday"]["reason"]
    else:
        plan["days"]["saturday"]["reason"] = reason
    assert _rules(plan, profile, targets) == {("saturday", PlanRule.MISSING_REASON)}


def test_missing_supplement_card(plan: dict[str, Any], profile: dict[str, Any], targets: Targets) -> None:
    del plan["days"]["thursday"]["recovery"]["supplementCard"]
    assert _rules(plan, profile, targets) == {("thursday", PlanRule.MISSING_SUPPLEMENT_CARD)}


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda day: day.pop("nutrition"), "nutrition"),
        (lambda day: day["nutrition"].update(total_kcal="2000"), "nutrition.total_kcal"),
        (
            lambda day: day["workout"]["blocks"][0]["items"][0].pop("sets"),
            "workout.blocks.0.items.0.sets",
        ),
        (
            lambda day: day["recovery"].update(supplementCard={"current": []}),
            "recovery.supplementCard.addOns",
        ),
    ],
)
def test_wrong_shape_is_a_structure_violation_naming_the_field(
    plan: dict[str, Any],
    profile: dict[str, Any],
    targets: Targets,
    mutate: Any,
    where: str,
) -> None:
    mutate(plan["days"]["monday"])
    verdict = check_plan(plan, profile, targets)
    assert [(v.day, v.rule) for v in verdict.violations] == [("monday", PlanRule.STRUCTURE)]
    assert verdict.violations[0].detail.startswith(where + ":")


@pytest.mark.parametrize("not_a_plan", [None, [], {"weeks": {}}, {"days": ["monday"]}])
def test_a_value_without_days_is_a_structure_violation(
    profile: dict[str, Any], targets: Targets, not_a_plan: object
) -> None:
    verdict = check_plan(not_a_plan, profile, targets)
    assert not verdict.valid
    assert [(v.day, v.rule) for v in verdict.violations] == [(None, PlanRule.STRUCTURE)]


def test_several_rules_broken_are_all_reported(
    plan: dict[str, Any], profile: dict[str, Any], targets: Targets
) -> None:
    _set_food(plan, "monday", "Chicken wings")
    del plan["days"]["monday"]["reason"]
    del plan["days"]["sunday"]
    assert _rules(plan, profile, targets) == {
        ("monday", PlanRule.DIET),
        ("monday", PlanRule.MISSING_REASON),
        ("sunday", PlanRule.MISSING_DAY),
    }


def test_malformed_profile_raises_instead_of_judging_the_plan(
    plan: dict[str, Any], profile: dict[str, Any], targets: Targets
) -> None:
    profile["dietaryPreference"] = "Vegan"
    with pytest.raises(ProfileError, match="dietaryPreference"):
        check_plan(plan, profile, targets)
