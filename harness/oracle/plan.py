"""Pydantic models of the weekly plan shape (docs/contract.md "Targets and the plan"); rule checks live
in `rules`."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

DayName = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
DAY_NAMES: tuple[DayName, ...] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)


class _PlanPart(BaseModel):
    model_config = ConfigDict(strict=True, frozen=True, extra="ignore")


class ExerciseItem(_PlanPart):
    exercise: str
    sets: int
    reps: int | str
    restSec: float


class Block(_PlanPart):
    name: str
    items: list[ExerciseItem]


class Workout(_PlanPart):
    """A rest day has `focus: "Rest"` and no (or empty) blocks."""

    focus: str
    durationMin: float
    blocks: list[Block] = []


class FoodItem(_PlanPart):
    food: str
    qty: str | float


class Meal(_PlanPart):
    name: str
    items: list[FoodItem]
    kcal: float
    protein_g: float


class Nutrition(_PlanPart):
    total_kcal: float
    protein_g: float
    meals: list[Meal]


class SupplementCard(_PlanPart):
    current: list[Any]
    addOns: list[Any]


class Recovery(_PlanPart):
    """`supplementCard` is optional here: its absence is a rule violation, not a shape one."""

    mobility: list[Any]
    sleep: list[Any]
    supplementCard: SupplementCard | None = None


class Day(_PlanPart):
    """`reason` is optional here: its absence is a rule violation, not a shape one."""

    workout: Workout
    nutrition: Nutrition
    recovery: Recovery
    reason: str | None = None


class WeeklyPlan(_PlanPart):
    """The days present in a plan; which days are missing is checked by the rules."""

    days: dict[DayName, Day]
