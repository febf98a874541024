"""The small food and exercise catalogue, tagged by diet, meal slot and equipment.

Food names are unambiguous under whole-word diet matching (decisions D3): a vegetarian food
never contains a meat, fish, seafood or egg word, and only egg foods contain `egg`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

DietTag = Literal["veg", "egg", "meat"]
MealSlot = Literal["breakfast", "main", "snack"]
Equipment = Literal["bodyweight", "dumbbell", "barbell", "kettlebell", "band", "pullup_bar", "gym"]
Pattern = Literal["warmup", "upper", "lower", "core", "conditioning"]


@dataclass(frozen=True)
class Food:
    """One catalogue food with its serving and the diets that allow it."""

    name: str
    diet: DietTag
    slots: tuple[MealSlot, ...]
    serving_g: int


@dataclass(frozen=True)
class Exercise:
    """One catalogue exercise with the equipment it needs and its movement pattern."""

    name: str
    equipment: Equipment
    pattern: Pattern


def foods() -> tuple[Food, ...]:
    """Every food in the catalogue."""
    return (
        Food("Rolled oats with berries", "veg", ("breakfast",), 80),
        Food("Greek yogurt", "veg", ("breakfast", "snack"), 200),
        Food("Paneer bhurji", "veg", ("breakfast", "main"), 150),
        Food("Moong dal chilla", "veg", ("breakfast",), 160),
        Food("Whole-grain toast with peanut butter", "veg", ("breakfast", "snack"), 90),
        Food("Tofu stir-fry", "veg", ("main",), 200),
        Food("Chickpea curry", "veg", ("main",), 250),
        Food("Lentil soup", "veg", ("main",), 300),
        Food("Rajma with brown rice", "veg", ("main",), 300),
        Food("Quinoa and black bean bowl", "veg", ("main",), 280),
        Food("Tempeh with roasted vegetables", "veg", ("main",), 220),
        Food("Cottage cheese", "veg", ("snack",), 150),
        Food("Roasted almonds", "veg", ("snack",), 30),
        Food("Banana", "veg", ("snack", "breakfast"), 120),
        Food("Whey protein shake", "veg", ("snack",), 35),
        Food("Apple with walnuts", "veg", ("snack",), 180),
        Food("Boiled eggs", "egg", ("breakfast", "snack"), 100),
        Food("Spinach omelette", "egg", ("breakfast",), 150),
        Food("Egg bhurji", "egg", ("breakfast", "main"), 150),
        Food("Egg fried rice", "egg", ("main",), 280),
        Food("Grilled chicken breast", "meat", ("main",), 180),
        Food("Baked salmon", "meat", ("main",), 160),
        Food("Turkey wrap", "meat", ("main",), 220),
        Food("Lean beef chili", "meat", ("main",), 250),
        Food("Tuna salad", "meat", ("main", "snack"), 150),
        Food("Shrimp noodle bowl", "meat", ("main",), 260),
    )


def exercises() -> tuple[Exercise, ...]:
    """Every exercise in the catalogue."""
    return (
        Exercise("Jumping jacks", "bodyweight", "warmup"),
        Exercise("World's greatest stretch", "bodyweight", "warmup"),
        Exercise("Arm circles", "bodyweight", "warmup"),
        Exercise("Glute bridge", "bodyweight", "warmup"),
        Exercise("Push-up", "bodyweight", "upper"),
        Exercise("Pike push-up", "bodyweight", "upper"),
        Exercise("Bench dip", "bodyweight", "upper"),
        Exercise("Bodyweight squat", "bodyweight", "lower"),
        Exercise("Reverse lunge", "bodyweight", "lower"),
        Exercise("Single-leg Romanian deadlift", "bodyweight", "lower"),
        Exercise("Plank", "bodyweight", "core"),
        Exercise("Dead bug", "bodyweight", "core"),
        Exercise("Mountain climber", "bodyweight", "conditioning"),
        Exercise("Burpee", "bodyweight", "conditioning"),
        Exercise("Dumbbell bench press", "dumbbell", "upper"),
        Exercise("Dumbbell row", "dumbbell", "upper"),
        Exercise("Dumbbell shoulder press", "dumbbell", "upper"),
        Exercise("Goblet squat", "dumbbell", "lower"),
        Exercise("Dumbbell Romanian deadlift", "dumbbell", "lower"),
        Exercise("Barbell back squat", "barbell", "lower"),
        Exercise("Barbell deadlift", "barbell", "lower"),
        Exercise("Barbell bench press", "barbell", "upper"),
        Exercise("Kettlebell swing", "kettlebell", "conditioning"),
        Exercise("Kettlebell goblet lunge", "kettlebell", "lower"),
        Exercise("Band pull-apart", "band", "upper"),
        Exercise("Banded lateral walk", "band", "lower"),
        Exercise("Pull-up", "pullup_bar", "upper"),
        Exercise("Hanging knee raise", "pullup_bar", "core"),
        Exercise("Lat pulldown", "gym", "upper"),
        Exercise("Leg press", "gym", "lower"),
        Exercise("Cable woodchop", "gym", "core"),
        Exercise("Rowing machine intervals", "gym", "conditioning"),
    )


def mobility_drills() -> tuple[str, ...]:
    """Recovery mobility items."""
    return (
        "Hip flexor stretch, 2 x 45 s per side",
        "Thoracic spine rotations, 2 x 10",
        "Cat-cow, 2 x 10",
        "Hamstring floss, 2 x 10 per side",
        "Ankle rocks, 2 x 12 per side",
        "Foam roll quads and upper back, 5 min",
    )


def sleep_tips() -> tuple[str, ...]:
    """Recovery sleep items."""
    return (
        "Aim for 7-9 hours of sleep",
        "Keep the same bedtime within 30 minutes",
        "No screens for 30 minutes before bed",
        "Keep the bedroom cool and dark",
        "Avoid caffeine after 2 pm",
    )
