"""The queue's schedule, played by the harness: process-plan-queue every interval.

On Supabase, pg_cron runs a job every few seconds that posts to the function with pg_net and
does not wait for the answer. A deployment with no schedule of its own (a `supabase start`
stack without that cron job, a service started by hand with its loop off, the Deno functions
the harness hosts) gets the same from this class: a tick every interval posts
`process-plan-queue` with the service key, up to `max_in_flight` invocations at once (a
tick with every slot busy is skipped, as a busy platform would queue it). An optional gate
can veto a tick (the queue guard does while a database scenario has the queue to itself).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass

import httpx

logger = logging.getLogger(__name__)
INVOCATION_TIMEOUT_S = 150.0  # the platform's request limit

Gate = Callable[[], AbstractContextManager[bool]]


@dataclass
class ScheduleCounts:
    ticks: int = 0
    invoked: int = 0
    vetoed: int = 0
    busy: int = 0
    failed: int = 0


def _open_gate() -> AbstractContextManager[bool]:
    return contextlib.nullcontext(True)


class QueueSchedule:
    """Posts process-plan-queue on a fixed interval from a background thread until stopped."""

    def __init__(
        self,
        functions_url: str,
        service_key: str,
        *,
        interval_s: float,
        max_in_flight: int = 4,
        gate: Gate = _open_gate,
    ) -> None:
        if interval_s <= 0:
            raise ValueError(f"interval_s must be above 0, got {interval_s}")
        self.url = functions_url.rstrip("/") + "/process-plan-queue"
        self.interval_s = interval_s
        self.max_in_flight = max_in_flight
        self.gate = gate
        self.counts = ScheduleCounts()
        self._headers = {"Authorization": f"Bearer {service_key}", "apikey": service_key}
        self._http = httpx.Client(timeout=INVOCATION_TIMEOUT_S)
        self._pool = ThreadPoolExecutor(max_in_flight, thread_name_prefix="queue-schedule")
        self._in_flight = threading.Semaphore(max_in_flight)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="queue-schedule", daemon=True)

    def start(self) -> QueueSchedule:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._http.close()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.counts.ticks += 1
            if not self._in_flight.acquire(blocking=False):
                self.counts.busy += 1
                continue
            self._pool.submit(self._invoke_once)

    def _invoke_once(self) -> None:
        try:
            with self.gate() as open_:
                if not open_:
                    self.counts.vetoed += 1
                    return
                response = self._http.post(self.url, json={}, headers=self._headers)
                self.counts.invoked += 1
                if response.status_code >= 500:
                    self.counts.failed += 1
                    logger.info("process-plan-queue answered %s", response.status_code)
        except Exception as error:  # the next tick tries again, as cron would
            self.counts.failed += 1
            logger.info("process-plan-queue invocation failed: %s", type(error).__name__)
        finally:
            self._in_flight.release()
