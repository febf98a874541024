"""The sign-in throttle's arithmetic on a fake clock: windows, Retry-After, take-backs, memory."""

from __future__ import annotations

from datetime import timedelta

from reference_impl.auth.sign_in_throttle import SignInThrottle, Throttled
from reference_impl.settings import SignInLimits


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def throttle(clock: FakeClock, *, email: int = 3, address: int = 10, window_s: int = 60) -> SignInThrottle:
    return SignInThrottle(SignInLimits(email, address, timedelta(seconds=window_s)), clock=clock)


def test_the_limit_is_reached_after_that_many_failures() -> None:
    clock = FakeClock()
    limiter = throttle(clock)

    outcomes = [limiter.begin("a@example.test", "10.0.0.1") for _ in range(4)]

    assert outcomes[:3] == [None, None, None]
    assert outcomes[3] == Throttled("email", 60)


def test_retry_after_is_when_enough_failures_have_left_the_window() -> None:
    clock = FakeClock()
    limiter = throttle(clock, email=2, window_s=60)
    limiter.begin("a@example.test", "10.0.0.1")
    clock.now += 20
    limiter.begin("a@example.test", "10.0.0.1")
    clock.now += 10.5

    refused = limiter.begin("a@example.test", "10.0.0.1")
    clock.now += 29.5
    allowed = limiter.begin("a@example.test", "10.0.0.1")

    assert refused == Throttled("email", 30)  # the first failure leaves the window 29.5 s later
    assert allowed is None


def test_emails_are_counted_case_insensitively_and_addresses_separately() -> None:
    clock = FakeClock()
    limiter = throttle(clock, email=2, address=3)
    limiter.begin("Ada@Example.test", "10.0.0.1")
    limiter.begin("ada@example.TEST", "10.0.0.2")

    assert limiter.begin("ada@example.test", "10.0.0.3") == Throttled("email", 60)
    limiter.begin("b@example.test", "10.0.0.1")
    limiter.begin("c@example.test", "10.0.0.1")
    assert limiter.begin("d@example.test", "10.0.0.1") == Throttled("address", 60)
    assert limiter.begin("d@example.test", "10.0.0.9") is None


def test_a_success_takes_back_its_own_count_only() -> None:
    clock = FakeClock()
    limiter = throttle(clock, email=2, address=2)
    limiter.begin("a@example.test", "10.0.0.1")
    limiter.begin("a@example.test", "10.0.0.1")
    limiter.succeeded("a@example.test", "10.0.0.1")

    assert limiter.begin("b@example.test", "10.0.0.1") is None  # one address failure left, one taken back
    assert limiter.begin("c@example.test", "10.0.0.1") == Throttled("address", 60)
    assert limiter.begin("a@example.test", "10.0.0.2") is None  # the email's failures were cleared


def test_a_limit_of_zero_is_off() -> None:
    clock = FakeClock()
    limiter = throttle(clock, email=0, address=0)

    assert all(limiter.begin("a@example.test", "10.0.0.1") is None for _ in range(100))


def test_memory_is_bounded_by_forgetting_the_least_recent_keys() -> None:
    clock = FakeClock()
    limiter = SignInThrottle(SignInLimits(1, 0, timedelta(seconds=60)), clock=clock, max_keys=3)
    for name in ("a", "b", "c", "d"):
        limiter.begin(f"{name}@example.test", "10.0.0.1")

    assert limiter.begin("a@example.test", "10.0.0.1") is None  # forgotten to make room for d
    assert limiter.begin("d@example.test", "10.0.0.1") == Throttled("email", 60)
