"""The Stage 1 and Stage 2 messages follow decision D2, which the fake DeepSeek reads."""

from __future__ import annotations

import json
import re
from typing import Any

from reference_impl.pipeline.profile import Profile
from reference_impl.pipeline.prompts import ChatMessage, stage1_messages, stage2_messages
from reference_impl.pipeline.targets import Targets

USER_ID = "4f6c2a8e-2b1d-4c55-9a43-0d7e9f1b2c3a"
STAGE_PATTERN = re.compile(r"\bstage\s*([12])\b", re.IGNORECASE)


def message(messages: list[ChatMessage], role: str) -> str:
    [content] = [entry["content"] for entry in messages if entry["role"] == role]
    return content


def first_stage_number(text: str) -> str | None:
    """The stage the fake reads from `text` (D2's regex, first match)."""
    match = STAGE_PATTERN.search(text)
    return match.group(1) if match else None


def object_after_label(text: str, label: str) -> Any:
    """The JSON value that starts on the line after `label`, which must be a line of its own."""
    lines = text.split("\n")
    index = lines.index(label)
    value, _ = json.JSONDecoder().raw_decode("\n".join(lines[index + 1 :]))
    return value


def test_stage1_names_its_stage_and_json_in_the_system_message(profile: Profile, targets: Targets) -> None:
    messages = stage1_messages(USER_ID, profile, targets)
    system = message(messages, "system")

    assert [entry["role"] for entry in messages] == ["system", "user"]
    assert "Stage 1 of 2" in system
    assert first_stage_number(system) == "1"
    assert "json" in system


def test_stage2_names_its_stage_first(profile: Profile, targets: Targets, valid_plan: dict[str, Any]) -> None:
    system = message(stage2_messages(USER_ID, profile, targets, valid_plan), "system")

    assert "Stage 2 of 2" in system
    assert first_stage_number(system) == "2"
    assert "json" in system


def test_user_message_carries_user_profile_and_targets_as_labelled_json(
    profile: Profile, targets: Targets
) -> None:
    user = message(stage1_messages(USER_ID, profile, targets), "user")

    assert f"USER: {USER_ID}" in user.split("\n")
    assert object_after_label(user, "PROFILE (json):") == profile.to_json()
    assert object_after_label(user, "TARGETS (json):") == {
        "total_kcal": targets.total_kcal,
        "protein_g": targets.protein_g,
    }
    assert "DRAFT PLAN (json):" not in user


def test_stage2_adds_the_draft_plan(profile: Profile, targets: Targets, valid_plan: dict[str, Any]) -> None:
    user = message(stage2_messages(USER_ID, profile, targets, valid_plan), "user")

    assert object_after_label(user, "DRAFT PLAN (json):") == valid_plan
    assert object_after_label(user, "PROFILE (json):") == profile.to_json()
    assert f"USER: {USER_ID}" in user.split("\n")


def test_rules_in_the_system_message_carry_this_users_numbers(profile: Profile, targets: Targets) -> None:
    system = message(stage1_messages(USER_ID, profile, targets), "system")

    assert f"exactly {targets.total_kcal}" in system
    assert f"exactly {targets.protein_g}" in system
    assert f"exactly {profile.mealCount} meals" in system
    assert f"At most {profile.trainingDaysPerWeek} training days" in system
    assert "Barbell Back Squat" in system
    assert "no eggs" in system
    for day in ("monday", "sunday"):
        assert day in system


def test_the_only_json_object_with_profile_keys_is_the_profile(profile: Profile, targets: Targets) -> None:
    # D2: the fake scans every message for JSON objects and takes the first with profile
    # keys; nothing else in the prompt may look like one.
    decoder = json.JSONDecoder()
    found = []
    for entry in stage1_messages(USER_ID, profile, targets):
        text = entry["content"]
        for start in (index for index, char in enumerate(text) if char == "{"):
            try:
                value, _ = decoder.raw_decode(text, start)
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict) and "mealCount" in value:
                found.append(value)

    assert found == [profile.to_json()]
