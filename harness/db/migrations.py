"""Migration folders (Supabase layout: `<timestamp>_<name>.sql`, applied in name order).

Each file runs in its own transaction. A failure stops everything with the file, the
line and PostgreSQL's message, which is what a developer needs to fix it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import psycopg

from harness.db.errors import MigrationError
from harness.errors import HarnessSetupError

SHIM_SQL = "supabase_shim.sql"


def reference_migrations_dir() -> Path:
    """The reference implementation's migrations, shipped with the package."""
    return Path(str(resources.files("reference_impl"))) / "supabase" / "migrations"


@dataclass(frozen=True)
class MigrationSet:
    """The ordered .sql files of one folder, and a label for reports."""

    label: str
    folder: Path
    files: tuple[Path, ...]

    @classmethod
    def from_folder(cls, folder: Path, *, label: str | None = None) -> MigrationSet:
        folder = folder.expanduser()
        if not folder.is_dir():
            raise HarnessSetupError(f"--migrations {folder}: no such directory")
        files = tuple(sorted(folder.glob("*.sql"), key=lambda path: path.name))
        if not files:
            raise HarnessSetupError(f"--migrations {folder}: the folder has no .sql files")
        return cls(label or str(folder), folder, files)

    @classmethod
    def reference(cls) -> MigrationSet:
        return cls.from_folder(reference_migrations_dir(), label="reference")

    def describe(self) -> str:
        return f"{self.label} ({len(self.files)} files)"

    def apply(self, conn: psycopg.Connection[Any]) -> None:
        for path in self.files:
            apply_file(conn, path, self.folder)


def shim_sql() -> str:
    return resources.files("harness.db").joinpath("sql", SHIM_SQL).read_text(encoding="utf-8")


def apply_shim(conn: psycopg.Connection[Any]) -> None:
    """Create what a Supabase database has (roles, auth schema) where it is missing, then the
    storage of the reference service's GoTrue stand-in (`reference_impl/auth/storage.sql`)."""
    _run_script(conn, shim_sql(), f"harness shim {SHIM_SQL}")
    storage = resources.files("reference_impl.auth").joinpath("storage.sql").read_text(encoding="utf-8")
    _run_script(conn, storage, "reference_impl/auth/storage.sql")


def apply_file(conn: psycopg.Connection[Any], path: Path, folder: Path) -> None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise MigrationError(str(path), None, f"cannot read the file: {error}") from error
    shown = path.relative_to(folder.parent) if path.is_relative_to(folder.parent) else path
    _run_script(conn, text, str(shown))


def _run_script(conn: psycopg.Connection[Any], text: str, name: str) -> None:
    try:
        with conn.transaction():
            conn.execute(text.encode("utf-8"))
    except psycopg.Error as error:
        raise MigrationError(name, _error_line(text, error), _describe(error)) from error


def _error_line(text: str, error: psycopg.Error) -> int | None:
    """The line PostgreSQL points at; else the first line naming what the message quotes."""
    position = error.diag.statement_position  # in characters, not bytes
    if position:
        return text[: int(position) - 1].count("\n") + 1
    for quoted in re.findall(r'"([^"]+)"', error.diag.message_primary or ""):
        index = text.find(quoted)
        if index >= 0:
            return text[:index].count("\n") + 1
    return None


def _describe(error: psycopg.Error) -> str:
    primary = error.diag.message_primary or str(error).strip().splitlines()[0]
    parts = [f"{error.sqlstate or 'error'}: {primary}"]
    if error.diag.message_detail:
        parts.append(f"detail: {error.diag.message_detail}")
    if error.diag.context:
        parts.append(f"context: {error.diag.context.strip().splitlines()[0]}")
    return "; ".join(parts)
