"""The conformance suites, shipped with the package so a team's CI runs them from its own
repository (`plan-conformance run`, or `pytest --pyargs plan_conformance.scenarios`).

db      the queue contract in SQL        http    end to end through the HTTP surface
schema  the deployed schema, read-only   chaos   a run under a nemesis
fuzz    the target's OpenAPI documents
"""
