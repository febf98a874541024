"""Throttling failed password sign-ins per email and per client address.

Each password grant is counted as a failure under its (lower-case) email and under the
client's address when it starts, so concurrent guesses are counted too, and the count is
taken back when the password turns out right. Once either count has reached its limit
within the window, every password grant for that email or from that address is refused
(429, before any password is hashed) until enough failures have left the window;
`retry_after_s` says when. A success clears the email's failures but takes back only its
own count from the address (one good account must not launder an address).

State is in memory, per service process, like GoTrue's own limiter; the number of
emails and addresses remembered is bounded, the least recently failing forgotten first.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

from reference_impl.settings import SignInLimits

MAX_TRACKED_KEYS = 50_000


@dataclass(frozen=True)
class Throttled:
    """A refused sign-in: which limit was reached and when to try again."""

    limit: str  # "email" or "address"
    retry_after_s: int


class _FailureLog:
    """Failure times per key within the window, for a bounded number of keys."""

    def __init__(self, max_keys: int) -> None:
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._max_keys = max_keys

    def recent(self, key: str, now: float, window_s: float) -> deque[float]:
        times = self._failures.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now - window_s:
            times.popleft()
        if not times:
            del self._failures[key]
        return times

    def add(self, key: str, now: float) -> None:
        times = self._failures.setdefault(key, deque())
        times.append(now)
        self._failures.move_to_end(key)
        while len(self._failures) > self._max_keys:
            self._failures.popitem(last=False)

    def clear(self, key: str) -> None:
        self._failures.pop(key, None)

    def take_back(self, key: str) -> None:
        """Forget the latest failure of `key`."""
        times = self._failures.get(key)
        if times:
            times.pop()
            if not times:
                del self._failures[key]


class SignInThrottle:
    """The failure history of one service process and the limits it enforces."""

    def __init__(
        self,
        limits: SignInLimits,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = MAX_TRACKED_KEYS,
    ) -> None:
        self.limits = limits
        self._clock = clock
        self._by_email = _FailureLog(max_keys)
        self._by_address = _FailureLog(max_keys)

    def begin(self, email: str, address: str) -> Throttled | None:
        """Start a sign-in for `email` from `address`: counted as a failure until
        `succeeded`, or refused (`Throttled`) when a limit has been reached."""
        now = self._clock()
        window_s = self.limits.window.total_seconds()
        for limit, log, key, maximum in (
            ("email", self._by_email, email.lower(), self.limits.max_failures_per_email),
            ("address", self._by_address, address, self.limits.max_failures_per_address),
        ):
            if maximum <= 0:
                continue
            recent = log.recent(key, now, window_s)
            if len(recent) >= maximum:
                # Allowed again once enough failures have left the window to drop below the limit.
                frees_at = recent[len(recent) - maximum] + window_s
                return Throttled(limit, max(1, math.ceil(frees_at - now)))
        if self.limits.max_failures_per_email > 0:
            self._by_email.add(email.lower(), now)
        if self.limits.max_failures_per_address > 0:
            self._by_address.add(address, now)
        return None

    def succeeded(self, email: str, address: str) -> None:
        """The password was right: forget the email's failures and this attempt's count."""
        self._by_email.clear(email.lower())
        self._by_address.take_back(address)
