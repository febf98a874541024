"""The run's seed and the seeds derived from it: one per test, one per named use.

`--seed N` is the run's seed (default `DEFAULT_SEED`, the one home of that number). Nothing
random in a test draws from a generator shared across tests: each test gets a seed derived
from the run's seed and its node id, so a test's draws do not depend on which tests ran
before it in the same process (xdist schedules tests onto workers differently from run to
run). `pytest --seed N -k name` therefore replays a test's profiles exactly, alone or in a
bigger run, with or without xdist (docs/decisions.md H27).
"""

from __future__ import annotations

import hashlib

DEFAULT_SEED = 20251130


def derived_seed(run_seed: int, name: str) -> int:
    """A 63-bit seed for `name` (a test's node id, or a use such as "fault-path probe"),
    fixed by the run's seed and the name alone."""
    digest = hashlib.sha256(f"{run_seed}\n{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1
