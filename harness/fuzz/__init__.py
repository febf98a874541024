"""OpenAPI fuzzing of the documents a target publishes (docs/openapi.md, "Fuzzing").

    documents   which documents, where the target serves them, fetching one
    callers     who calls each operation, and with which headers
    allowances  the failures that are right (state-dependent refusals): an explicit list
    outcome     counts, failures with their reproduction, the report's verdict
    runner      schemathesis + Hypothesis over one document (imported only when fuzzing)

This package's `__init__` imports nothing: `harness` exports the light modules' names, and
schemathesis (a test dependency) is loaded only by `runner`.
"""
