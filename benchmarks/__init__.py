"""Benchmark scripts; each prints its figures (run them as scripts, not as tests)."""

from __future__ import annotations
