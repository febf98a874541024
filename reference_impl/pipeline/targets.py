"""Daily calorie and protein targets from a profile (docs/contract.md "Targets and the plan"), and their
JSON form."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType
from typing import Any

from reference_impl.pipeline.profile import ActivityLevel, Goal, Profile

ACTIVITY_FACTORS: Mapping[ActivityLevel, Decimal] = MappingProxyType(
    {
        "sedentary": Decimal("1.2"),
        "light": Decimal("1.375"),
        "moderate": Decimal("1.55"),
        "very_active": Decimal("1.725"),
    }
)
GOAL_ADJUSTMENTS: Mapping[Goal, Decimal] = MappingProxyType(
    {
        "fat_loss": Decimal("0.8"),
        "muscle_gain": Decimal("1.1"),
        "recomposition": Decimal("1"),
        "general_fitness": Decimal("1"),
    }
)
PROTEIN_G_PER_KG: Mapping[Goal, Decimal] = MappingProxyType(
    {
        "fat_loss": Decimal("2.0"),
        "muscle_gain": Decimal("1.8"),
        "recomposition": Decimal("1.6"),
        "general_fitness": Decimal("1.6"),
    }
)
KCAL_STEP = 10


class TargetsInvalid(ValueError):
    """A targets object (from a job input) is not `{total_kcal: int, protein_g: int}`."""


@dataclass(frozen=True)
class Targets:
    """What every day of the plan must carry exactly: `total_kcal` and `protein_g`."""

    total_kcal: int
    protein_g: int

    def to_json(self) -> dict[str, Any]:
        """The JSON object of D1: `{"total_kcal": ..., "protein_g": ...}`."""
        return {"total_kcal": self.total_kcal, "protein_g": self.protein_g}

    @classmethod
    def from_json(cls, data: object, *, path: str = "targets") -> Targets:
        """Read a D1 targets object; positive whole numbers only, no other keys."""
        if not isinstance(data, dict):
            raise TargetsInvalid(f"{path} must be a JSON object")
        unknown = sorted(set(data) - {"total_kcal", "protein_g"})
        if unknown:
            raise TargetsInvalid(f"{path} has unknown keys: {', '.join(map(str, unknown))}")
        values = []
        for key in ("total_kcal", "protein_g"):
            value = data.get(key)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise TargetsInvalid(f"{path}.{key} must be a positive whole number, got {value!r}")
            values.append(value)
        return cls(total_kcal=values[0], protein_g=values[1])


def compute_targets(profile: Profile) -> Targets:
    """Targets by docs/contract.md "Targets and the plan", in exact decimal arithmetic.

    - BMR (Mifflin-St Jeor) = 10 x weightKg + 6.25 x heightCm - 5 x age, then + 5 (male)
      or - 161 (female);
    - TDEE = BMR x activity factor (1.2, 1.375, 1.55, 1.725);
    - kcal = TDEE x goal adjustment (fat_loss 0.8, muscle_gain 1.1, otherwise 1);
    - protein = weightKg x (fat_loss 2.0, muscle_gain 1.8, otherwise 1.6).

    Rounding: `total_kcal` to the nearest multiple of 10 and `protein_g` to the nearest
    whole number, halves rounded up (2345 kcal -> 2350, 130.5 g -> 131). The profile's
    numbers are taken at their decimal value (70.1 kg is 70.1, not the nearest binary
    float), so a half is a half.
    """
    weight = _decimal(profile.weightKg)
    bmr = (
        10 * weight
        + Decimal("6.25") * _decimal(profile.heightCm)
        - 5 * profile.age
        + (5 if profile.sex == "male" else -161)
    )
    kcal = bmr * ACTIVITY_FACTORS[profile.activityLevel] * GOAL_ADJUSTMENTS[profile.goal]
    protein = weight * PROTEIN_G_PER_KG[profile.goal]
    return Targets(
        total_kcal=_round_half_up(kcal / KCAL_STEP) * KCAL_STEP,
        protein_g=_round_half_up(protein),
    )


def _decimal(value: float) -> Decimal:
    # repr() gives the shortest text that reads back as the same float: 70.1 -> "70.1".
    return Decimal(repr(value))


def _round_half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))
