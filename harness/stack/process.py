"""A server started as a child process: wait for the URL it prints, stop or kill it.

Output (stdout and stderr) goes to a log file, which the harness reads for the URL and
scenarios read for structured logs. The child dies with the harness (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import ctypes
import os
import re
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import HarnessSetupError

URL_PATTERN = re.compile(r"(http://(?:127\.\d+\.\d+\.\d+|\[::1\]|localhost):\d+)")


def _die_with_parent() -> None:
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)


@dataclass
class ServerProcess:
    """One child server; `url` is known once `start()` returns."""

    name: str
    command: Sequence[str]
    env: Mapping[str, str]
    log_path: Path
    url: str = ""
    pass_fds: tuple[int, ...] = ()  # descriptors the child inherits (a listening socket)
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(
        self, *, ready_pattern: str, failure_pattern: str | None = None, timeout_s: float = 60.0
    ) -> str:
        """Start, and wait for a line with `ready_pattern` and a URL. If the process exits first,
        its last line starting with `failure_pattern` is the error (else the log's tail)."""
        self.spawn()
        return self.wait_ready(
            ready_pattern=ready_pattern, failure_pattern=failure_pattern, timeout_s=timeout_s
        )

    def spawn(self) -> None:
        """Start the process and return at once (`wait_ready` waits for it to serve)."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            self._process = subprocess.Popen(
                list(self.command),
                env={**os.environ, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.log_path.parent,  # not the checkout: --service-pythonpath must win imports
                preexec_fn=_die_with_parent,
                start_new_session=True,
                pass_fds=self.pass_fds,
            )
        self.pass_fds = ()  # the child has them; the numbers may name other files from now on

    def wait_ready(
        self, *, ready_pattern: str, failure_pattern: str | None = None, timeout_s: float = 60.0
    ) -> str:
        """Wait for the spawned process to print `ready_pattern` and its URL (see `start`)."""
        assert self._process is not None, "spawn() first"
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            text = self.log_path.read_text(errors="replace")
            for line in text.splitlines():
                if ready_pattern in line and (match := URL_PATTERN.search(line)):
                    self.url = match.group(1)
                    return self.url
            if self._process.poll() is not None:
                failures = [
                    line for line in text.splitlines() if failure_pattern and line.startswith(failure_pattern)
                ]
                if failures:
                    raise HarnessSetupError(failures[-1].removeprefix(failure_pattern or ""))
                raise HarnessSetupError(
                    f"{self.name} exited with code {self._process.returncode} before it served: "
                    f"{text.strip()[-1500:]}"
                )
            time.sleep(0.02)
        self.stop()
        raise HarnessSetupError(
            f"{self.name} did not print its URL within {timeout_s:.0f} s; see {self.log_path}"
        )

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def log_lines(self) -> list[str]:
        return self.log_path.read_text(errors="replace").splitlines() if self.log_path.exists() else []

    def stop(self, grace_s: float = 10.0) -> None:
        """SIGTERM (a clean shutdown), SIGKILL after `grace_s`."""
        process = self._process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(grace_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def kill(self) -> None:
        """SIGKILL to the server and everything it started (its session), as the platform
        kills a worker: no cleanup code runs anywhere."""
        process = self._process
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
