"""The run's PostgreSQL, started when the first test needs it, one server per run.

A run whose tests need no database (`pytest tests/harness_lib`) starts none. The server is
owned by the controlling process, as before (docs/decisions.md H28):

- without xdist that is the only process: `DatabaseOnDemand.get()` starts the server and
  builds the migrated template the first time it is called (the plugin calls it once
  collection shows that a selected test needs `database_run`, so a bad `--db` or a broken
  migration still stops the run before any test, with one line);
- with xdist the controller runs no tests. It serves `get()` to its workers over a Unix socket
  (`DatabaseBroker`, authenticated by a key only the workers receive): the first worker
  that asks makes it start the server, in the broker's own thread, which lives until the
  run ends (the postmaster is tied to the thread that started it, PR_SET_PDEATHSIG); the
  others receive the same description. Workers reach it through `RemoteDatabase`.

A failed start is remembered: every later `get()` raises the same error, at once.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import shutil
import tempfile
import threading
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client, Connection, Listener
from pathlib import Path
from typing import Any, Protocol

from harness.db.migrations import MigrationSet
from harness.db.providers import DatabaseRequest
from harness.db.run import DatabaseRun
from harness.errors import HarnessSetupError

_GET = b"get"
_STOP = b"stop"


class DatabaseSource(Protocol):
    """Where a process gets the run's database from."""

    def get(self) -> DatabaseRun: ...


class DatabaseOnDemand:
    """The controller's database: started by the first `get()`, stopped by `close()`."""

    def __init__(self, request: DatabaseRequest, migrations: MigrationSet) -> None:
        self._request = request
        self._migrations = migrations
        self._lock = threading.Lock()
        self._run: DatabaseRun | None = None
        self._error: HarnessSetupError | None = None

    @property
    def started(self) -> DatabaseRun | None:
        return self._run

    def get(self) -> DatabaseRun:
        with self._lock:
            if self._error is not None:
                raise self._error
            if self._run is None:
                try:
                    self._run = DatabaseRun.start(self._request, self._migrations)
                except HarnessSetupError as error:
                    self._error = error
                    raise
            return self._run

    def summary(self) -> str:
        """One line for the end of the run: the server and its start-up time, or why none."""
        if self._run is not None:
            return self._run.header() + " (started for the first test that needed it)"
        if self._error is not None:
            return f"database: failed to start: {self._error}"
        return "database: not started (no test of this run needed it)"

    def close(self) -> None:
        with self._lock:
            if self._run is not None:
                self._run.close()


class DatabaseBroker:
    """Serves the controller's `DatabaseOnDemand` to xdist workers over a Unix socket."""

    def __init__(self, database: DatabaseOnDemand) -> None:
        self._database = database
        self._folder = Path(tempfile.mkdtemp(prefix="plan-conformance-db-"))  # mode 0700
        self.address = str(self._folder / "broker.sock")
        self._authkey = secrets.token_bytes(32)
        self._listener = Listener(self.address, family="AF_UNIX", authkey=self._authkey)
        self._thread = threading.Thread(target=self._serve, name="plan-conformance-db-broker", daemon=True)
        self._thread.start()

    def to_workerinput(self) -> dict[str, str]:
        return {"address": self.address, "authkey": self._authkey.hex()}

    def _serve(self) -> None:
        while True:
            try:
                connection = self._listener.accept()
            except AuthenticationError:
                continue
            except OSError:
                return
            with connection:
                request = connection.recv_bytes()
                if request == _STOP:
                    return
                connection.send_bytes(json.dumps(self._answer()).encode())

    def _answer(self) -> dict[str, Any]:
        try:
            return {"run": self._database.get().to_workerinput()}
        except HarnessSetupError as error:
            return {"error": str(error)}

    def close(self) -> None:
        """Stop serving (after the database was closed: the server is tied to this thread)."""
        if self._thread.is_alive():
            with contextlib.suppress(OSError), _connect(self.address, self._authkey) as connection:
                connection.send_bytes(_STOP)
            self._thread.join(timeout=10)
        self._listener.close()
        shutil.rmtree(self._folder, ignore_errors=True)


class RemoteDatabase:
    """A worker's view of the controller's database: asks the broker once, then remembers."""

    def __init__(self, address: str, authkey: bytes) -> None:
        self._address = address
        self._authkey = authkey
        self._lock = threading.Lock()
        self._run: DatabaseRun | None = None

    @classmethod
    def from_workerinput(cls, data: dict[str, str]) -> RemoteDatabase:
        return cls(data["address"], bytes.fromhex(data["authkey"]))

    def get(self) -> DatabaseRun:
        with self._lock:
            if self._run is None:
                with _connect(self._address, self._authkey) as connection:
                    connection.send_bytes(_GET)
                    answer = json.loads(connection.recv_bytes())
                if "error" in answer:
                    raise HarnessSetupError(answer["error"])
                self._run = DatabaseRun.from_workerinput(answer["run"])
            return self._run


def _connect(address: str, authkey: bytes) -> Connection:
    return Client(address, family="AF_UNIX", authkey=authkey)
