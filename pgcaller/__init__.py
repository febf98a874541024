"""Run SQL as an API caller the way PostgREST does: one transaction, role and JWT claims set locally.

Shared by the harness (scenarios act as users) and the reference service (every
database call runs as the request's caller), which may not import each other.
`execute_as` runs one statement in one round trip; `as_caller` opens a transaction for a
block of statements.
"""

from __future__ import annotations

from pgcaller._caller import Caller
from pgcaller._convention import as_caller, as_caller_async, execute_as, execute_as_async

__all__ = ["Caller", "as_caller", "as_caller_async", "execute_as", "execute_as_async"]
