"""Structured JSON logs: one object per line on stderr, with the job fields on transitions.

Every job transition is logged through `log_transition` with `jobId`, `status`,
`retry_count` and `error_code` (docs/contract.md "HTTP surface" and the seed's "reproduce a 1-hour spinner
from logs"). Messages pass through the pipeline's redaction before they are written.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from reference_impl.pipeline.redaction import redact

TRANSITIONS_LOGGER = "plan_reference.jobs"
_STANDARD_ATTRIBUTES = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """A log record as one JSON object: time, level, logger, message and extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRIBUTES and not key.startswith("_"):
                entry[key] = redact(value) if isinstance(value, str) else value
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, default=str, separators=(",", ":"))


def configure_logging(level: str = "INFO") -> None:
    """JSON lines on stderr for the whole process (the CLI calls this once)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)


def log_transition(event: str, job: Mapping[str, Any], **fields: Any) -> None:
    """Log a job's transition with the four fields every transition carries."""
    logging.getLogger(TRANSITIONS_LOGGER).info(
        event,
        extra={
            "event": event,
            "jobId": str(job.get("id") or job.get("job_id")),
            "status": job.get("status"),
            "retry_count": job.get("retry_count"),
            "error_code": job.get("error_code"),
            **fields,
        },
    )
