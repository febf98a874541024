"""Field-level profile validation: every bad field named by its dotted path."""

from __future__ import annotations

from typing import Any

import pytest

from reference_impl.pipeline.profile import FieldError, ProfileInvalid, parse_profile


def refused_fields(data: object) -> dict[str, str]:
    with pytest.raises(ProfileInvalid) as refused:
        parse_profile(data)
    return {error.field: error.message for error in refused.value.errors}


def test_valid_profile_is_parsed_with_its_json_names(profile_data: dict[str, Any]) -> None:
    profile = parse_profile(profile_data)

    assert profile.mealCount == 4
    assert profile.to_json()["dietaryPreference"] == "Vegetarian"
    assert profile.to_json()["supplements"] == ["creatine", "vitamin D"]


def test_lists_may_be_omitted_and_are_then_empty(profile_data: dict[str, Any]) -> None:
    for key in ("equipment", "avoidExercises", "supplements"):
        del profile_data[key]

    profile = parse_profile(profile_data)

    assert profile.to_json()["equipment"] == []
    assert profile.avoidExercises == ()


def test_every_bad_field_is_named_at_once(profile_data: dict[str, Any]) -> None:
    profile_data.update(age=12, heightCm=251, weightKg=29.5, mealCount=7, trainingDaysPerWeek=0, goal="bulk")
    del profile_data["sex"]
    profile_data["favouriteColour"] = "blue"

    errors = refused_fields(profile_data)

    assert set(errors) == {
        "profile.age",
        "profile.heightCm",
        "profile.weightKg",
        "profile.mealCount",
        "profile.trainingDaysPerWeek",
        "profile.goal",
        "profile.sex",
        "profile.favouriteColour",
    }
    assert errors["profile.sex"] == "is required"
    assert errors["profile.favouriteColour"] == "is not a profile field"
    assert "(got 7)" in errors["profile.mealCount"]


@pytest.mark.parametrize(
    ("field", "low", "high"),
    [
        ("age", 13, 100),
        ("heightCm", 100, 250),
        ("weightKg", 30, 300),
        ("mealCount", 3, 6),
        ("trainingDaysPerWeek", 1, 7),
    ],
)
def test_numeric_bounds_are_inclusive(profile_data: dict[str, Any], field: str, low: int, high: int) -> None:
    for accepted in (low, high):
        assert getattr(parse_profile({**profile_data, field: accepted}), field) == accepted
    for refused in (low - 1, high + 1):
        assert set(refused_fields({**profile_data, field: refused})) == {f"profile.{field}"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("age", "30"),
        ("age", 30.5),
        ("age", True),
        ("weightKg", "80"),
        ("weightKg", float("nan")),
        ("mealCount", None),
    ],
)
def test_numbers_are_not_coerced(profile_data: dict[str, Any], field: str, value: object) -> None:
    assert set(refused_fields({**profile_data, field: value})) == {f"profile.{field}"}


@pytest.mark.parametrize(
    ("field", "accepted", "refused"),
    [
        ("sex", ["male", "female"], ["Male", "other"]),
        ("goal", ["fat_loss", "muscle_gain", "recomposition", "general_fitness"], ["Fat loss"]),
        ("activityLevel", ["sedentary", "light", "moderate", "very_active"], ["active"]),
        ("dietaryPreference", ["Vegetarian", "Eggitarian", "Non-veg"], ["vegetarian", "Vegan"]),
    ],
)
def test_enums_take_exactly_the_design_spellings(
    profile_data: dict[str, Any], field: str, accepted: list[str], refused: list[str]
) -> None:
    for value in accepted:
        assert getattr(parse_profile({**profile_data, field: value}), field) == value
    for value in refused:
        errors = refused_fields({**profile_data, field: value})
        assert set(errors) == {f"profile.{field}"}
        assert f'(got "{value}")' in errors[f"profile.{field}"]


def test_list_items_are_named_by_index(profile_data: dict[str, Any]) -> None:
    profile_data["equipment"] = ["dumbbells", "", 3, "x" * 81]
    profile_data["supplements"] = "creatine"

    errors = refused_fields(profile_data)

    assert set(errors) == {
        "profile.equipment.1",
        "profile.equipment.2",
        "profile.equipment.3",
        "profile.supplements",
    }
    assert errors["profile.supplements"].startswith("must be an array of strings")


def test_lists_are_bounded_in_length(profile_data: dict[str, Any]) -> None:
    profile_data["avoidExercises"] = [f"exercise {n}" for n in range(31)]

    assert set(refused_fields(profile_data)) == {"profile.avoidExercises"}


def test_list_items_are_trimmed(profile_data: dict[str, Any]) -> None:
    profile_data["supplements"] = ["  creatine "]

    assert parse_profile(profile_data).supplements == ("creatine",)


@pytest.mark.parametrize("data", [None, [], "profile", 42])
def test_a_non_object_is_refused_as_a_whole(data: object) -> None:
    with pytest.raises(ProfileInvalid) as refused:
        parse_profile(data)

    assert [error.field for error in refused.value.errors] == ["profile"]


def test_path_prefix_is_configurable(profile_data: dict[str, Any]) -> None:
    with pytest.raises(ProfileInvalid) as refused:
        parse_profile({**profile_data, "mealCount": 9}, path="input.profile")

    assert refused.value.errors[0].field == "input.profile.mealCount"
    assert "input.profile.mealCount" in str(refused.value)


def test_field_error_is_a_plain_value() -> None:
    assert FieldError("profile.age", "is required") == FieldError("profile.age", "is required")
