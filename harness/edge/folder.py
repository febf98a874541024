"""A Supabase functions folder: `<name>/index.ts` per function, shared code in `_shared/`.

The suite needs `create-plan-job` and `process-plan-queue`; other functions in the folder are
served too. Folders starting with `_` or `.` hold shared code, not functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.errors import HarnessSetupError

REQUIRED = ("create-plan-job", "process-plan-queue")
ENTRY = "index.ts"


@dataclass(frozen=True)
class FunctionsFolder:
    """A validated functions folder and the functions in it."""

    path: Path
    functions: tuple[str, ...]

    @classmethod
    def open(cls, given: Path) -> FunctionsFolder:
        path = given.expanduser().resolve()
        if not path.is_dir():
            raise HarnessSetupError(f"--functions {path}: no such directory")
        for name in REQUIRED:
            entry = path / name / ENTRY
            if not entry.is_file():
                raise HarnessSetupError(
                    f"--functions {path}: {entry} is missing; the suite needs the functions "
                    f"{' and '.join(REQUIRED)}, each as <name>/{ENTRY}"
                )
        functions = sorted(
            child.name
            for child in path.iterdir()
            if child.is_dir() and not child.name.startswith(("_", ".")) and (child / ENTRY).is_file()
        )
        return cls(path, tuple(functions))

    def entry(self, name: str) -> Path:
        return self.path / name / ENTRY
