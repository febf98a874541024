"""Test support for the fake DeepSeek: prompts shaped like the pipeline's (D2) and an independent
plan checker (docs/contract.md "Targets and the plan", D3 diet words), written apart from fake_llm's own
generator."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import openai
from openai.types.chat import ChatCompletionMessageParam

AsyncClientFactory = Callable[..., openai.AsyncOpenAI]
SyncClientFactory = Callable[..., openai.OpenAI]
DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MEAT_FISH_WORDS = (
    "chicken",
    "beef",
    "pork",
    "lamb",
    "mutton",
    "turkey",
    "bacon",
    "ham",
    "salmon",
    "tuna",
    "fish",
    "cod",
    "shrimp",
    "prawn",
    "crab",
    "sardine",
)
EGG_WORDS = ("egg", "omelette")

PROFILE: dict[str, Any] = {
    "age": 34,
    "sex": "female",
    "heightCm": 168,
    "weightKg": 64,
    "goal": "fat_loss",
    "activityLevel": "light",
    "trainingDaysPerWeek": 4,
    "equipment": ["dumbbells", "resistance band"],
    "dietaryPreference": "Vegetarian",
    "mealCount": 5,
    "avoidExercises": ["Push ups", "Burpee", "goblet squat"],
    "supplements": ["Whey protein"],
}
TARGETS = {"total_kcal": 1710, "protein_g": 128}
USER_ID = "7f6c1a52-3a8e-4a53-9d0e-5b8c0f1e2a11"


def plan_messages(
    profile: dict[str, Any] | None = None,
    targets: dict[str, int] | None = None,
    *,
    stage: int = 1,
    user: str = USER_ID,
) -> list[ChatCompletionMessageParam]:
    """System and user messages as the pipeline sends them (decisions D2)."""
    lines = [f"USER: {user}", "PROFILE (json):", json.dumps(profile or PROFILE)]
    if targets is not None:
        lines += ["TARGETS (json):", json.dumps(targets)]
    system = (
        f"You are a fitness coach. This is Stage {stage} of 2. Reply with one json object: the weekly plan."
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": "\n".join(lines)}]


def _has_word(text: str, words: tuple[str, ...]) -> bool:
    return any(re.search(rf"\b{word}s?\b", text, re.IGNORECASE) for word in words)


def _squash(name: str) -> str:
    return re.sub(r"\s+", "", name.lower())


def plan_problems(plan: Any, profile: dict[str, Any], targets: dict[str, int]) -> list[str]:
    """Every rule of docs/contract.md "Targets and the plan" that `plan` breaks for `profile` and
    `targets` (empty: valid)."""
    if not isinstance(plan, dict) or not isinstance(plan.get("days"), dict):
        return ["no days object"]
    days = plan["days"]
    problems = [f"{day}: missing" for day in DAY_NAMES if day not in days]
    problems += [f"{day}: not a day name" for day in days if day not in DAY_NAMES]
    avoided = {_squash(name) for name in profile["avoidExercises"]}
    avoided |= {name[:-1] for name in avoided if name.endswith("s")}
    training_days = 0
    for name, day in days.items():
        for part in ("workout", "nutrition", "recovery"):
            if part not in day:
                problems.append(f"{name}: no {part}")
        if not str(day.get("reason", "")).strip():
            problems.append(f"{name}: no reason")
        if "supplementCard" not in day.get("recovery", {}):
            problems.append(f"{name}: no supplementCard")
        nutrition = day.get("nutrition", {})
        if nutrition.get("total_kcal") != targets["total_kcal"]:
            problems.append(f"{name}: kcal {nutrition.get('total_kcal')}")
        if nutrition.get("protein_g") != targets["protein_g"]:
            problems.append(f"{name}: protein {nutrition.get('protein_g')}")
        meals = nutrition.get("meals", [])
        if len(meals) != profile["mealCount"]:
            problems.append(f"{name}: {len(meals)} meals")
        for meal in meals:
            for item in meal["items"]:
                food = item["food"]
                meat = _has_word(food, MEAT_FISH_WORDS)
                egg = _has_word(food, EGG_WORDS)
                diet = profile["dietaryPreference"]
                if (diet == "Vegetarian" and (meat or egg)) or (diet == "Eggitarian" and meat):
                    problems.append(f"{name}: {food} breaks {diet}")
        blocks = day.get("workout", {}).get("blocks") or []
        if blocks:
            training_days += 1
        for block in blocks:
            for item in block["items"]:
                squashed = _squash(item["exercise"])
                if squashed in avoided or squashed.rstrip("s") in avoided:
                    problems.append(f"{name}: avoided exercise {item['exercise']}")
    if training_days > profile["trainingDaysPerWeek"]:
        problems.append(f"{training_days} training days")
    return problems
