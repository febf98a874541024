"""The fake DeepSeek a run controls: where it is, how the run got it, and starting one.

Three ways a run gets a fake:
- each worker's local stack starts its own (the local target);
- the harness starts one for a deployed target (`--fake-llm serve[:HOST:PORT]`), on a port the
  deployment's `DEEPSEEK_BASE_URL` already points at, for the whole run (xdist workers share it);
- the run is given one that is already running (`--fake-llm-url URL`, or `FAKE_DEEPSEEK_URL`,
  with `FAKE_DEEPSEEK_ADMIN_TOKEN` when its admin API asks for one).
"""

from __future__ import annotations

import ipaddress
import secrets
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from fake_llm.control import FakeLLMControl
from fake_llm.environment import ADMIN_TOKEN_ENV, API_KEYS_ENV
from harness.errors import TargetSetupError
from harness.stack.process import ServerProcess

SERVE = "serve"


@dataclass(frozen=True)
class FakeToStart:
    """`--fake-llm serve[:HOST:PORT]`: the harness starts the fake for the run."""

    host: str = "127.0.0.1"
    port: int = 0

    @classmethod
    def parse(cls, spec: str) -> FakeToStart:
        if spec == SERVE:
            return cls()
        rest = spec.removeprefix(SERVE + ":")
        if rest == spec:
            raise TargetSetupError(f"--fake-llm {spec!r}: use serve or serve:HOST:PORT")
        host, colon, port_text = rest.rpartition(":")
        if not colon:
            host, port_text = "127.0.0.1", rest
        host = host.strip("[]") or "127.0.0.1"
        try:
            port = int(port_text)
        except ValueError:
            raise TargetSetupError(f"--fake-llm {spec!r}: the port {port_text!r} is not a number") from None
        if not 0 <= port <= 65535:
            raise TargetSetupError(f"--fake-llm {spec!r}: the port must be from 0 to 65535")
        _require_loopback(host, f"--fake-llm {spec!r}")
        return cls(host, port)


@dataclass(frozen=True)
class FakeGiven:
    """`--fake-llm-url URL` or `FAKE_DEEPSEEK_URL`: a fake that is already running."""

    url: str
    admin_token: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise TargetSetupError(f"the fake DeepSeek URL must be http(s)://host:port, got {self.url!r}")


@dataclass(frozen=True)
class FakeDeepSeek:
    """A fake DeepSeek under the run's control: its root URL, admin token and provenance."""

    url: str
    admin_token: str | None = field(repr=False)
    provenance: str

    def control(self) -> FakeLLMControl:
        return FakeLLMControl(self.url, admin_token=self.admin_token)


def _require_loopback(host: str, what: str) -> None:
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise TargetSetupError(
            f"{what}: the harness serves the fake on loopback addresses only (127.0.0.0/8, ::1); "
            "for another address start it yourself with `fake-llm serve --admin-token ...` "
            "and give --fake-llm-url"
        )


@dataclass
class StartedFake:
    """The fake the controlling process started for a deployed target, stopped at the end."""

    process: ServerProcess
    fake: FakeDeepSeek

    @classmethod
    def start(cls, spec: FakeToStart, *, seed: int, workdir: Path, api_keys: str | None) -> StartedFake:
        token = secrets.token_urlsafe(32)
        env = {ADMIN_TOKEN_ENV: token}
        if api_keys:
            env[API_KEYS_ENV] = api_keys
        command = [
            sys.executable,
            "-m",
            "fake_llm.cli",
            "serve",
            "--host",
            spec.host,
            "--port",
            str(spec.port),
            "--seed",
            str(seed),
        ]
        process = ServerProcess("fake-llm", command, env=env, log_path=workdir / "fake-llm.log")
        process.start(ready_pattern="fake-llm serving on")
        return cls(process, FakeDeepSeek(process.url, token, f"started by the harness at {process.url}"))

    def stop(self) -> None:
        self.process.stop()
