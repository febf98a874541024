"""Database errors that stop a run at start (the root is `harness.errors.HarnessSetupError`).

ProvisioningError   no PostgreSQL could be started or reached as asked
MigrationError      a migration file failed: names the file, line and SQL error
"""

from __future__ import annotations

from harness.errors import HarnessSetupError


class ProvisioningError(HarnessSetupError):
    """PostgreSQL could not be started or reached with the requested provider."""


class MigrationError(HarnessSetupError):
    """A migration failed to apply."""

    def __init__(self, file: str, line: int | None, sql_error: str) -> None:
        where = f"{file}:{line}" if line is not None else file
        super().__init__(f"migration {where} failed: {sql_error}")
        self.file = file
        self.line = line
        self.sql_error = sql_error
