"""The queue's health during a load run: `plan_job_health` (service role) every few seconds,
one JSON line per sample in `health.jsonl`.

A sample that fails is a line too (`error`: the HTTP status or the exception's type), so a
gap in the samples is visible rather than silent. The key is sent in headers only.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from harness.load.settings import LoadTarget

HEALTH_WINDOW = "1 hour"
REQUEST_TIMEOUT_S = 10.0


def read_health(http: httpx.Client, target: LoadTarget) -> dict[str, Any]:
    """One `plan_job_health` call; raises `HealthReadError` on anything but a JSON object."""
    key = target.service_role_key
    response = http.post(
        f"{target.url}/rest/v1/rpc/plan_job_health",
        json={"p_window": HEALTH_WINDOW},
        headers={"apikey": key, "Authorization": f"Bearer {key}", "Content-Profile": "public"},
    )
    if response.status_code != 200:
        raise HealthReadError(f"HTTP {response.status_code}")
    body = response.json()
    if not isinstance(body, dict):
        raise HealthReadError(f"not a JSON object: {type(body).__name__}")
    return body


class HealthReadError(Exception):
    pass


class HealthSampler:
    """A thread that appends a sample to `path` every `interval_s`, from start to stop."""

    def __init__(self, target: LoadTarget, path: Path, interval_s: float) -> None:
        self._target = target
        self._path = path
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="plan-load-health", daemon=True)
        self._started = time.monotonic()
        self.samples = 0
        self.errors = 0

    def __enter__(self) -> HealthSampler:
        self._started = time.monotonic()
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=REQUEST_TIMEOUT_S + self._interval_s)

    def _run(self) -> None:
        with httpx.Client(timeout=REQUEST_TIMEOUT_S) as http, self._path.open("a", encoding="utf-8") as out:
            while True:
                out.write(json.dumps(self._sample(http), sort_keys=True) + "\n")
                out.flush()
                if self._stop.wait(self._interval_s):
                    out.write(json.dumps(self._sample(http) | {"final": True}, sort_keys=True) + "\n")
                    return

    def _sample(self, http: httpx.Client) -> dict[str, Any]:
        sample: dict[str, Any] = {
            "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "elapsed_s": round(time.monotonic() - self._started, 3),
        }
        try:
            sample["health"] = read_health(http, self._target)
        except (HealthReadError, httpx.HTTPError, ValueError) as error:
            sample["error"] = str(error) if isinstance(error, HealthReadError) else type(error).__name__
            self.errors += 1
        self.samples += 1
        return sample
