"""The user profile a plan is made for, and the DESIGN §3.5 targets computed from it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Diet = Literal["Vegetarian", "Eggitarian", "Non-veg"]
DIETS: tuple[Diet, ...] = ("Vegetarian", "Eggitarian", "Non-veg")
GOALS = ("fat_loss", "muscle_gain", "recomposition", "general_fitness")
ACTIVITY_FACTORS = (
    ("sedentary", 1.2),
    ("light", 1.375),
    ("moderate", 1.55),
    ("very_active", 1.725),
)
GOAL_KCAL_FACTORS = (("fat_loss", 0.8), ("muscle_gain", 1.1))
GOAL_PROTEIN_PER_KG = (("fat_loss", 2.0), ("muscle_gain", 1.8))


@dataclass(frozen=True)
class Profile:
    """The create-plan-job profile (DESIGN §3.5), with a plausible default for every field."""

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


def compute_targets(profile: Profile) -> Targets:
    """Mifflin-St Jeor BMR x activity factor, goal-adjusted, rounded to 10 kcal (DESIGN §3.5)."""
    bmr = 10 * profile.weight_kg + 6.25 * profile.height_cm - 5 * profile.age
    bmr += -161 if profile.sex.lower() == "female" else 5
    factor = dict(ACTIVITY_FACTORS).get(profile.activity_level, 1.55)
    kcal = bmr * factor * dict(GOAL_KCAL_FACTORS).get(profile.goal, 1.0)
    protein_per_kg = dict(GOAL_PROTEIN_PER_KG).get(profile.goal, 1.6)
    return Targets(
        total_kcal=round(kcal / 10.0) * 10,
        protein_g=round(profile.weight_kg * protein_per_kg),
    )
