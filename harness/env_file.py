"""`KEY=VALUE` files (`--env-file`, `--functions-env-file`), read one way everywhere.

A line with an empty value (`NAME=`) leaves the variable unset, as a blank setting means
"the default" in every service of the project; a missing file is an error naming the option.
"""

from __future__ import annotations

from pathlib import Path

from dotenv import dotenv_values


class EnvFileMissing(FileNotFoundError):
    """The file an option names does not exist."""

    def __init__(self, option: str, path: Path) -> None:
        super().__init__(f"{option} {path}: no such file")
        self.option = option


def read_env_file(path: Path, *, option: str) -> dict[str, str]:
    """The file's variables that have a value."""
    path = path.expanduser()
    if not path.is_file():
        raise EnvFileMissing(option, path)
    return {key: value for key, value in dotenv_values(path).items() if value}
