"""Daily nutrition targets from a profile: Mifflin-St Jeor BMR, activity, goal (docs/contract.md "Targets
and the plan")."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

from harness.oracle.profile import ActivityLevel, Goal, Sex, parse_profile

_SEX_OFFSET: Mapping[Sex, Decimal] = {"male": Decimal(5), "female": Decimal(-161)}
_ACTIVITY_FACTOR: Mapping[ActivityLevel, Decimal] = {
    "sedentary": Decimal("1.2"),
    "light": Decimal("1.375"),
    "moderate": Decimal("1.55"),
    "very_active": Decimal("1.725"),
}
_GOAL_FACTOR: Mapping[Goal, Decimal] = {
    "fat_loss": Decimal("0.8"),
    "muscle_gain": Decimal("1.1"),
    "recomposition": Decimal(1),
    "general_fitness": Decimal(1),
}
_PROTEIN_PER_KG: Mapping[Goal, Decimal] = {
    "fat_loss": Decimal("2.0"),
    "muscle_gain": Decimal("1.8"),
    "recomposition": Decimal("1.6"),
    "general_fitness": Decimal("1.6"),
}


class Targets(BaseModel):
    """What every day of a plan must hit exactly."""

    model_config = ConfigDict(strict=True, frozen=True)

    total_kcal: int
    protein_g: int


def _round_half_up(value: Decimal, step: int) -> int:
    return int((value / step).quantize(Decimal(1), rounding=ROUND_HALF_UP)) * step


def compute_targets(profile: Mapping[str, Any]) -> Targets:
    """Targets for `profile`, computed in decimal so x.5 always rounds up, never to even."""
    parsed = parse_profile(profile)
    weight = Decimal(str(parsed.weightKg))
    height = Decimal(str(parsed.heightCm))
    bmr = 10 * weight + Decimal("6.25") * height - 5 * parsed.age + _SEX_OFFSET[parsed.sex]
    kcal = bmr * _ACTIVITY_FACTOR[parsed.activityLevel] * _GOAL_FACTOR[parsed.goal]
    return Targets(
        total_kcal=_round_half_up(kcal, 10),
        protein_g=_round_half_up(weight * _PROTEIN_PER_KG[parsed.goal], 1),
    )
