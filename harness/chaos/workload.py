"""The users of a chaos run: signed-in accounts that create, regenerate, cancel and read jobs
through the HTTP surface, as the app does, each operation recorded in the history.

A user is process `user-N`; their operations run one at a time (a lock per user), at the
times of the schedule, on a pool of threads. Outcomes: `ok` when the target answered as it
documents success (202 for create-plan-job, 200 otherwise), `fail` for a 4xx (it refused,
nothing happened), `info` for a 5xx or a transport error (it may or may not have happened).
Cancel and read act on the user's latest job; a user without one skips them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import httpx

from harness.chaos.schedule import UserOp
from harness.client import Session, SupabaseHttp
from harness.history import History, Op
from harness.profiles import ProfileFactory


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _refusal(response: httpx.Response) -> dict[str, Any]:
    body = _json(response)
    code = body.get("error_code") or body.get("code") if isinstance(body, Mapping) else None
    return {"status": response.status_code, "error_code": code}


class Workload:
    """Plays the operations of signed-in users (`sessions[N]` is user N); `start()`, `stop()`."""

    def __init__(
        self,
        wire: SupabaseHttp,
        history: History,
        ops: Sequence[UserOp],
        *,
        sessions: Sequence[Session],
        seed: int,
        elapsed_s: Callable[[], float],
        threads: int = 16,
    ) -> None:
        self.wire = wire
        self.history = history
        self.ops = tuple(ops)
        self.sessions = tuple(sessions)
        self.elapsed_s = elapsed_s
        factory = ProfileFactory(seed)
        # one profile per job request, drawn in schedule order: the same seed, the same profiles
        self._profiles = [
            factory.make() if op.action in ("create", "regenerate") else None for op in self.ops
        ]
        self._latest: dict[int, str] = {}
        self._locks = [threading.Lock() for _ in self.sessions]
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="chaos-user")
        self._stop = threading.Event()
        self._dispatcher = threading.Thread(target=self._dispatch, name="chaos-workload", daemon=True)
        self._futures: list[Future[None]] = []

    def start(self) -> None:
        self._dispatcher.start()

    def halt(self) -> None:
        """Stop dispatching at once; operations not begun are skipped."""
        self._stop.set()

    def stop(self) -> None:
        """Stop dispatching and wait for the operations in flight."""
        self.halt()
        self._dispatcher.join()
        for future in self._futures:
            future.result()
        self._pool.shutdown(wait=True)

    def _dispatch(self) -> None:
        for op, profile in zip(self.ops, self._profiles, strict=True):
            if self._stop.wait(max(0.0, op.at_s - self.elapsed_s())):
                return
            self._futures.append(self._pool.submit(self._play, op, profile))

    def _play(self, op: UserOp, profile: Mapping[str, Any] | None) -> None:
        with self._locks[op.user]:
            if self._stop.is_set():  # queued behind a slow operation of this user when the run ended
                return
            session = self.sessions[op.user]
            if op.action in ("create", "regenerate"):
                assert profile is not None
                self._create(op, session, profile)
            elif op.action == "cancel":
                self._cancel(op, session)
            else:
                self._read(op, session)

    def _call(self, invocation: Op, send: Callable[[], httpx.Response]) -> httpx.Response | None:
        """Send; a transport error completes the operation as `info` (it may have happened)."""
        try:
            return send()
        except httpx.HTTPError as error:
            self.history.complete(invocation, "info", {"error": f"{type(error).__name__}: {error}"})
            return None

    def _complete_refused(self, invocation: Op, response: httpx.Response) -> None:
        if 400 <= response.status_code < 500:
            self.history.complete(invocation, "fail", _refusal(response))
        else:
            self.history.complete(invocation, "info", _refusal(response))

    def _create(self, op: UserOp, session: Session, profile: Mapping[str, Any]) -> None:
        regenerate = op.action == "regenerate"
        process = f"user-{op.user}"
        invocation = self.history.invoke(
            "create", {"user": session.user_id, "regenerate": regenerate, "scheduled_s": op.at_s}, process
        )
        body = {"profile": dict(profile), "regenerate": regenerate}
        response = self._call(
            invocation, lambda: self.wire.invoke("create-plan-job", body, token=session.access_token)
        )
        if response is None:
            return
        answer = _json(response)
        if response.status_code != 202 or not isinstance(answer, Mapping) or "jobId" not in answer:
            self._complete_refused(invocation, response)
            return
        job_id = str(answer["jobId"])
        self._latest[op.user] = job_id
        value = {"jobId": job_id, "status": answer.get("status"), "created": answer.get("created")}
        if answer.get("supersededJobId"):
            value["supersededJobId"] = str(answer["supersededJobId"])
        self.history.complete(invocation, "ok", value)

    def _cancel(self, op: UserOp, session: Session) -> None:
        job_id = self._latest.get(op.user)
        if job_id is None:
            return
        invocation = self.history.invoke("cancel", {"id": job_id, "scheduled_s": op.at_s}, f"user-{op.user}")
        response = self._call(
            invocation,
            lambda: self.wire.rpc("cancel_plan_job", {"p_job_id": job_id}, token=session.access_token),
        )
        if response is None:
            return
        row = _json(response)
        if response.status_code != 200 or not isinstance(row, Mapping):
            self._complete_refused(invocation, response)
            return
        self.history.complete(
            invocation, "ok", {"id": job_id, "status": row.get("status"), "error_code": row.get("error_code")}
        )

    def _read(self, op: UserOp, session: Session) -> None:
        job_id = self._latest.get(op.user)
        if job_id is None:
            return
        invocation = self.history.invoke("read", {"id": job_id, "scheduled_s": op.at_s}, f"user-{op.user}")
        response = self._call(
            invocation,
            lambda: self.wire.select(
                "plan_generation_jobs",
                {"id": f"eq.{job_id}", "select": "id,status,retry_count,error_code"},
                token=session.access_token,
            ),
        )
        if response is None:
            return
        rows = _json(response)
        if response.status_code != 200 or not isinstance(rows, list):
            self._complete_refused(invocation, response)
            return
        if not rows:
            self.history.complete(invocation, "fail", {"status": 200, "rows": 0})
            return
        row = rows[0]
        self.history.complete(
            invocation,
            "ok",
            {
                "id": job_id,
                "status": row.get("status"),
                "retry_count": row.get("retry_count"),
                "error_code": row.get("error_code"),
            },
        )
