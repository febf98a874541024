"""The harness's root error: something the run needs cannot be set up.

HarnessSetupError                a run stops at start with one message naming the cause
 ├── ProvisioningError           (harness.db.errors) no PostgreSQL could be started or reached
 ├── MigrationError              (harness.db.errors) a migration file failed: file, line, SQL error
 └── TargetSetupError            a target setting is missing or malformed: names the option or variable
"""

from __future__ import annotations


class HarnessSetupError(Exception):
    """The harness cannot set up what the run needs; the message says why and what to do."""


class TargetSetupError(HarnessSetupError):
    """A target setting (option, ini value, environment or env file) is missing or wrong."""
