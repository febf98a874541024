"""Weekly plans fitting a prompt's profile: catalogue, extraction, generation, defects."""

from __future__ import annotations
