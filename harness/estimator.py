"""The plan-time estimator: learns job duration from job features and bounds the wait.

A job's duration is modelled as `base_seconds + sum(weight[f] * feature[f])`, fitted by
least squares over recorded jobs (features: `mealCount`, `trainingDaysPerWeek`, `attempts`).
The plan-building screen waits at most `clamp(multiplier * predicted, floor, cap)`, and the
cap can never exceed the 15-minute hard cap.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

HARD_CAP_SECONDS = 15 * 60.0
FEATURE_NAMES: tuple[str, ...] = ("mealCount", "trainingDaysPerWeek", "attempts")
_RIDGE = 1e-9


def _frozen(weights: Mapping[str, float]) -> Mapping[str, float]:
    return MappingProxyType(dict(weights))


@dataclass(frozen=True)
class EstimateModel:
    """A duration model: the configuration the app's estimator runs with."""

    base_seconds: float
    weights: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "weights", _frozen(self.weights))

    def predict(self, features: Mapping[str, float]) -> float:
        """Predicted seconds for a job with `features` (never negative)."""
        missing = [name for name in self.weights if name not in features]
        if missing:
            raise ValueError(f"features lack {missing}; the model needs {list(self.weights)}")
        total = self.base_seconds + sum(w * features[name] for name, w in self.weights.items())
        return max(0.0, total)


DEFAULT_PRIOR = EstimateModel(
    base_seconds=30.0, weights={"mealCount": 5.0, "trainingDaysPerWeek": 3.0, "attempts": 45.0}
)


@dataclass(frozen=True)
class MaxWaitPolicy:
    """`max_wait = clamp(multiplier * predicted, floor_seconds, cap_seconds)`."""

    multiplier: float = 3.0
    floor_seconds: float = 60.0
    cap_seconds: float = HARD_CAP_SECONDS

    def __post_init__(self) -> None:
        if not self.multiplier > 0:
            raise ValueError(f"multiplier must be > 0, got {self.multiplier}")
        if not 0 < self.cap_seconds <= HARD_CAP_SECONDS:
            raise ValueError(f"cap_seconds must be in (0, {HARD_CAP_SECONDS:g}], got {self.cap_seconds}")
        if not 0 <= self.floor_seconds <= self.cap_seconds:
            raise ValueError(
                f"floor_seconds must be in [0, cap_seconds={self.cap_seconds:g}], got {self.floor_seconds}"
            )

    def max_wait(self, predicted_seconds: float) -> float:
        wait = min(max(self.multiplier * predicted_seconds, self.floor_seconds), self.cap_seconds)
        return min(wait, HARD_CAP_SECONDS)


@dataclass(frozen=True)
class DurationSample:
    features: Mapping[str, float]
    seconds: float


@dataclass(frozen=True)
class EstimatorSuggestion:
    """What to configure the app's estimator with, and how well it fits the recorded jobs.

    `covering_multiplier` is the smallest multiplier (in steps of 0.5) for which no recorded
    job took longer than `multiplier * predicted`; None without samples.
    """

    model: EstimateModel
    fitted: bool
    sample_count: int
    rmse_seconds: float | None
    covering_multiplier: float | None
    policy: MaxWaitPolicy

    def as_dict(self) -> dict[str, object]:
        return {
            "baseSeconds": round(self.model.base_seconds, 3),
            "weights": {name: round(w, 3) for name, w in self.model.weights.items()},
            "fitted": self.fitted,
            "samples": self.sample_count,
            "rmseSeconds": None if self.rmse_seconds is None else round(self.rmse_seconds, 3),
            "coveringMultiplier": self.covering_multiplier,
            "maxWait": {
                "multiplier": self.policy.multiplier,
                "floorSeconds": self.policy.floor_seconds,
                "capSeconds": self.policy.cap_seconds,
            },
        }


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    """Solve a small symmetric positive-definite system by Gaussian elimination."""
    size = len(vector)
    rows = [[*row, value] for row, value in zip(matrix, vector, strict=True)]
    for col in range(size):
        pivot = max(range(col, size), key=lambda r: abs(rows[r][col]))
        rows[col], rows[pivot] = rows[pivot], rows[col]
        for r in range(col + 1, size):
            factor = rows[r][col] / rows[col][col]
            for c in range(col, size + 1):
                rows[r][c] -= factor * rows[col][c]
    solution = [0.0] * size
    for r in reversed(range(size)):
        known = sum(rows[r][c] * solution[c] for c in range(r + 1, size))
        solution[r] = (rows[r][size] - known) / rows[r][r]
    return solution


def fit_least_squares(
    samples: Sequence[DurationSample], names: Sequence[str], *, intercept: bool = True
) -> EstimateModel:
    """Ordinary least squares (with an intercept unless told otherwise); a feature that
    never varies gets weight 0."""
    count = len(samples)
    if intercept:
        means = [sum(s.features[name] for s in samples) / count for name in names]
        mean_y = sum(s.seconds for s in samples) / count
    else:
        means, mean_y = [0.0] * len(names), 0.0
    centred = [[s.features[n] - m for n, m in zip(names, means, strict=True)] for s in samples]
    ys = [s.seconds - mean_y for s in samples]
    gram = [
        [sum(x[i] * x[j] for x in centred) + (_RIDGE if i == j else 0.0) for j in range(len(names))]
        for i in range(len(names))
    ]
    moment = [sum(x[i] * y for x, y in zip(centred, ys, strict=True)) for i in range(len(names))]
    weights = _solve(gram, moment) if names else []
    base = mean_y - sum(w * m for w, m in zip(weights, means, strict=True))
    return EstimateModel(base_seconds=base, weights=dict(zip(names, weights, strict=True)))


def fit_non_negative(samples: Sequence[DurationSample], names: Sequence[str]) -> EstimateModel:
    """Least squares with a base and weights that are never negative (an app configured with
    "-50 s, plus 13 s per meal" would show nonsense): a negative base is fixed at 0, and the
    most negative weight's feature is dropped (weight 0) until none is left negative."""
    active = list(names)
    intercept = True
    while True:
        model = fit_least_squares(samples, active, intercept=intercept)
        if intercept and model.base_seconds < 0:
            intercept = False
            continue
        negative = sorted((weight, name) for name, weight in model.weights.items() if weight < 0)
        if not negative:
            return EstimateModel(
                base_seconds=max(model.base_seconds, 0.0),
                weights={name: model.weights.get(name, 0.0) for name in names},
            )
        active.remove(negative[0][1])


class DurationEstimator:
    """Thread-safe recorder of job durations that fits, predicts and suggests a configuration.

    Until `min_samples` jobs are recorded it predicts with `prior` (the static assumptions).
    """

    def __init__(
        self,
        prior: EstimateModel = DEFAULT_PRIOR,
        policy: MaxWaitPolicy | None = None,
        min_samples: int = 5,
    ) -> None:
        if min_samples < 1:
            raise ValueError(f"min_samples must be >= 1, got {min_samples}")
        self._prior = prior
        self._policy = policy or MaxWaitPolicy()
        self._min_samples = min_samples
        self._samples: list[DurationSample] = []
        self._lock = threading.Lock()

    @property
    def samples(self) -> tuple[DurationSample, ...]:
        with self._lock:
            return tuple(self._samples)

    def record(self, features: Mapping[str, float], seconds: float) -> None:
        """Record one finished job; its features must include every feature the model uses."""
        if not (math.isfinite(seconds) and seconds >= 0):
            raise ValueError(f"seconds must be a finite number >= 0, got {seconds}")
        kept: dict[str, float] = {}
        for name in self._prior.weights:
            value = features.get(name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"feature {name!r} must be a number, got {value!r}")
            kept[name] = float(value)
        with self._lock:
            self._samples.append(DurationSample(MappingProxyType(kept), float(seconds)))

    def fit(self) -> EstimateModel:
        samples = self.samples
        if len(samples) < self._min_samples:
            return self._prior
        return fit_non_negative(samples, list(self._prior.weights))

    def predict(self, features: Mapping[str, float]) -> float:
        return self.fit().predict(features)

    def max_wait(self, features: Mapping[str, float]) -> float:
        """How long the plan-building screen should wait for a job with `features`."""
        return self._policy.max_wait(self.predict(features))

    def suggestion(self) -> EstimatorSuggestion:
        """The model in use (fitted, or the prior while too few jobs are recorded), judged
        against every recorded job."""
        samples = self.samples
        model = self.fit()
        fitted = len(samples) >= self._min_samples
        rmse: float | None = None
        covering: float | None = None
        if samples:
            predicted = [model.predict(s.features) for s in samples]
            errors = [p - s.seconds for p, s in zip(predicted, samples, strict=True)]
            rmse = math.sqrt(sum(e * e for e in errors) / len(errors))
            ratios = [s.seconds / p for p, s in zip(predicted, samples, strict=True) if p > 0]
            covering = math.ceil(max(ratios) * 2) / 2 if ratios else None
        return EstimatorSuggestion(model, fitted, len(samples), rmse, covering, self._policy)
