"""Conformance harness: pytest plugin and library (targets, Postgres provisioning, clients, oracle, reports)."""
