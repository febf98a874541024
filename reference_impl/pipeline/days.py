"""The seven day keys of a weekly plan, Monday first (docs/contract.md "Targets and the plan")."""

from __future__ import annotations

DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
