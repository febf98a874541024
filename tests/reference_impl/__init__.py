"""Tests of the reference service."""

from __future__ import annotations
