"""Run SQL as an API caller the way PostgREST does: one transaction, role and JWT claims set locally.

Shared by the harness (scenarios act as users) and the reference service (every
database call runs as the request's caller), which may not import each other.
"""

from __future__ import annotations

from pgcaller._caller import Caller, as_caller, as_caller_async

__all__ = ["Caller", "as_caller", "as_caller_async"]
