"""The server's final enforcement after Stage 2 (docs/contract.md "Targets and the plan", the fixer).

It makes what may safely be made exact: every present day's `total_kcal` and
`protein_g` become the targets, a missing `reason` is written, and a missing
`recovery.supplementCard` (or its `current` / `addOns` list) is filled from the
profile's supplements. It never invents a missing day or part, and never removes a
food or exercise that breaks the diet or the avoid list: those must fail validation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from reference_impl.pipeline.profile import Profile
from reference_impl.pipeline.targets import Targets
from reference_impl.pipeline.validator import REST_FOCUS


@dataclass(frozen=True)
class FixResult:
    """The fixed plan (a new object unless fixed in place) and each change made."""

    plan: dict[str, Any]
    changes: tuple[str, ...]


def fix_plan(
    plan: dict[str, Any], profile: Profile, targets: Targets, *, in_place: bool = False
) -> FixResult:
    """Apply the fixer to a copy of `plan` (or to `plan` itself when `in_place`: the
    attempt's freshly parsed plan, which nothing else holds); see the module docstring
    for what it changes."""
    # A JSON round trip copies a JSON value several times faster than copy.deepcopy.
    fixed: dict[str, Any] = plan if in_place else json.loads(json.dumps(plan))
    changes: list[str] = []
    days = fixed.get("days")
    if isinstance(days, dict):
        for name, day in days.items():
            if isinstance(day, dict):
                changes.extend(_fix_day(str(name), day, profile, targets))
    return FixResult(plan=fixed, changes=tuple(changes))


def _fix_day(name: str, day: dict[str, Any], profile: Profile, targets: Targets) -> list[str]:
    changes: list[str] = []
    nutrition = day.get("nutrition")
    if isinstance(nutrition, dict):
        for key, target in (("total_kcal", targets.total_kcal), ("protein_g", targets.protein_g)):
            current = nutrition.get(key)
            if type(current) is not int or current != target:
                nutrition[key] = target
                changes.append(f"{name}.nutrition.{key}: {current!r} -> {target}")
    if _is_absent_text(day.get("reason")):
        day["reason"] = _default_reason(name, day, targets)
        changes.append(f"{name}.reason: added")
    recovery = day.get("recovery")
    if isinstance(recovery, dict):
        changes.extend(_fix_supplement_card(name, recovery, profile))
    return changes


def _fix_supplement_card(name: str, recovery: dict[str, Any], profile: Profile) -> list[str]:
    if recovery.get("supplementCard") is None:
        recovery["supplementCard"] = {"current": list(profile.supplements), "addOns": []}
        return [f"{name}.recovery.supplementCard: added"]
    card = recovery["supplementCard"]
    if not isinstance(card, dict):
        return []
    changes = []
    if card.get("current") is None:
        card["current"] = list(profile.supplements)
        changes.append(f"{name}.recovery.supplementCard.current: added")
    if card.get("addOns") is None:
        card["addOns"] = []
        changes.append(f"{name}.recovery.supplementCard.addOns: added")
    return changes


def _is_absent_text(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _default_reason(name: str, day: dict[str, Any], targets: Targets) -> str:
    workout = day.get("workout")
    focus = workout.get("focus") if isinstance(workout, dict) else None
    fuel = f"{targets.total_kcal} kcal and {targets.protein_g} g protein"
    if isinstance(focus, str) and focus.strip() and focus.strip().casefold() != REST_FOCUS:
        return f"{name.capitalize()} trains {focus.strip()}, fuelled by {fuel}."
    return f"{name.capitalize()} is a rest day for recovery, still eating {fuel}."
