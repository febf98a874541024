"""Wrong plans: one named defect applied to a valid plan, each one a rule of docs/contract.md "Targets
and the plan" broken."""

from __future__ import annotations

import copy
import random
from typing import Any, Literal

from fake_llm.plans.profile import Profile

Defect = Literal[
    "missing_day",
    "kcal_off",
    "protein_off",
    "diet_violation",
    "avoided_exercise",
    "missing_reason",
    "missing_supplement_card",
    "wrong_meal_count",
]
DEFAULT_VIOLATING_FOOD = "Grilled chicken breast"
DEFAULT_AVOIDED_EXERCISE = "Burpee"


def _training_days(plan: dict[str, Any]) -> list[str]:
    return [name for name, day in plan["days"].items() if day["workout"].get("blocks")]


def _choose_day(plan: dict[str, Any], rng: random.Random, day: str | None, training: bool) -> str:
    if day is not None:
        if day not in plan["days"]:
            raise ValueError(f"day {day!r} is not a day of the plan")
        return day
    pool = _training_days(plan) if training else list(plan["days"])
    return str(rng.choice(pool or list(plan["days"])))


def apply_defect(
    plan: dict[str, Any],
    defect: Defect,
    profile: Profile,
    rng: random.Random,
    *,
    day: str | None = None,
    percent: float = 15.0,
    food: str | None = None,
    exercise: str | None = None,
) -> dict[str, Any]:
    """A copy of `plan` with `defect` on `day` (chosen by `rng` when not given)."""
    wrong = copy.deepcopy(plan)
    target_day = _choose_day(wrong, rng, day, training=defect == "avoided_exercise")
    chosen = wrong["days"][target_day]
    nutrition = chosen["nutrition"]
    match defect:
        case "missing_day":
            del wrong["days"][target_day]
        case "kcal_off":
            nutrition["total_kcal"] = round(nutrition["total_kcal"] * (1 + percent / 100))
        case "protein_off":
            nutrition["protein_g"] = round(nutrition["protein_g"] * (1 + percent / 100))
        case "diet_violation":
            nutrition["meals"][0]["items"].append(
                {"food": food or DEFAULT_VIOLATING_FOOD, "qty": "150 g"}
            )
        case "avoided_exercise":
            name = exercise or next(iter(profile.avoid_exercises), DEFAULT_AVOIDED_EXERCISE)
            item = {"exercise": name, "sets": 3, "reps": 10, "restSec": 60}
            blocks = chosen["workout"].setdefault("blocks", [])
            if blocks:
                blocks[-1]["items"].append(item)
            else:
                chosen["workout"] = {
                    "focus": "Full Body Strength",
                    "durationMin": 30,
                    "blocks": [{"name": "Main", "items": [item]}],
                }
        case "missing_reason":
            del chosen["reason"]
        case "missing_supplement_card":
            del chosen["recovery"]["supplementCard"]
        case "wrong_meal_count":
            meals = nutrition["meals"]
            if len(meals) > 3:
                meals.pop()
            else:
                meals.append({"name": "Late snack", "items": [], "kcal": 0, "protein_g": 0})
    return wrong
