"""PostgreSQL for the harness: providers (embedded, system, testcontainers, DSN), the
Supabase shim, migrations, and scratch databases per run and per xdist worker."""

from __future__ import annotations

from harness.db.errors import MigrationError, ProvisioningError
from harness.db.server import PostgresServer

__all__ = ["MigrationError", "PostgresServer", "ProvisioningError"]
