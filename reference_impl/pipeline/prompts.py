"""The chat messages of Stage 1 (draft) and Stage 2 (review and fix), laid out as D2 says.

D2 (docs/decisions.md): the system message names the stage (`Stage 1 of 2`) and the word
json; the user message carries `USER: <uuid>` on its own line, then `PROFILE (json):`,
`TARGETS (json):` and, in Stage 2, `DRAFT PLAN (json):`, each label on its own line
followed by the JSON object.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict
from uuid import UUID

from reference_impl.pipeline import json_codec
from reference_impl.pipeline.days import DAY_NAMES
from reference_impl.pipeline.profile import Profile
from reference_impl.pipeline.targets import Targets


class ChatMessage(TypedDict):
    """One message of an OpenAI-style chat request."""

    role: Literal["system", "user", "assistant"]
    content: str


_PLAN_SHAPE = """\
Answer with one json object and nothing else: no prose, no code fences. Its shape:
{"days": {"monday": Day, "tuesday": Day, "wednesday": Day, "thursday": Day,
          "friday": Day, "saturday": Day, "sunday": Day}}
Day = {
  "workout": {"focus": string, "durationMin": integer,
              "blocks": [{"name": string,
                          "items": [{"exercise": string, "sets": integer,
                                     "reps": integer or string, "restSec": integer}]}]},
  "nutrition": {"total_kcal": integer, "protein_g": integer,
                "meals": [{"name": string, "items": [{"food": string, "qty": string}],
                           "kcal": integer, "protein_g": integer}]},
  "recovery": {"mobility": [string], "sleep": [string],
               "supplementCard": {"current": [string], "addOns": [string]}},
  "reason": string
}"""


def _rules(profile: Profile, targets: Targets) -> str:
    diet_rule = {
        "Vegetarian": "no meat, no fish, no seafood and no eggs in any meal item",
        "Eggitarian": "eggs are allowed; no meat, no fish and no seafood in any meal item",
        "Non-veg": "any food is allowed",
    }[profile.dietaryPreference]
    avoided = ", ".join(profile.avoidExercises) or "none"
    return "\n".join(
        [
            "Rules every plan must satisfy:",
            f"1. Exactly the seven lowercase day names: {', '.join(DAY_NAMES)}.",
            "2. Every day has workout, nutrition, recovery and reason.",
            f"3. Every day's nutrition.total_kcal is exactly {targets.total_kcal} and "
            f"nutrition.protein_g is exactly {targets.protein_g}.",
            f"4. Every day has exactly {profile.mealCount} meals.",
            f"5. Diet {profile.dietaryPreference}: {diet_rule}.",
            f"6. Never use these exercises: {avoided}.",
            f"7. At most {profile.trainingDaysPerWeek} training days with blocks; every other "
            'day is a rest day with focus "Rest" and no blocks.',
            "8. recovery.supplementCard.current lists the user's current supplements; "
            "addOns lists suggestions (may be empty).",
            "9. reason is one sentence on why the day looks as it does.",
            "10. Use only the equipment listed in the profile.",
        ]
    )


def _system_message(stage: Literal[1, 2], task: str, profile: Profile, targets: Targets) -> str:
    return "\n\n".join(
        [
            f"You are a fitness and nutrition planner. Stage {stage} of 2: {task}",
            _rules(profile, targets),
            _PLAN_SHAPE,
        ]
    )


def _json_block(label: str, value: dict[str, Any]) -> str:
    return f"{label} (json):\n{json_codec.dumps_text(value, sort_keys=True)}"


def _user_message(user_id: str | UUID, profile: Profile, targets: Targets) -> list[str]:
    return [
        f"USER: {user_id}",
        _json_block("PROFILE", profile.to_json()),
        _json_block("TARGETS", targets.to_json()),
    ]


def stage1_messages(user_id: str | UUID, profile: Profile, targets: Targets) -> list[ChatMessage]:
    """Stage 1: draft a weekly plan for this profile and these targets."""
    system = _system_message(
        1, "draft the user's weekly base plan as json following the rules.", profile, targets
    )
    user = [*_user_message(user_id, profile, targets), "Write the weekly plan json now."]
    return [
        {"role": "system", "content": system},
        {"role": "user", "content": "\n".join(user)},
    ]


def stage2_messages(
    user_id: str | UUID, profile: Profile, targets: Targets, draft_plan: dict[str, Any]
) -> list[ChatMessage]:
    """Stage 2: review the Stage 1 draft against the rules and return it corrected."""
    system = _system_message(
        2,
        "review the draft weekly plan, fix every rule it breaks, and return the complete "
        "corrected plan as json.",
        profile,
        targets,
    )
    user = [
        *_user_message(user_id, profile, targets),
        _json_block("DRAFT PLAN", draft_plan),
        "Return the corrected weekly plan json now.",
    ]
    return [
        {"role": "system", "content": system},
        {"role": "user", "content": "\n".join(user)},
    ]
