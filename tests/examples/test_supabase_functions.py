"""The TypeScript Edge Functions in `examples/supabase/functions` type-check, lint, are
formatted, and pass their own `deno test` unit tests, with the Deno from the `deno` package."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

deno = pytest.importorskip("deno", reason="the deno package is not installed (pip install deno)")

FUNCTIONS = Path(__file__).resolve().parents[2] / "examples" / "supabase" / "functions"
COMMANDS = (
    ("check", "--frozen", "."),
    ("lint",),
    ("fmt", "--check"),
    ("test", "--frozen", "--allow-net=127.0.0.1", "--allow-env"),
)
COMMAND_TIMEOUT_S = 300


@pytest.mark.slow
def test_the_functions_pass_deno_check_lint_fmt_and_their_unit_tests() -> None:
    binary = deno.find_deno_bin()
    env = {**os.environ, "NO_COLOR": "1", "DENO_NO_UPDATE_CHECK": "1"}
    failures = []
    for command in COMMANDS:
        result = subprocess.run(
            [binary, *command],
            cwd=FUNCTIONS,
            env=env,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_S,
            check=False,
        )
        if result.returncode != 0:
            output = (result.stdout + result.stderr)[-4000:]
            failures.append(f"deno {' '.join(command)} exited {result.returncode}:\n{output}")
    assert not failures, "\n\n".join(failures)
