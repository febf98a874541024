"""A throw-away PostgreSQL cluster from server binaries: initdb, start on loopback, stop, delete.

Used by the `embedded` and `system` providers. The cluster lives in a fresh directory
under `<tmp>/plan-conformance-pg/` (which must belong to this user alone); it listens on
127.0.0.1 and a free port only, with a random superuser password (scram: other local
accounts get nothing), and with durability switched off (a test database needs speed,
not crash safety) unless it is asked to be `durable` (a chaos run that restarts it with
an immediate shutdown: fsync, synchronous_commit and full_page_writes on, so every commit
the server acknowledged survives; see docs/chaos.md). As root, the server runs as an
unprivileged user (`postgres` if it exists, else `nobody`), because PostgreSQL refuses to
run as root.

Nothing is left behind: `stop()` shuts the server down and deletes the directory; the
postmaster gets SIGQUIT if the harness process dies first (PR_SET_PDEATHSIG); and each
start sweeps directories whose harness process is gone.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pwd
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from harness.db.binaries import ServerBinaries, reachable_by_others, shared_copy
from harness.db.errors import ProvisioningError

CLUSTERS_ROOT = Path(tempfile.gettempdir()) / "plan-conformance-pg"
OWNER_FILE = "owner.pid"
SUPERUSER = "postgres"

# Speed over durability, and enough connections for 8 claimers x xdist workers x services.
SERVER_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "300",
    "shared_buffers": "128MB",
    "log_min_messages": "warning",
    "log_min_error_statement": "panic",
}

# What a durable cluster changes: an acknowledged commit is on disk before the answer; and
# frequent checkpoints, so the crash recovery after an immediate restart stays short.
DURABLE_SETTINGS = {
    "fsync": "on",
    "synchronous_commit": "on",
    "full_page_writes": "on",
    "checkpoint_timeout": "30s",
}

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Runs in the child before exec: SIGQUIT (immediate shutdown) when the harness dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGQUIT)


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def server_os_user() -> str | None:
    """The OS user the server runs as: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    for name in (os.environ.get("PLAN_CONFORMANCE_PG_OS_USER"), "postgres", "nobody"):
        if name:
            try:
                pwd.getpwnam(name)
            except KeyError:
                continue
            return name
    raise ProvisioningError(
        "running as root, and neither a 'postgres' nor a 'nobody' user exists to run "
        "PostgreSQL as; set PLAN_CONFORMANCE_PG_OS_USER to an unprivileged user"
    )


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_postmaster_of(pid: int, data_dir: Path) -> bool:
    """Whether `pid` is a postgres process serving `data_dir` (never signal anything else)."""
    try:
        arguments = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return bool(arguments) and arguments[0].endswith(b"postgres") and str(data_dir).encode() in arguments


def prepare_root(root: Path) -> None:
    """Create the clusters' root, or check that nobody else controls it: it must be ours and
    writable by us alone (another user could otherwise plant data or binaries in it)."""
    root.mkdir(mode=0o755, parents=True, exist_ok=True)
    info = root.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o022:
        raise ProvisioningError(
            f"{root} must be a directory owned by this user and writable by it alone; "
            "remove it, or set TMPDIR to another directory"
        )
    root.chmod(0o755)


def sweep_abandoned_clusters(root: Path = CLUSTERS_ROOT) -> list[Path]:
    """Stop and delete clusters whose harness process no longer exists."""
    removed: list[Path] = []
    if not root.is_dir():
        return removed
    for cluster_dir in root.glob("run-*"):
        owner = cluster_dir / OWNER_FILE
        try:
            owner_pid = int(owner.read_text().strip())
        except (OSError, ValueError):
            owner_pid = -1
        if owner_pid > 0 and _pid_alive(owner_pid):
            continue
        data_dir = cluster_dir / "data"
        with contextlib.suppress(OSError, ValueError, IndexError):
            server_pid = int((data_dir / "postmaster.pid").read_text().splitlines()[0])
            if _is_postmaster_of(server_pid, data_dir):
                os.kill(server_pid, signal.SIGQUIT)
        shutil.rmtree(cluster_dir, ignore_errors=True)
        removed.append(cluster_dir)
    return removed


@dataclass
class LocalCluster:
    """One cluster: `start()` returns when it accepts connections; `stop()` removes it all;
    `restart()` stops it as a crash would and starts it again on the same port."""

    binaries: ServerBinaries
    root: Path = CLUSTERS_ROOT
    durable: bool = False
    directory: Path | None = None
    port: int | None = None
    password: str = field(default_factory=lambda: secrets.token_urlsafe(24), repr=False)
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _launch_as: tuple[ServerBinaries, str | None] | None = field(default=None, repr=False)

    @property
    def settings(self) -> dict[str, str]:
        return {**SERVER_SETTINGS, **(DURABLE_SETTINGS if self.durable else {})}

    def start(self, *, ready_timeout: float = 30.0) -> None:
        prepare_root(self.root)
        sweep_abandoned_clusters(self.root)
        os_user = server_os_user()
        binaries = self.binaries
        if os_user is not None and not reachable_by_others(binaries.bin_dir):
            binaries = shared_copy(binaries, self.root / "installs")
        if os_user is not None and not reachable_by_others(self.root):
            raise ProvisioningError(
                f"PostgreSQL runs as the unprivileged user {os_user!r} (the harness runs as root), "
                f"who cannot reach {self.root}; set TMPDIR to a directory every user can traverse, "
                "such as /tmp"
            )
        # named run-* only once it has its owner file, so a concurrent sweep never takes it
        staging = Path(tempfile.mkdtemp(prefix=f".new-{os.getpid()}-", dir=self.root))
        (staging / OWNER_FILE).write_text(str(os.getpid()))
        self.directory = staging.rename(self.root / f"run-{staging.name.removeprefix('.new-')}")
        data_dir = self.directory / "data"
        if os_user is not None:
            entry = pwd.getpwnam(os_user)
            os.chown(self.directory, entry.pw_uid, entry.pw_gid)
        try:
            self._initdb(binaries, data_dir, os_user)
            self._launch_as = (binaries, os_user)
            self.port = free_loopback_port()
            self._launch(ready_timeout)
        except BaseException:
            self.stop()
            raise

    def restart(self, *, ready_timeout: float | None = 30.0) -> None:
        """An immediate shutdown (SIGQUIT: no checkpoint, crash recovery at the next start),
        then the same cluster on the same port; with `ready_timeout` None it returns once the
        new server runs, before it accepts connections. The thread that calls it must outlive
        the server (PR_SET_PDEATHSIG follows the thread that started it)."""
        if self._process is None or self._launch_as is None or self.directory is None:
            raise ProvisioningError("restart() needs a cluster that start() started")
        process, self._process = self._process, None
        if process.poll() is None:
            process.send_signal(signal.SIGQUIT)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._launch(ready_timeout)

    def _initdb(self, binaries: ServerBinaries, data_dir: Path, os_user: str | None) -> None:
        assert self.directory is not None
        # a password even on loopback: other local accounts must not get a superuser session
        password_file = self.directory / "superuser.pw"
        descriptor = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write(self.password + "\n")
        if os_user is not None:
            entry = pwd.getpwnam(os_user)
            os.chown(password_file, entry.pw_uid, entry.pw_gid)
        command = [
            str(binaries.program("initdb")),
            "-D",
            str(data_dir),
            "-U",
            SUPERUSER,
            "--auth=scram-sha-256",
            f"--pwfile={password_file}",
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",
            "--no-instructions",
        ]
        result = subprocess.run(command, user=os_user, capture_output=True, text=True, check=False)
        password_file.unlink()
        if result.returncode != 0:
            raise ProvisioningError(
                f"initdb ({binaries.origin}, {binaries.bin_dir}) failed with exit code "
                f"{result.returncode}: {(result.stderr or result.stdout).strip()[-800:]}"
            )

    def _launch(self, ready_timeout: float | None) -> None:
        assert self.directory is not None and self._launch_as is not None and self.port is not None
        binaries, os_user = self._launch_as
        data_dir = self.directory / "data"
        command = [
            str(binaries.program("postgres")),
            "-D",
            str(data_dir),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-k",
            str(self.directory),
        ]
        for name, value in self.settings.items():
            command += ["-c", f"{name}={value}"]
        log_path = self.directory / "server.log"
        with open(log_path, "ab") as log:
            self._process = subprocess.Popen(
                command,
                user=os_user,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent,
                start_new_session=True,
            )
        if ready_timeout is None:
            return
        deadline = time.monotonic() + ready_timeout
        while True:
            if self._process.poll() is not None:
                raise ProvisioningError(
                    f"postgres ({binaries.origin}) exited with code {self._process.returncode} "
                    f"at start: {log_path.read_text(errors='replace').strip()[-800:]}"
                )
            try:
                with psycopg.connect(
                    host="127.0.0.1",
                    port=self.port,
                    user=SUPERUSER,
                    password=self.password,
                    dbname="postgres",
                    connect_timeout=2,
                ):
                    return
            except psycopg.OperationalError as error:
                if time.monotonic() > deadline:
                    raise ProvisioningError(
                        f"postgres ({binaries.origin}) did not accept connections on "
                        f"127.0.0.1:{self.port} within {ready_timeout:.0f} s: {error}"
                    ) from error
                time.sleep(0.02)

    def stop(self, *, grace: float = 10.0) -> None:
        """Fast shutdown (SIGINT), SIGKILL after `grace` seconds, then delete the directory."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(grace)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None
