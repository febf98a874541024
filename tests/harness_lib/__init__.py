"""Unit tests of the harness library modules (oracle, profiles, estimator, poller, history, ...)."""

from __future__ import annotations
