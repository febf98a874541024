"""Generating a weekly plan (docs/contract.md "Targets and the plan") that satisfies a profile, varied by
Faker."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from faker import Faker

from fake_llm.plans.catalogue import (
    Exercise,
    Food,
    MealSlot,
    Pattern,
    foods,
    mobility_drills,
    sleep_tips,
)
from fake_llm.plans.equipment import usable_exercises
from fake_llm.plans.profile import Profile, Targets

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
TRAINING_DAY_INDEXES = (
    (0,),
    (0, 3),
    (0, 2, 4),
    (0, 1, 3, 4),
    (0, 1, 2, 4, 5),
    (0, 1, 2, 3, 4, 5),
    (0, 1, 2, 3, 4, 5, 6),
)
MEAL_LAYOUTS: Mapping[int, tuple[tuple[str, MealSlot, int], ...]] = MappingProxyType(
    {
        3: (("Breakfast", "breakfast", 30), ("Lunch", "main", 35), ("Dinner", "main", 35)),
        4: (
            ("Breakfast", "breakfast", 25),
            ("Lunch", "main", 30),
            ("Afternoon snack", "snack", 15),
            ("Dinner", "main", 30),
        ),
        5: (
            ("Breakfast", "breakfast", 22),
            ("Mid-morning snack", "snack", 10),
            ("Lunch", "main", 28),
            ("Evening snack", "snack", 12),
            ("Dinner", "main", 28),
        ),
        6: (
            ("Breakfast", "breakfast", 20),
            ("Mid-morning snack", "snack", 10),
            ("Lunch", "main", 25),
            ("Afternoon snack", "snack", 10),
            ("Dinner", "main", 25),
            ("Evening snack", "snack", 10),
        ),
    }
)
FOCUS_PATTERNS: tuple[tuple[str, tuple[Pattern, ...]], ...] = (
    ("Full Body Strength", ("lower", "upper", "upper", "core")),
    ("Lower Body Strength", ("lower", "lower", "lower", "core")),
    ("Upper Body Strength", ("upper", "upper", "upper", "core")),
    ("Conditioning and Core", ("conditioning", "conditioning", "core", "core")),
)
DIET_FOODS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "Vegetarian": ("veg",),
        "Eggitarian": ("veg", "egg"),
        "Non-veg": ("veg", "egg", "meat"),
    }
)
GOAL_WORDS: Mapping[str, str] = MappingProxyType(
    {
        "fat_loss": "fat-loss",
        "muscle_gain": "muscle-gain",
        "recomposition": "recomposition",
        "general_fitness": "general fitness",
    }
)


def split_exactly(total: int, weights: tuple[int, ...]) -> list[int]:
    """`total` shared by `weights`, in integers that add up to `total` exactly."""
    weight_sum = sum(weights)
    shares = [total * weight // weight_sum for weight in weights]
    for index in range(total - sum(shares)):
        shares[index % len(shares)] += 1
    return shares


class PlanGenerator:
    """Makes valid weekly plans; one instance per server (it owns a Faker reseeded per plan)."""

    def __init__(self) -> None:
        self._faker = Faker("en_US")
        self._faker.seed_instance(0)
        self._rng = self._faker.random  # the seeded Random behind Faker: reseeded per plan
        self._foods = foods()
        self._mobility = mobility_drills()
        self._sleep = sleep_tips()
        self._meal_pools: dict[tuple[str, MealSlot], tuple[Food, ...]] = {}

    def generate(self, profile: Profile, targets: Targets, seed: int) -> dict[str, Any]:
        """The plan for `profile` and `targets`; the same seed gives the same plan."""
        self._faker.seed_instance(seed)
        training = TRAINING_DAY_INDEXES[profile.training_days_per_week - 1]
        usable = usable_exercises(profile.equipment, profile.avoid_exercises)
        first_focus = self._rng.randint(0, len(FOCUS_PATTERNS) - 1)
        days: dict[str, Any] = {}
        for index, day in enumerate(DAYS):
            session = training.index(index) if index in training else None
            workout = (
                self._rest_workout()
                if session is None
                else self._workout(usable, (first_focus + session) % len(FOCUS_PATTERNS))
            )
            days[day] = {
                "workout": workout,
                "nutrition": self._nutrition(profile, targets),
                "recovery": self._recovery(profile),
                "reason": self._reason(profile, targets, workout["focus"], session, len(training)),
            }
        return {"days": days}

    def _rest_workout(self) -> dict[str, Any]:
        return {"focus": "Rest", "durationMin": 0, "blocks": []}

    def _pick(
        self, pool: tuple[Exercise, ...], pattern: Pattern, taken: set[str]
    ) -> Exercise | None:
        candidates = [e for e in pool if e.pattern == pattern and e.name not in taken]
        if not candidates:
            candidates = [e for e in pool if e.name not in taken and e.pattern != "warmup"]
        if not candidates:
            return None
        chosen: Exercise = self._rng.choice(candidates)
        taken.add(chosen.name)
        return chosen

    def _workout(self, usable: tuple[Exercise, ...], focus_index: int) -> dict[str, Any]:
        focus, patterns = FOCUS_PATTERNS[focus_index]
        taken: set[str] = set()
        warmup = [self._pick(usable, "warmup", taken) for _ in range(2)]
        main = [self._pick(usable, pattern, taken) for pattern in patterns]
        blocks = [
            {
                "name": "Warm-up",
                "items": [
                    {"exercise": e.name, "sets": 1, "reps": 12, "restSec": 0}
                    for e in warmup
                    if e is not None
                ],
            },
            {
                "name": "Main",
                "items": [
                    {
                        "exercise": e.name,
                        "sets": self._rng.randint(3, 4),
                        "reps": self._rng.choice((8, 10, 12, 15)),
                        "restSec": self._rng.choice((60, 75, 90)),
                    }
                    for e in main
                    if e is not None
                ],
            },
        ]
        blocks = [block for block in blocks if block["items"]]
        item_count = sum(len(block["items"]) for block in blocks)
        return {"focus": focus, "durationMin": 15 + 8 * item_count, "blocks": blocks}

    def _meal_pool(self, diet: str, slot: MealSlot) -> tuple[Food, ...]:
        """The catalogue's foods for a diet and a meal slot, in catalogue order (kept: a plan
        asks for them seven times a meal)."""
        pool = self._meal_pools.get((diet, slot))
        if pool is None:
            diets = DIET_FOODS[diet]
            pool = tuple(food for food in self._foods if food.diet in diets and slot in food.slots)
            self._meal_pools[(diet, slot)] = pool
        return pool

    def _meal_items(self, slot: MealSlot, pool: tuple[Food, ...], kcal: int) -> list[dict[str, str]]:
        count = 1 if slot == "snack" else 2
        chosen: Sequence[Food] = self._rng.sample(pool, min(count, len(pool)))
        scale = min(2.5, max(0.5, kcal / (350 * len(chosen))))
        return [
            {"food": food.name, "qty": f"{round(food.serving_g * scale / 10) * 10} g"}
            for food in chosen
        ]

    def _nutrition(self, profile: Profile, targets: Targets) -> dict[str, Any]:
        layout = MEAL_LAYOUTS[profile.meal_count]
        weights = tuple(weight for _, _, weight in layout)
        kcals = split_exactly(targets.total_kcal, weights)
        proteins = split_exactly(targets.protein_g, weights)
        diet = profile.dietary_preference
        meals = [
            {
                "name": name,
                "items": self._meal_items(slot, self._meal_pool(diet, slot), kcal),
                "kcal": kcal,
                "protein_g": protein,
            }
            for (name, slot, _), kcal, protein in zip(layout, kcals, proteins, strict=True)
        ]
        return {"total_kcal": targets.total_kcal, "protein_g": targets.protein_g, "meals": meals}

    def _recovery(self, profile: Profile) -> dict[str, Any]:
        add_on_pool = ["Vitamin D3, 1000 IU daily", "Magnesium glycinate before bed"]
        if profile.goal == "muscle_gain":
            add_on_pool.append("Creatine monohydrate, 3-5 g daily")
        if profile.dietary_preference == "Vegetarian":
            add_on_pool.append("Vitamin B12, 250 mcg daily")
        current = list(profile.supplements)
        add_ons = [item for item in add_on_pool if item not in current]
        return {
            "mobility": self._rng.sample(self._mobility, 2),
            "sleep": self._rng.sample(self._sleep, 2),
            "supplementCard": {
                "current": current,
                "addOns": self._rng.sample(add_ons, min(1, len(add_ons))),
            },
        }

    def _reason(
        self, profile: Profile, targets: Targets, focus: str, session: int | None, sessions: int
    ) -> str:
        goal = GOAL_WORDS.get(profile.goal, "fitness")
        fuel = (
            f"{profile.meal_count} {profile.dietary_preference.lower()} meals give "
            f"{targets.total_kcal} kcal and {targets.protein_g} g protein"
        )
        if session is None:
            opener = self._rng.choice(
                ("Rest day so your muscles recover", "A recovery day between sessions")
            )
            return f"{opener}; {fuel} to support your {goal} goal."
        closer = self._rng.choice(
            ("keep the last reps controlled", "add load when every set feels easy", "")
        )
        sentence = f"{focus} is session {session + 1} of {sessions} for your {goal} goal; {fuel}"
        return f"{sentence}, {closer}." if closer else f"{sentence}."
