"""The target's OpenAPI documents, fuzzed with schemathesis."""
