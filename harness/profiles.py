"""Fixture users: deterministic, faker-based `create-plan-job` profiles (docs/contract.md "Targets and
the plan").

`ProfileFactory(seed)` gives the same profiles for the same seed; `covering(n)` spans every
diet, goal and meal count and includes avoid lists; `invalid_profiles()` gives one malformed
field per profile for the "400 naming the field" scenarios.
"""

from __future__ import annotations

from typing import Any, get_args

from faker import Faker

from harness.oracle.profile import ActivityLevel, DietaryPreference, Goal, Sex

DIETS: tuple[DietaryPreference, ...] = get_args(DietaryPreference)
GOALS: tuple[Goal, ...] = get_args(Goal)
ACTIVITY_LEVELS: tuple[ActivityLevel, ...] = get_args(ActivityLevel)
SEXES: tuple[Sex, ...] = get_args(Sex)
MEAL_COUNTS: tuple[int, ...] = (3, 4, 5, 6)
PROFILE_FIELDS: tuple[str, ...] = (
    "age",
    "sex",
    "heightCm",
    "weightKg",
    "goal",
    "activityLevel",
    "trainingDaysPerWeek",
    "equipment",
    "dietaryPreference",
    "mealCount",
    "avoidExercises",
    "supplements",
)

_EQUIPMENT = ("dumbbells", "barbell", "kettlebell", "resistance bands", "pull-up bar", "bench")
_EXERCISES = (
    "Barbell Back Squat",
    "Deadlift",
    "Bench Press",
    "Overhead Press",
    "Burpees",
    "Box Jumps",
    "Walking Lunges",
    "Pull-ups",
)
_MULTI_WORD_EXERCISES = tuple(name for name in _EXERCISES if " " in name)
_SUPPLEMENTS = ("creatine", "whey protein", "vitamin D", "omega-3", "magnesium")


def _odd_spelling(exercise: str) -> str:
    """The same exercise as a user might type it: shouting, with doubled spaces."""
    return exercise.upper().replace(" ", "  ")


class ProfileFactory:
    """Profiles drawn from a Faker seeded with `seed`: same seed, same sequence of profiles."""

    def __init__(self, seed: int) -> None:
        self._faker = Faker()
        self._faker.seed_instance(seed)

    def _sample(self, choices: tuple[str, ...], low: int, high: int) -> list[str]:
        count = self._faker.random_int(low, high)
        return list(self._faker.random_sample(choices, length=count)) if count else []

    def make(self, **overrides: Any) -> dict[str, Any]:
        """One random valid profile, with `overrides` (camelCase field names) applied."""
        unknown = sorted(set(overrides) - set(PROFILE_FIELDS))
        if unknown:
            raise ValueError(f"unknown profile field(s) {unknown}; known: {list(PROFILE_FIELDS)}")
        fake = self._faker
        sex = fake.random_element(SEXES)
        profile: dict[str, Any] = {
            "age": fake.random_int(18, 65),
            "sex": sex,
            "heightCm": fake.random_int(165, 195) if sex == "male" else fake.random_int(150, 180),
            "weightKg": round(fake.pyfloat(min_value=50, max_value=120, right_digits=1), 1),
            "goal": fake.random_element(GOALS),
            "activityLevel": fake.random_element(ACTIVITY_LEVELS),
            "trainingDaysPerWeek": fake.random_int(1, 7),
            "equipment": self._sample(_EQUIPMENT, 0, 3),
            "dietaryPreference": fake.random_element(DIETS),
            "mealCount": fake.random_element(MEAL_COUNTS),
            "avoidExercises": self._sample(_EXERCISES, 0, 2),
            "supplements": self._sample(_SUPPLEMENTS, 0, 2),
        }
        profile.update(overrides)
        return profile

    def covering(self, n: int) -> list[dict[str, Any]]:
        """`n` profiles that together use every diet, goal, meal count and activity level.

        Even-numbered profiles avoid one or two exercises (every fourth avoids one spelled
        oddly, to exercise case- and spacing-insensitive matching); odd-numbered avoid none.
        """
        needed = max(len(DIETS), len(GOALS), len(MEAL_COUNTS), len(ACTIVITY_LEVELS))
        if n < needed:
            raise ValueError(f"n must be at least {needed} to cover every value, got {n}")
        profiles = []
        for index in range(n):
            shift = index // len(GOALS)
            avoid = self._sample(_EXERCISES, 1, 2) if index % 2 == 0 else []
            if index % 4 == 2:
                avoid = [_odd_spelling(self._faker.random_element(_MULTI_WORD_EXERCISES))]
            profiles.append(
                self.make(
                    dietaryPreference=DIETS[index % len(DIETS)],
                    goal=GOALS[index % len(GOALS)],
                    mealCount=MEAL_COUNTS[(index + shift) % len(MEAL_COUNTS)],
                    activityLevel=ACTIVITY_LEVELS[(3 * index + shift) % len(ACTIVITY_LEVELS)],
                    avoidExercises=avoid,
                )
            )
        return profiles


def invalid_profiles(seed: int = 0) -> list[tuple[str, dict[str, Any]]]:
    """(field, profile) pairs: a valid profile with exactly that one top-level field broken.

    Covers a wrong type, a value out of range, an unknown enum value and a missing required
    field; a server should answer 400 naming `field` and write nothing.
    """
    base = ProfileFactory(seed).make()
    broken_values: list[tuple[str, object]] = [
        ("age", "thirty"),
        ("age", -1),
        ("heightCm", 0),
        ("weightKg", "heavy"),
        ("sex", "unknown"),
        ("goal", "bulk"),
        ("activityLevel", "extreme"),
        ("trainingDaysPerWeek", 0),
        ("trainingDaysPerWeek", 8),
        ("trainingDaysPerWeek", "3"),
        ("dietaryPreference", "Vegan"),
        ("mealCount", 2),
        ("mealCount", 7),
        ("mealCount", True),
        ("equipment", "dumbbells"),
        ("avoidExercises", [42]),
        ("supplements", "creatine"),
    ]
    cases = [(field, {**base, field: value}) for field, value in broken_values]
    for missing in ("heightCm", "goal", "dietaryPreference", "mealCount"):
        cases.append((missing, {key: value for key, value in base.items() if key != missing}))
    return cases
