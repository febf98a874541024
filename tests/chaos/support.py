"""A chaos run written by hand: the history, the rows and the service log a run would record,
so each checker can be shown a planted bug through the same path a real run takes."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fake_llm.plans.extract import profile_from_json
from fake_llm.plans.generator import PlanGenerator
from fake_llm.plans.profile import compute_targets
from harness.chaos.observer import ClaimObserver, HealPoint
from harness.chaos.runner import check_history
from harness.checkers import CheckResult, DbSnapshot
from harness.history import History
from harness.profiles import ProfileFactory
from harness.queue_db import Row
from harness.redact import Redactor
from harness.report.model import ChaosFigures

T0 = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)
SECRET = "chaos-secret-value-0123456789"


class ScriptedObserver(ClaimObserver):
    """The observer, reading rows the test gives instead of a database."""

    def __init__(self, history: History) -> None:
        super().__init__("", [], history, interval_s=1.0)
        self.next_rows: list[Row] = []

    def _read(self) -> list[Row]:
        return self.next_rows

    def sees(self, *rows: Mapping[str, Any]) -> None:
        self.next_rows = [dict(row) for row in rows]
        self.observe()


def valid_plan(profile: Mapping[str, Any]) -> dict[str, Any]:
    """A plan the oracle accepts for `profile` (the fake DeepSeek's own)."""
    fake_profile = profile_from_json(profile)
    return PlanGenerator().generate(fake_profile, compute_targets(fake_profile), seed=1)


class HandRun:
    """What a chaos run saw: a history, rows at the end, service log lines."""

    def __init__(self, tmp_path: Path) -> None:
        self.history = History()
        self.observer = ScriptedObserver(self.history)
        self.jobs: list[dict[str, Any]] = []
        self.plans: list[dict[str, Any]] = []
        self.log_lines: list[dict[str, Any]] = []
        self.log_path = tmp_path / "worker-0.1.log"
        self.profile = ProfileFactory(3).make()

    # -- what users did -------------------------------------------------------------------

    def create(self, job_id: str, user: str = "user-0") -> None:
        invocation = self.history.invoke("create", {"user": user, "regenerate": False}, user)
        self.history.complete(invocation, "ok", {"jobId": job_id, "status": "pending", "created": True})

    def cancel(self, job_id: str, status_after: str, user: str = "user-0") -> None:
        invocation = self.history.invoke("cancel", {"id": job_id}, user)
        self.history.complete(invocation, "ok", {"id": job_id, "status": status_after})

    # -- what the database holds at the end ------------------------------------------------

    def row(
        self,
        job_id: str,
        status: str,
        *,
        retry_count: int = 0,
        max_retries: int = 3,
        claimed_by: str | None = "w1",
        errors: Sequence[Mapping[str, Any]] = (),
        error_code: str | None = None,
        plan: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        terminal = status in ("completed", "failed", "cancelled")
        row: dict[str, Any] = {
            "id": job_id,
            "user_id": f"user-of-{job_id}",
            "status": status,
            "input": {"profile": self.profile},
            "retry_count": retry_count,
            "max_retries": max_retries,
            "error_code": error_code,
            "error_message": f"{error_code} happened" if error_code else None,
            "errors": list(errors),
            "claimed_by": claimed_by,
            "claim_token": None,
            "created_at": T0,
            "started_at": T0 + timedelta(seconds=1) if claimed_by else None,
            "completed_at": T0 + timedelta(seconds=2) if terminal else None,
            "plan_id": None,
        }
        if status == "completed":
            row["plan_id"] = f"plan-{job_id}"
            self.plans.append(
                {
                    "id": f"plan-{job_id}",
                    "job_id": job_id,
                    "user_id": row["user_id"],
                    "is_active": True,
                    "plan": dict(plan) if plan is not None else valid_plan(self.profile),
                    "targets": None,
                }
            )
        self.jobs.append(row)
        return row

    # -- what the service logged -----------------------------------------------------------

    def logged(self, event: str, job_id: str, worker: str, *, retry_count: int, status: str) -> None:
        self.log_lines.append(
            {"event": event, "jobId": job_id, "worker": worker, "retry_count": retry_count, "status": status}
        )

    def check(self, *, with_log: bool = True) -> tuple[CheckResult, ChaosFigures]:
        self.log_path.write_text("not json\n" + "".join(json.dumps(line) + "\n" for line in self.log_lines))
        heal = HealPoint(T0, tuple(job["id"] for job in self.jobs))
        return check_history(
            self.history,
            DbSnapshot.of(self.jobs, self.plans),
            [self.log_path] if with_log else [],
            Redactor((SECRET,)),
            heal,
        )


def processing(job_id: str, *, retry_count: int, worker: str, token: str, max_retries: int = 3) -> Row:
    """A row as the observer reads it while `worker` holds the job."""
    return {
        "id": job_id,
        "status": "processing",
        "retry_count": retry_count,
        "max_retries": max_retries,
        "error_code": None,
        "claimed_by": worker,
        "claim_token": token,
        "started_at": T0,
    }


def error_entry(attempt: int, code: str, worker: str) -> dict[str, Any]:
    return {
        "attempt": attempt,
        "error_code": code,
        "error_message": f"{code} in attempt {attempt}",
        "worker": worker,
    }
