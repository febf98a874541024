"""What an invocation of process-plan-queue did, as plain data that crosses processes."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class ProcessedJob:
    """One claimed job after its attempt: where it ended up and why."""

    job_id: str
    status: str  # completed | pending (requeued) | failed | processing (result dropped)
    error_code: str | None
    retry_count: int | None
    attempt_ms: int
    dropped: bool = False  # the attempt's result was refused (PT409): recovered or cancelled meanwhile

    def to_response(self) -> dict[str, Any]:
        return {"jobId": self.job_id, "status": self.status, "errorCode": self.error_code}


@dataclass(frozen=True)
class InvocationOutcome:
    """The response body of process-plan-queue, plus what the metrics need."""

    recovered_stuck: int = 0
    recovered_stale: int = 0
    processed: tuple[ProcessedJob, ...] = ()
    killed: bool = False
    killed_after_ms: int | None = None
    claimed: int = field(default=0)

    def to_response(self) -> dict[str, Any]:
        return {
            "recovered": {"stuck": self.recovered_stuck, "stale": self.recovered_stale},
            "processed": [job.to_response() for job in self.processed],
        }

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> InvocationOutcome:
        return cls(
            recovered_stuck=int(data["recovered_stuck"]),
            recovered_stale=int(data["recovered_stale"]),
            processed=tuple(ProcessedJob(**job) for job in data["processed"]),
            killed=bool(data["killed"]),
            killed_after_ms=data.get("killed_after_ms"),
            claimed=int(data.get("claimed", 0)),
        )
