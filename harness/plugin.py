"""pytest plugin of the conformance harness (options, markers, header, fixtures)."""

from __future__ import annotations
