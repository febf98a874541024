"""The `realistic` quality: plans a few percent off their targets, parts now and then missing."""

from __future__ import annotations

import copy
import random
from typing import Any


def _nudge(value: int, rng: random.Random) -> int:
    """`value` moved 2-6 percent up or down (never left equal)."""
    percent = rng.uniform(0.02, 0.06) * rng.choice((-1, 1))
    return max(1, round(value * (1 + percent))) if value else value


def degrade(plan: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A copy of `plan` with what a fixer must repair: targets off, a `reason` or card missing.

    At least one day always has its kcal off, so a `realistic` plan is never valid as sent.
    """
    degraded = copy.deepcopy(plan)
    days = list(degraded["days"].values())
    always_off = rng.randrange(len(days))
    for index, day in enumerate(days):
        nutrition = day["nutrition"]
        if index == always_off or rng.random() < 0.5:
            nutrition["total_kcal"] = _nudge(nutrition["total_kcal"], rng)
        if rng.random() < 0.5:
            nutrition["protein_g"] = _nudge(nutrition["protein_g"], rng)
        if rng.random() < 0.15:
            del day["reason"]
        if rng.random() < 0.1:
            del day["recovery"]["supplementCard"]
    return degraded
