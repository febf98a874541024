"""Reading a profile's free-text equipment list and avoid list against the exercise catalogue."""

from __future__ import annotations

import functools
import re

from fake_llm.plans.catalogue import Equipment, Exercise, exercises

EQUIPMENT_WORDS: tuple[tuple[str, tuple[Equipment, ...]], ...] = (
    ("dumbbell", ("dumbbell",)),
    ("barbell", ("barbell",)),
    ("kettlebell", ("kettlebell",)),
    ("band", ("band",)),
    ("pull", ("pullup_bar",)),
    ("gym", ("dumbbell", "barbell", "kettlebell", "band", "pullup_bar", "gym")),
    ("machine", ("gym",)),
    ("cable", ("gym",)),
)


def owned_equipment(equipment: tuple[str, ...]) -> frozenset[Equipment]:
    """The catalogue equipment tags a profile's equipment list provides (bodyweight always)."""
    owned: set[Equipment] = {"bodyweight"}
    for item in equipment:
        lowered = item.lower()
        for word, tags in EQUIPMENT_WORDS:
            if word in lowered:
                owned.update(tags)
    return frozenset(owned)


def exercise_key(name: str) -> str:
    """An exercise name compared case- and spacing-insensitively, singular."""
    key = re.sub(r"[^a-z0-9]", "", name.lower())
    return key[:-1] if key.endswith("s") else key


@functools.lru_cache(maxsize=256)
def usable_exercises(equipment: tuple[str, ...], avoid: tuple[str, ...]) -> tuple[Exercise, ...]:
    """Catalogue exercises the profile has equipment for and does not avoid (kept for the
    last profiles asked: each plan asks once, and a profile's stages ask alike)."""
    owned = owned_equipment(equipment)
    avoided = {exercise_key(name) for name in avoid}
    return tuple(
        exercise
        for exercise in exercises()
        if exercise.equipment in owned and exercise_key(exercise.name) not in avoided
    )
