"""Reading `KEY=VALUE` environment files (comments, blank lines, optional quotes)."""

from __future__ import annotations

from pathlib import Path


class EnvFileError(ValueError):
    """A line of the file is not KEY=VALUE; names the file and line, never the value."""


def read_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("export "):
            stripped = stripped[len("export ") :].lstrip()
        name, equals, value = stripped.partition("=")
        name = name.strip()
        if not equals or not name.replace("_", "").isalnum():
            raise EnvFileError(f"{path}:{number}: expected KEY=VALUE")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[name] = value
    return values
