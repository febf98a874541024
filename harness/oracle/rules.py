"""The validity rules of a weekly plan for one user (docs/contract.md "Targets and the plan"), as a list
of violations."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from harness.oracle.diet import forbidden_word
from harness.oracle.plan import DAY_NAMES, Day, WeeklyPlan
from harness.oracle.profile import Profile, parse_profile
from harness.oracle.targets import Targets


class PlanRule(StrEnum):
    STRUCTURE = "structure"
    MISSING_DAY = "missing_day"
    KCAL_MISMATCH = "kcal_mismatch"
    PROTEIN_MISMATCH = "protein_mismatch"
    MEAL_COUNT = "meal_count"
    DIET = "diet"
    AVOIDED_EXERCISE = "avoided_exercise"
    TOO_MANY_TRAINING_DAYS = "too_many_training_days"
    MISSING_REASON = "missing_reason"
    MISSING_SUPPLEMENT_CARD = "missing_supplement_card"


@dataclass(frozen=True)
class Violation:
    """One broken rule; `day` is None when the rule is about the whole plan."""

    day: str | None
    rule: PlanRule
    detail: str


@dataclass(frozen=True)
class PlanVerdict:
    valid: bool
    violations: list[Violation]


def _exercise_key(name: str) -> str:
    """Case- and spacing-insensitive form of an exercise name."""
    return re.sub(r"\s+", "", name).casefold()


def _parse_days(plan: object) -> tuple[WeeklyPlan, list[Violation]]:
    days = plan.get("days") if isinstance(plan, Mapping) else None
    if not isinstance(days, Mapping):
        detail = 'the plan must be an object with a "days" object'
        return WeeklyPlan(days={}), [Violation(None, PlanRule.STRUCTURE, detail)]
    violations = [
        Violation(None, PlanRule.STRUCTURE, f"unexpected day name {str(name)!r}")
        for name in days
        if name not in DAY_NAMES
    ]
    parsed: dict[str, Day] = {}
    for name in DAY_NAMES:
        if name not in days:
            violations.append(Violation(name, PlanRule.MISSING_DAY, f"{name} is missing"))
            continue
        try:
            parsed[name] = Day.model_validate(days[name])
        except ValidationError as error:
            for problem in error.errors():
                where = ".".join(str(part) for part in problem["loc"]) or "day"
                detail = f"{where}: {problem['msg']}"
                violations.append(Violation(name, PlanRule.STRUCTURE, detail))
    return WeeklyPlan.model_validate({"days": parsed}), violations


def _check_reason(name: str, day: Day, _: Profile, __: Targets) -> list[Violation]:
    if day.reason is None or not day.reason.strip():
        return [Violation(name, PlanRule.MISSING_REASON, "reason is missing or blank")]
    return []


def _check_supplement_card(name: str, day: Day, _: Profile, __: Targets) -> list[Violation]:
    if day.recovery.supplementCard is None:
        detail = "recovery.supplementCard is missing"
        return [Violation(name, PlanRule.MISSING_SUPPLEMENT_CARD, detail)]
    return []


def _check_targets(name: str, day: Day, _: Profile, targets: Targets) -> list[Violation]:
    found: list[Violation] = []
    if day.nutrition.total_kcal != targets.total_kcal:
        detail = f"total_kcal {day.nutrition.total_kcal:g} != target {targets.total_kcal}"
        found.append(Violation(name, PlanRule.KCAL_MISMATCH, detail))
    if day.nutrition.protein_g != targets.protein_g:
        detail = f"protein_g {day.nutrition.protein_g:g} != target {targets.protein_g}"
        found.append(Violation(name, PlanRule.PROTEIN_MISMATCH, detail))
    return found


def _check_meal_count(name: str, day: Day, profile: Profile, _: Targets) -> list[Violation]:
    meals = len(day.nutrition.meals)
    if meals != profile.mealCount:
        detail = f"{meals} meals, the profile asks for {profile.mealCount}"
        return [Violation(name, PlanRule.MEAL_COUNT, detail)]
    return []


def _check_diet(name: str, day: Day, profile: Profile, _: Targets) -> list[Violation]:
    found: list[Violation] = []
    for meal in day.nutrition.meals:
        for item in meal.items:
            word = forbidden_word(item.food, profile.dietaryPreference)
            if word is not None:
                detail = (
                    f"meal {meal.name!r}: {item.food!r} contains {word!r}, "
                    f"not allowed for {profile.dietaryPreference}"
                )
                found.append(Violation(name, PlanRule.DIET, detail))
    return found


def _check_avoided(name: str, day: Day, profile: Profile, _: Targets) -> list[Violation]:
    avoided = {_exercise_key(exercise) for exercise in profile.avoidExercises}
    return [
        Violation(name, PlanRule.AVOIDED_EXERCISE, f"block {block.name!r}: {item.exercise!r}")
        for block in day.workout.blocks
        for item in block.items
        if _exercise_key(item.exercise) in avoided
    ]


_DayRule = Callable[[str, Day, Profile, Targets], list[Violation]]
_DAY_RULES: tuple[_DayRule, ...] = (
    _check_targets,
    _check_meal_count,
    _check_diet,
    _check_avoided,
    _check_reason,
    _check_supplement_card,
)


def _check_training_days(plan: WeeklyPlan, profile: Profile) -> list[Violation]:
    training = [name for name, day in plan.days.items() if day.workout.blocks]
    if len(training) > profile.trainingDaysPerWeek:
        detail = (
            f"{len(training)} days with workout blocks ({', '.join(training)}), "
            f"the profile allows {profile.trainingDaysPerWeek}"
        )
        return [Violation(None, PlanRule.TOO_MANY_TRAINING_DAYS, detail)]
    return []


def check_plan(plan: object, profile: Mapping[str, Any], targets: Targets) -> PlanVerdict:
    """Every rule `plan` breaks for a user with `profile` and `targets`.

    A malformed profile raises `ProfileError` (it is the caller's input, not the plan's fault).
    A day whose shape is wrong is reported as `structure` and not checked further.
    """
    parsed_profile = parse_profile(profile)
    weekly_plan, violations = _parse_days(plan)
    for name, day in weekly_plan.days.items():
        for rule in _DAY_RULES:
            violations.extend(rule(name, day, parsed_profile, targets))
    violations.extend(_check_training_days(weekly_plan, parsed_profile))
    return PlanVerdict(valid=not violations, violations=violations)
