"""Schema conformance: the target database, reflected, against the contract (read-only)."""
