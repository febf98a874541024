"""The plan oracle: targets formula and plan validity rules of docs/contract.md "Targets and the plan".

Written from docs/contract.md alone, independently of `reference_impl/`'s validator, so that a bug in
the implementation under test cannot hide in shared code.
"""

from __future__ import annotations

from harness.oracle.diet import forbidden_word
from harness.oracle.plan import DAY_NAMES, Day, DayName, WeeklyPlan
from harness.oracle.profile import Profile, ProfileError, parse_profile
from harness.oracle.rules import PlanRule, PlanVerdict, Violation, check_plan
from harness.oracle.targets import Targets, compute_targets

__all__ = [
    "DAY_NAMES",
    "Day",
    "DayName",
    "PlanRule",
    "PlanVerdict",
    "Profile",
    "ProfileError",
    "Targets",
    "Violation",
    "WeeklyPlan",
    "check_plan",
    "compute_targets",
    "forbidden_word",
    "parse_profile",
]
