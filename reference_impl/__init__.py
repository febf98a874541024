"""Reference implementation of the plan-generation job queue and pipeline (DESIGN §3)."""

from __future__ import annotations
