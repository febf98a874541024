"""The user profile a plan is made for, and the daily targets computed from it.

The targets are computed in decimal on the numbers' decimal values and rounded half up
(decisions P1 and D31 in `docs/decisions.md`), so an exact half (52.5 kg x 1.8 = 94.5 g) rounds
up to 95 as every other independent computation of the targets does; binary floats and
`round()` (half to even) would give 94.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

Diet = Literal["Vegetarian", "Eggitarian", "Non-veg"]
DIETS: tuple[Diet, ...] = ("Vegetarian", "Eggitarian", "Non-veg")
GOALS = ("fat_loss", "muscle_gain", "recomposition", "general_fitness")
ACTIVITY_FACTORS = (
    ("sedentary", Decimal("1.2")),
    ("light", Decimal("1.375")),
    ("moderate", Decimal("1.55")),
    ("very_active", Decimal("1.725")),
)
DEFAULT_ACTIVITY_FACTOR = Decimal("1.55")
GOAL_KCAL_FACTORS = (("fat_loss", Decimal("0.8")), ("muscle_gain", Decimal("1.1")))
GOAL_PROTEIN_PER_KG = (("fat_loss", Decimal("2.0")), ("muscle_gain", Decimal("1.8")))
DEFAULT_PROTEIN_PER_KG = Decimal("1.6")


@dataclass(frozen=True)
class Profile:
    """The create-plan-job profile (docs/contract.md "Targets and the plan"), with a plausible default
    for every field."""

    age: int = 30
    sex: str = "male"
    height_cm: float = 175.0
    weight_kg: float = 75.0
    goal: str = "general_fitness"
    activity_level: str = "moderate"
    training_days_per_week: int = 3
    equipment: tuple[str, ...] = ()
    dietary_preference: Diet = "Non-veg"
    meal_count: int = 4
    avoid_exercises: tuple[str, ...] = ()
    supplements: tuple[str, ...] = ()


@dataclass(frozen=True)
class Targets:
    """The daily targets every day of a valid plan must equal exactly."""

    total_kcal: int
    protein_g: int


def round_half_up(value: Decimal, step: int) -> int:
    """`value` to the nearest multiple of `step`, an exact half going up (never to even)."""
    return int((value / step).quantize(Decimal(1), rounding=ROUND_HALF_UP)) * step


def compute_targets(profile: Profile) -> Targets:
    """Mifflin-St Jeor BMR x activity factor, goal-adjusted; kcal to the nearest 10, protein to
    the nearest gram, halves up (decisions P1)."""
    weight = Decimal(str(profile.weight_kg))
    height = Decimal(str(profile.height_cm))
    bmr = 10 * weight + Decimal("6.25") * height - 5 * profile.age
    bmr += -161 if profile.sex.lower() == "female" else 5
    factor = dict(ACTIVITY_FACTORS).get(profile.activity_level, DEFAULT_ACTIVITY_FACTOR)
    kcal = bmr * factor * dict(GOAL_KCAL_FACTORS).get(profile.goal, Decimal(1))
    protein_per_kg = dict(GOAL_PROTEIN_PER_KG).get(profile.goal, DEFAULT_PROTEIN_PER_KG)
    return Targets(
        total_kcal=round_half_up(kcal, 10),
        protein_g=round_half_up(weight * protein_per_kg, 1),
    )
