"""The plan-time estimator: least-squares fit, prior fallback, max-wait clamp and hard cap."""

from __future__ import annotations

import itertools
import math
import threading

import pytest

from harness.estimator import (
    HARD_CAP_SECONDS,
    DurationEstimator,
    EstimateModel,
    MaxWaitPolicy,
)

PRIOR = EstimateModel(base_seconds=10.0, weights={"mealCount": 1.0, "attempts": 2.0})


def _features(meals: int, days: int, attempts: int) -> dict[str, float]:
    return {"mealCount": meals, "trainingDaysPerWeek": days, "attempts": attempts}


def _true_seconds(meals: int, days: int, attempts: int) -> float:
    return 20.0 + 4.0 * meals + 2.5 * days + 60.0 * attempts


def test_fit_recovers_the_generating_coefficients() -> None:
    estimator = DurationEstimator()
    for meals, days, attempts in itertools.product((3, 4, 5, 6), (1, 4, 7), (1, 2, 3)):
        estimator.record(_features(meals, days, attempts), _true_seconds(meals, days, attempts))
    model = estimator.fit()
    assert model.base_seconds == pytest.approx(20.0, abs=1e-6)
    assert dict(model.weights) == pytest.approx(
        {"mealCount": 4.0, "trainingDaysPerWeek": 2.5, "attempts": 60.0}, abs=1e-6
    )
    assert estimator.predict(_features(5, 3, 2)) == pytest.approx(_true_seconds(5, 3, 2))


def test_a_feature_that_never_varies_gets_zero_weight() -> None:
    estimator = DurationEstimator(min_samples=2)
    for meals in (3, 4, 5, 6):
        estimator.record(_features(meals, 3, 1), 100.0 + 10.0 * meals)
    model = estimator.fit()
    assert model.weights["attempts"] == pytest.approx(0.0, abs=1e-6)
    assert model.weights["trainingDaysPerWeek"] == pytest.approx(0.0, abs=1e-6)
    assert model.predict(_features(5, 3, 1)) == pytest.approx(150.0)


def test_prior_is_used_until_enough_samples() -> None:
    estimator = DurationEstimator(prior=PRIOR, min_samples=3)
    estimator.record({"mealCount": 3, "attempts": 1}, 500.0)
    estimator.record({"mealCount": 4, "attempts": 1}, 600.0)
    assert estimator.fit() is PRIOR
    estimator.record({"mealCount": 5, "attempts": 1}, 700.0)
    assert estimator.predict({"mealCount": 6, "attempts": 1}) == pytest.approx(800.0)


def test_prediction_is_never_negative() -> None:
    model = EstimateModel(base_seconds=-50.0, weights={"mealCount": 1.0})
    assert model.predict({"mealCount": 3}) == 0.0


@pytest.mark.parametrize(
    ("predicted", "expected"),
    [(5.0, 60.0), (100.0, 300.0), (400.0, 900.0), (36_000.0, HARD_CAP_SECONDS)],
)
def test_max_wait_is_clamped(predicted: float, expected: float) -> None:
    assert MaxWaitPolicy(multiplier=3.0, floor_seconds=60.0).max_wait(predicted) == expected


def test_hard_cap_holds_when_the_estimator_predicts_more() -> None:
    slow_prior = EstimateModel(base_seconds=3600.0, weights={"attempts": 600.0})
    estimator = DurationEstimator(prior=slow_prior, policy=MaxWaitPolicy(multiplier=10))
    assert estimator.predict({"attempts": 3}) == 5400.0
    assert estimator.max_wait({"attempts": 3}) == HARD_CAP_SECONDS == 900.0


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"cap_seconds": HARD_CAP_SECONDS + 1}, "cap_seconds"),
        ({"cap_seconds": 0}, "cap_seconds"),
        ({"floor_seconds": 120, "cap_seconds": 60}, "floor_seconds"),
        ({"multiplier": 0}, "multiplier"),
    ],
)
def test_bad_policy_is_refused_naming_the_field(kwargs: dict[str, float], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        MaxWaitPolicy(**kwargs)


@pytest.mark.parametrize(
    ("features", "seconds", "named"),
    [
        ({"mealCount": 3}, 10.0, "attempts"),
        ({"mealCount": 3, "attempts": True}, 10.0, "attempts"),
        ({"mealCount": "3", "attempts": 1}, 10.0, "mealCount"),
        ({"mealCount": 3, "attempts": 1}, -1.0, "seconds"),
        ({"mealCount": 3, "attempts": 1}, math.nan, "seconds"),
    ],
)
def test_bad_sample_is_refused_naming_the_field(
    features: dict[str, object], seconds: float, named: str
) -> None:
    estimator = DurationEstimator(prior=PRIOR)
    with pytest.raises(ValueError, match=named):
        estimator.record(features, seconds)  # type: ignore[arg-type]
    assert estimator.samples == ()


def test_predict_names_a_missing_feature() -> None:
    with pytest.raises(ValueError, match="attempts"):
        PRIOR.predict({"mealCount": 3})


def test_recording_from_many_threads_loses_nothing() -> None:
    estimator = DurationEstimator(prior=PRIOR)

    def record_many() -> None:
        for index in range(200):
            estimator.record({"mealCount": 3, "attempts": 1}, float(index))

    threads = [threading.Thread(target=record_many) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(estimator.samples) == 1600


def test_suggestion_reports_fit_quality_and_a_covering_multiplier() -> None:
    estimator = DurationEstimator(min_samples=4)
    noise = (-30.0, 45.0, 0.0, 80.0, -10.0, 25.0)
    for index, jitter in enumerate(noise):
        meals = 3 + index % 4
        estimator.record(_features(meals, 3, 1), _true_seconds(meals, 3, 1) + jitter)
    suggestion = estimator.suggestion()
    assert suggestion.fitted and suggestion.sample_count == 6
    assert suggestion.rmse_seconds is not None and suggestion.rmse_seconds > 0
    assert suggestion.covering_multiplier is not None
    ratios = [s.seconds / suggestion.model.predict(s.features) for s in estimator.samples]
    assert max(ratios) <= suggestion.covering_multiplier < max(ratios) + 0.5
    reported = suggestion.as_dict()
    assert reported["samples"] == 6
    assert reported["fitted"] is True
    weights = reported["weights"]
    assert isinstance(weights, dict)
    assert set(weights) == {"mealCount", "trainingDaysPerWeek", "attempts"}
    assert reported["maxWait"] == {"multiplier": 3.0, "floorSeconds": 60.0, "capSeconds": 900.0}


def test_suggestion_without_samples_is_the_prior() -> None:
    suggestion = DurationEstimator(prior=PRIOR).suggestion()
    assert suggestion.model is PRIOR
    assert not suggestion.fitted
    assert suggestion.rmse_seconds is None and suggestion.covering_multiplier is None


def test_the_fit_never_suggests_a_negative_base_or_weight() -> None:
    estimator = DurationEstimator(min_samples=3)
    # long jobs with few meals and short ones with many: plain least squares goes negative
    for meals, attempts, seconds in ((3, 1, 90.0), (4, 1, 60.0), (5, 1, 30.0), (6, 1, 2.0), (3, 2, 150.0)):
        estimator.record({"mealCount": meals, "trainingDaysPerWeek": 3, "attempts": attempts}, seconds)

    model = estimator.fit()

    assert model.base_seconds >= 0
    assert all(weight >= 0 for weight in model.weights.values()), model.weights
    assert model.weights["attempts"] > 0
