"""The seven day keys of a weekly plan, Monday first (DESIGN §3.5)."""

from __future__ import annotations

DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
