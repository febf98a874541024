"""Structural and rule validation of a weekly plan for one user (docs/contract.md "Targets and the plan").

Written independently of the harness oracle (docs/architecture.md), so that a bug in one is
caught by the other. Additional keys the model adds are tolerated; missing or
malformed required ones are violations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeGuard

from reference_impl.pipeline.days import DAY_NAMES
from reference_impl.pipeline.diet import diet_violation
from reference_impl.pipeline.profile import Profile
from reference_impl.pipeline.targets import Targets

REST_FOCUS = "rest"
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Violation:
    """One broken rule: the day (None for plan-wide rules), the field path, what is wrong."""

    day: str | None
    field: str
    message: str

    def __str__(self) -> str:
        where = ".".join(part for part in (self.day, self.field) if part)
        return f"{where or 'plan'}: {self.message}"


def validate_plan(plan: object, profile: Profile, targets: Targets) -> list[Violation]:
    """Every violation of the plan rules for this profile and these targets; empty if valid."""
    if not isinstance(plan, dict):
        return [Violation(None, "", "plan must be a JSON object")]
    days = plan.get("days")
    if not isinstance(days, dict):
        return [Violation(None, "days", "must be an object keyed by the seven day names")]
    violations = [
        Violation(str(name), "", "is not one of the seven lowercase day names")
        for name in days
        if name not in DAY_NAMES
    ]
    avoided = {normalize_exercise(name) for name in profile.avoidExercises}
    training_days = 0
    for name in DAY_NAMES:
        if name not in days:
            violations.append(Violation(name, "", "day is missing"))
            continue
        day = days[name]
        if not isinstance(day, dict):
            violations.append(Violation(name, "", "must be an object"))
            continue
        day_checks = _DayChecks(name, violations)
        if day_checks.workout(day.get("workout"), avoided):
            training_days += 1
        day_checks.nutrition(day.get("nutrition"), profile, targets)
        day_checks.recovery(day.get("recovery"))
        day_checks.reason(day.get("reason"))
    if training_days > profile.trainingDaysPerWeek:
        violations.append(
            Violation(
                None,
                "days",
                f"{training_days} training days have blocks, more than trainingDaysPerWeek "
                f"({profile.trainingDaysPerWeek})",
            )
        )
    return violations


def normalize_exercise(name: str) -> str:
    """An exercise name compared case- and spacing-insensitively."""
    return _WHITESPACE.sub("", name).casefold()


class _DayChecks:
    """The checks of one day, appending to a shared list of violations."""

    def __init__(self, day: str, violations: list[Violation]) -> None:
        self.day = day
        self.violations = violations

    def fail(self, field: str, message: str) -> None:
        self.violations.append(Violation(self.day, field, message))

    def workout(self, workout: object, avoided: set[str]) -> bool:
        """Check the workout; return whether it is a training day (it has blocks)."""
        if not isinstance(workout, dict):
            self.fail("workout", _missing_or_not("an object", workout))
            return False
        focus = workout.get("focus")
        if not _is_text(focus):
            self.fail("workout.focus", _missing_or_not("a non-empty string", focus))
        if not _is_whole(workout.get("durationMin"), minimum=0):
            self.fail(
                "workout.durationMin",
                _missing_or_not("a whole number >= 0", workout.get("durationMin")),
            )
        blocks = workout.get("blocks", [])
        if blocks is None:
            blocks = []
        if not isinstance(blocks, list):
            self.fail("workout.blocks", f"must be a list, got {_kind(blocks)}")
            return False
        is_rest = isinstance(focus, str) and focus.strip().casefold() == REST_FOCUS
        if is_rest and blocks:
            self.fail("workout.blocks", f"a rest day has no blocks, found {len(blocks)}")
        for index, block in enumerate(blocks):
            self._block(f"workout.blocks.{index}", block, avoided)
        return bool(blocks)

    def _block(self, path: str, block: object, avoided: set[str]) -> None:
        if not isinstance(block, dict):
            self.fail(path, f"must be an object, got {_kind(block)}")
            return
        if not _is_text(block.get("name")):
            self.fail(f"{path}.name", _missing_or_not("a non-empty string", block.get("name")))
        items = block.get("items")
        if not isinstance(items, list) or not items:
            self.fail(f"{path}.items", _missing_or_not("a non-empty list", items))
            return
        for index, item in enumerate(items):
            self._exercise(f"{path}.items.{index}", item, avoided)

    def _exercise(self, path: str, item: object, avoided: set[str]) -> None:
        if not isinstance(item, dict):
            self.fail(path, f"must be an object, got {_kind(item)}")
            return
        exercise = item.get("exercise")
        if not _is_text(exercise):
            self.fail(f"{path}.exercise", _missing_or_not("a non-empty string", exercise))
        elif normalize_exercise(exercise) in avoided:
            self.fail(f"{path}.exercise", f"{exercise!r} is in the user's avoidExercises")
        if not _is_whole(item.get("sets"), minimum=1):
            self.fail(f"{path}.sets", _missing_or_not("a whole number >= 1", item.get("sets")))
        reps = item.get("reps")
        if not (_is_whole(reps, minimum=1) or _is_text(reps)):
            self.fail(f"{path}.reps", _missing_or_not("a whole number >= 1 or a string", reps))
        if not _is_whole(item.get("restSec"), minimum=0):
            self.fail(f"{path}.restSec", _missing_or_not("a whole number >= 0", item.get("restSec")))

    def nutrition(self, nutrition: object, profile: Profile, targets: Targets) -> None:
        if not isinstance(nutrition, dict):
            self.fail("nutrition", _missing_or_not("an object", nutrition))
            return
        for key, expected in (("total_kcal", targets.total_kcal), ("protein_g", targets.protein_g)):
            actual = nutrition.get(key)
            if not _is_number(actual) or actual != expected:
                self.fail(f"nutrition.{key}", f"must equal the target {expected}, got {actual!r}")
        meals = nutrition.get("meals")
        if not isinstance(meals, list):
            self.fail("nutrition.meals", _missing_or_not("a list", meals))
            return
        if len(meals) != profile.mealCount:
            self.fail(
                "nutrition.meals",
                f"must have exactly mealCount {profile.mealCount} meals, got {len(meals)}",
            )
        for index, meal in enumerate(meals):
            self._meal(f"nutrition.meals.{index}", meal, profile)

    def _meal(self, path: str, meal: object, profile: Profile) -> None:
        if not isinstance(meal, dict):
            self.fail(path, f"must be an object, got {_kind(meal)}")
            return
        if not _is_text(meal.get("name")):
            self.fail(f"{path}.name", _missing_or_not("a non-empty string", meal.get("name")))
        for key in ("kcal", "protein_g"):
            amount = meal.get(key)
            if not (_is_number(amount) and amount >= 0):
                self.fail(f"{path}.{key}", _missing_or_not("a number >= 0", amount))
        items = meal.get("items")
        if not isinstance(items, list) or not items:
            self.fail(f"{path}.items", _missing_or_not("a non-empty list", items))
            return
        for index, item in enumerate(items):
            self._food(f"{path}.items.{index}", item, profile)

    def _food(self, path: str, item: object, profile: Profile) -> None:
        if not isinstance(item, dict):
            self.fail(path, f"must be an object, got {_kind(item)}")
            return
        food = item.get("food")
        if not _is_text(food):
            self.fail(f"{path}.food", _missing_or_not("a non-empty string", food))
        else:
            word = diet_violation(food, profile.dietaryPreference)
            if word is not None:
                self.fail(
                    f"{path}.food",
                    f"{food!r} breaks the {profile.dietaryPreference} diet ({word!r})",
                )
        qty = item.get("qty")
        if not (_is_text(qty) or (_is_number(qty) and qty > 0)):
            self.fail(f"{path}.qty", _missing_or_not("a non-empty string or a number > 0", qty))

    def recovery(self, recovery: object) -> None:
        if not isinstance(recovery, dict):
            self.fail("recovery", _missing_or_not("an object", recovery))
            return
        for key in ("mobility", "sleep"):
            if not _is_text_list(recovery.get(key)):
                self.fail(f"recovery.{key}", _missing_or_not("a list of strings", recovery.get(key)))
        card = recovery.get("supplementCard")
        if not isinstance(card, dict):
            self.fail("recovery.supplementCard", _missing_or_not("an object", card))
            return
        for key in ("current", "addOns"):
            if not _is_text_list(card.get(key)):
                self.fail(
                    f"recovery.supplementCard.{key}",
                    _missing_or_not("a list of strings", card.get(key)),
                )

    def reason(self, reason: object) -> None:
        if not _is_text(reason):
            self.fail("reason", _missing_or_not("a non-empty sentence", reason))


def _is_text(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and bool(value.strip())


def _is_text_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(entry, str) for entry in value)


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_whole(value: object, *, minimum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def _missing_or_not(expected: str, value: object) -> str:
    if value is None:
        return f"is missing (must be {expected})"
    return f"must be {expected}, got {_kind(value)}"


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "null" if value is None else type(value).__name__
