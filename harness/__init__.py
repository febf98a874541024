"""Conformance harness: pytest plugin and library.

Targets, Postgres provisioning, clients, the plan oracle, history checkers and reports.
"""
