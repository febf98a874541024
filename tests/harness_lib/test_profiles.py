"""The profile factory: deterministic per seed, valid, covering; and the malformed profiles."""

from __future__ import annotations

import pytest

from harness.oracle import ProfileError, parse_profile
from harness.profiles import (
    ACTIVITY_LEVELS,
    DIETS,
    GOALS,
    MEAL_COUNTS,
    PROFILE_FIELDS,
    ProfileFactory,
    invalid_profiles,
)


def test_same_seed_gives_same_profiles() -> None:
    first, second = ProfileFactory(7), ProfileFactory(7)
    assert [first.make() for _ in range(5)] == [second.make() for _ in range(5)]
    assert ProfileFactory(7).covering(6) == ProfileFactory(7).covering(6)


def test_different_seeds_give_different_profiles() -> None:
    assert [ProfileFactory(1).make() for _ in range(3)] != [ProfileFactory(2).make() for _ in range(3)]


@pytest.mark.parametrize("seed", range(20))
def test_made_profiles_are_valid_and_complete(seed: int) -> None:
    profile = ProfileFactory(seed).make()
    assert tuple(profile) == PROFILE_FIELDS
    parse_profile(profile)


def test_overrides_are_applied() -> None:
    profile = ProfileFactory(3).make(mealCount=6, dietaryPreference="Eggitarian")
    assert (profile["mealCount"], profile["dietaryPreference"]) == (6, "Eggitarian")


def test_unknown_override_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="meal_count"):
        ProfileFactory(3).make(meal_count=4)


@pytest.mark.parametrize("n", [4, 12, 13])
def test_covering_spans_every_value(n: int) -> None:
    profiles = ProfileFactory(11).covering(n)
    assert len(profiles) == n
    assert {p["dietaryPreference"] for p in profiles} == set(DIETS)
    assert {p["goal"] for p in profiles} == set(GOALS)
    assert {p["mealCount"] for p in profiles} == set(MEAL_COUNTS)
    assert {p["activityLevel"] for p in profiles} == set(ACTIVITY_LEVELS)
    assert any(p["avoidExercises"] for p in profiles)
    assert any(not p["avoidExercises"] for p in profiles)
    for profile in profiles:
        parse_profile(profile)


def test_covering_includes_an_oddly_spelled_avoided_exercise() -> None:
    avoided = [name for p in ProfileFactory(5).covering(4) for name in p["avoidExercises"]]
    assert any(name.isupper() and "  " in name for name in avoided)


def test_covering_too_few_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 4"):
        ProfileFactory(0).covering(3)


def test_each_invalid_profile_breaks_exactly_its_field() -> None:
    cases = invalid_profiles(seed=4)
    base = ProfileFactory(4).make()
    for field, profile in cases:
        changed = {key for key in PROFILE_FIELDS if profile.get(key, ...) != base.get(key, ...)}
        assert changed == {field}
        with pytest.raises(ProfileError) as info:
            parse_profile(profile)
        assert {path.split("[")[0] for path in info.value.fields} == {field}


def test_invalid_profiles_cover_each_kind_of_mistake() -> None:
    cases = invalid_profiles()
    missing = {field for field, profile in cases if field not in profile}
    wrong_type = {
        field
        for field, profile in cases
        if isinstance(profile.get(field), str) and field in ("age", "weightKg", "trainingDaysPerWeek")
    }
    assert {"heightCm", "goal", "dietaryPreference", "mealCount"} <= missing
    assert wrong_type == {"age", "weightKg", "trainingDaysPerWeek"}
    assert ("mealCount", 7) in [(f, p.get(f)) for f, p in cases]
    assert ("dietaryPreference", "Vegan") in [(f, p.get(f)) for f, p in cases]
