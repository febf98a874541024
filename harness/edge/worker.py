"""One Edge Function's worker: a Deno process serving it on a loopback port, restarted on demand.

The worker is started through `bootstrap.ts`; its output (the function's logs) is copied line
by line to the runtime's own output, so every function logs into one stream, as
`supabase functions serve` does. A killed worker (at the wall-clock limit, or by a scenario)
is started again by the next request.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import re
import signal
import sys
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from harness.edge.deno_binary import Deno

READY = re.compile(r"^edge-function (?P<name>\S+) serving on (?P<url>http://127\.0\.0\.1:\d+)$")
FAILED = re.compile(r"^edge-function \S+ failed to start: (?P<reason>.+)$")
START_TIMEOUT_S = 120.0


class WorkerStartError(Exception):
    """The function did not start; the message is one line naming the file."""


def bootstrap_path() -> Path:
    return Path(str(resources.files("harness.edge").joinpath("bootstrap.ts")))


def config_arguments(folder: Path, name: str) -> list[str]:
    """The function's own deno.json, else the folder's, else the folder's import map."""
    for candidate in (
        folder / name / "deno.json",
        folder / name / "deno.jsonc",
        folder / "deno.json",
        folder / "deno.jsonc",
    ):
        if candidate.is_file():
            return ["--config", str(candidate)]
    import_map = folder / "import_map.json"
    return ["--import-map", str(import_map)] if import_map.is_file() else []


def permissions(folder: Path) -> list[str]:
    """What the platform allows a function: the network, its environment, reading its code."""
    return ["--allow-net", "--allow-env", f"--allow-read={folder}", "--allow-sys"]


def _die_with_parent() -> None:
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)


@dataclass
class FunctionWorker:
    name: str
    folder: Path
    deno: Deno
    env: dict[str, str]
    cached_only: bool = True
    url: str | None = None
    started_in_s: float | None = None
    _process: asyncio.subprocess.Process | None = field(default=None, repr=False)
    _pump: asyncio.Task[None] | None = field(default=None, repr=False)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)
    _reaping: set[asyncio.Future[int]] = field(default_factory=set, repr=False)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self.alive and self._process is not None else None

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.returncode is None

    def command(self) -> list[str]:
        entry = (self.folder / self.name / "index.ts").as_uri()
        return [
            str(self.deno.executable),
            "run",
            *(["--cached-only"] if self.cached_only else []),
            *permissions(self.folder),
            *config_arguments(self.folder, self.name),
            str(bootstrap_path()),
            self.name,
            entry,
        ]

    async def ensure_started(self) -> str:
        """The worker's URL, starting it first if it is not running."""
        async with self._lock:
            if self.alive and self.url is not None:
                return self.url
            return await self._start()

    async def _start(self) -> str:
        started = time.monotonic()
        process = await asyncio.create_subprocess_exec(
            *self.command(),
            cwd=self.folder / self.name,
            env={**os.environ, **self.deno.environment(), **self.env},
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            preexec_fn=_die_with_parent,
            start_new_session=True,
        )
        assert process.stdout is not None
        output: list[str] = []
        try:
            async with asyncio.timeout(START_TIMEOUT_S):
                while True:
                    raw = await process.stdout.readline()
                    if not raw:
                        await process.wait()
                        raise WorkerStartError(self._failure(output, process.returncode))
                    line = raw.decode(errors="replace").rstrip()
                    if ready := READY.match(line):
                        break
                    output.append(line)
        except TimeoutError:
            await self._kill_and_reap(process)
            raise WorkerStartError(
                f"edge function {self.name} did not listen within {START_TIMEOUT_S:.0f} s"
            ) from None
        except BaseException:
            await self._kill_and_reap(process)
            raise
        for line in output:
            print(line, flush=True)
        self._process = process
        self.url = ready.group("url")
        self.started_in_s = time.monotonic() - started
        self._pump = asyncio.create_task(self._copy_output(process.stdout))
        return self.url

    def _failure(self, output: list[str], code: int | None) -> str:
        for line in reversed(output):
            if failed := FAILED.match(line):
                return f"edge function {self.name} failed to start: {failed.group('reason')}"
        detail = next((line for line in reversed(output) if line.strip()), "no output")
        return f"edge function {self.name} exited with code {code} before it served: {detail}"

    async def _copy_output(self, stream: asyncio.StreamReader) -> None:
        while raw := await stream.readline():
            sys.stdout.write(raw.decode(errors="replace"))
            sys.stdout.flush()

    @classmethod
    async def _kill_and_reap(cls, process: asyncio.subprocess.Process) -> None:
        cls._kill(process)
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.shield(process.wait())

    @staticmethod
    def _kill(process: asyncio.subprocess.Process) -> None:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)

    def kill(self) -> None:
        """SIGKILL, as the platform ends a worker at a limit: no `finally` runs. The worker counts
        as gone at once, so the next request starts a new one instead of reaching the dead port."""
        process, self._process, self.url = self._process, None, None
        if process is not None:
            self._kill(process)
            self._reaping.add(asyncio.ensure_future(process.wait()))

    async def stop(self) -> None:
        if self._reaping:
            await asyncio.gather(*self._reaping, return_exceptions=True)
        process = self._process
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 5)
            except TimeoutError:
                self._kill(process)
                await process.wait()
        if self._pump is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
