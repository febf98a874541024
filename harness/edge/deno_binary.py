"""The Deno executable: from the `deno` PyPI package (a dependency), its version, its cache.

Dependencies (`npm:` imports) are fetched once into a cache shared by every run of this user
(`$XDG_CACHE_HOME/plan-conformance/deno`, or `PLAN_CONFORMANCE_DENO_DIR`), so later runs start
without the registry.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from harness.errors import HarnessSetupError

CACHE_ENV = "PLAN_CONFORMANCE_DENO_DIR"


@dataclass(frozen=True)
class Deno:
    """A Deno that starts: its executable, version and cache directory."""

    executable: Path
    version: str
    cache_dir: Path

    @classmethod
    def find(cls) -> Deno:
        try:
            import deno as deno_package
        except ImportError:
            raise HarnessSetupError(
                "Deno is not installed: the `deno` package is a dependency of plan-conformance "
                "(pip install -e '.[test]' installs it)"
            ) from None
        executable = Path(deno_package.find_deno_bin())
        try:
            completed = subprocess.run(
                [str(executable), "--version"], capture_output=True, text=True, timeout=60, check=False
            )
        except OSError as error:
            raise HarnessSetupError(f"Deno at {executable} cannot start: {error.strerror}") from None
        if completed.returncode != 0:
            lines = (completed.stderr or completed.stdout).strip().splitlines()
            detail = lines[-1] if lines else "no output"
            code = completed.returncode
            raise HarnessSetupError(f"Deno at {executable} cannot start (exit {code}): {detail}")
        version = completed.stdout.split()[1] if completed.stdout.startswith("deno ") else "unknown"
        return cls(executable, version, cache_dir())

    def environment(self) -> dict[str, str]:
        """What every Deno process of the harness runs with: the shared cache, no colours."""
        return {
            "DENO_DIR": str(self.cache_dir),
            "NO_COLOR": "1",
            "DENO_NO_UPDATE_CHECK": "1",
            "RUST_BACKTRACE": "0",
        }


def cache_dir() -> Path:
    given = os.environ.get(CACHE_ENV)
    if given:
        return Path(given).expanduser()
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "plan-conformance" / "deno"
