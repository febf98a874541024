"""Schema conformance: the queue's schema as the contract needs it, a database's schema as
reflected (SQLAlchemy's inspector and catalog queries), and the comparison of the two.

- `contract`: the expected schema, as data (the one module to update with the contract);
- `model`: the shapes it is written in;
- `reflect`: a database's schema, read-only;
- `snapshot`: the reflected schema's shapes;
- `compare`: one line per difference, with what usually fixes it.
"""

from __future__ import annotations

from harness.schema.compare import AREAS, Mismatch, compare
from harness.schema.contract import QUEUE_SCHEMA
from harness.schema.model import SchemaContract
from harness.schema.reflect import SchemaReflectionError, reflect
from harness.schema.snapshot import SchemaSnapshot

__all__ = [
    "AREAS",
    "QUEUE_SCHEMA",
    "Mismatch",
    "SchemaReflectionError",
    "SchemaSnapshot",
    "compare",
    "reflect",
    "schema_mismatches",
]


def schema_mismatches(
    snapshot: SchemaSnapshot, area: str, contract: SchemaContract = QUEUE_SCHEMA
) -> list[str]:
    """One line per difference of `area` (see AREAS) between the contract and the snapshot."""
    return [mismatch.line() for mismatch in compare(contract, snapshot, area)]
