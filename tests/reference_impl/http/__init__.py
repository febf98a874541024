"""Tests of the reference service's Supabase-compatible HTTP surface: JWTs, `/rest/v1`, `/auth/v1`."""

from __future__ import annotations
