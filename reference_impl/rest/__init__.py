"""The reference service's `/rest/v1`: a PostgREST stand-in for table reads and function calls.

The parent mounts `create_rest_app()` at `/rest/v1`; `status_for_sqlstate` is PostgREST's
mapping of database errors to HTTP statuses, for other surfaces that call SQL functions.
"""

from __future__ import annotations

from reference_impl.rest.app import create_rest_app
from reference_impl.rest.errors import PostgrestError, status_for_sqlstate

__all__ = ["PostgrestError", "create_rest_app", "status_for_sqlstate"]
