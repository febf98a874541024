"""The request journal: one record per API call, filterable by user, stage, path and rule."""

from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from fake_llm import json_body
from fake_llm.chat_request import CHAT_MAX_DEPTH
from fake_llm.json_body import JsonBodyError


class JournalEntry(BaseModel):
    """One call as the admin API and the control clients show it."""

    model_config = ConfigDict(frozen=True)

    seq: int
    time: datetime
    method: str
    path: str
    model: str | None
    stage: int | None
    user: str | None
    stream: bool
    rule_id: str | None
    rule_name: str | None
    action: str | None
    status: int | None
    outcome: str
    finish_reason: str | None
    bytes_sent: int
    duration_ms: float | None
    request_body: Any


class JournalFilter(BaseModel):
    """Which entries to return; every field left out matches all."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    user: str | None = None
    stage: int | None = None
    path: str | None = None
    rule: str | None = None
    outcome: str | None = None
    since_seq: int | None = None
    limit: int | None = None


def decoded_body(raw: bytes) -> Any:
    """A request body as the journal shows it: its JSON when strict JSON (as the chat API reads
    it), else its text, else None when empty."""
    if not raw:
        return None
    try:
        return json_body.loads(raw, max_depth=CHAT_MAX_DEPTH)
    except JsonBodyError:
        return raw.decode("utf-8", "replace")


@dataclass
class CallRecord:
    """A call being served (then served): filled in by the handler and the action."""

    seq: int
    method: str
    path: str
    raw_body: bytes
    started_wall: datetime = field(default_factory=lambda: datetime.now(UTC))
    started: float = field(default_factory=time.perf_counter)
    model: str | None = None
    stage: int | None = None
    user: str | None = None
    stream: bool = False
    rule_id: str | None = None
    rule_name: str | None = None
    action: str | None = None
    status: int | None = None
    outcome: str = "in_progress"
    finish_reason: str | None = None
    bytes_sent: int = 0
    duration_ms: float | None = None

    def finish(self, outcome: str | None = None) -> None:
        """Stop the clock; keep an outcome already set unless `outcome` is given."""
        if outcome is not None or self.outcome == "in_progress":
            self.outcome = outcome or "answered"
        self.duration_ms = round((time.perf_counter() - self.started) * 1000, 3)

    def matches(self, wanted: JournalFilter) -> bool:
        """Whether this record passes `wanted`."""
        return (
            (wanted.user is None or self.user == wanted.user)
            and (wanted.stage is None or self.stage == wanted.stage)
            and (wanted.path is None or self.path == wanted.path)
            and (wanted.rule is None or wanted.rule in (self.rule_id, self.rule_name))
            and (wanted.outcome is None or self.outcome == wanted.outcome)
            and (wanted.since_seq is None or self.seq > wanted.since_seq)
        )

    def entry(self) -> JournalEntry:
        """This record as a `JournalEntry`."""
        return JournalEntry(
            seq=self.seq,
            time=self.started_wall,
            method=self.method,
            path=self.path,
            model=self.model,
            stage=self.stage,
            user=self.user,
            stream=self.stream,
            rule_id=self.rule_id,
            rule_name=self.rule_name,
            action=self.action,
            status=self.status,
            outcome=self.outcome,
            finish_reason=self.finish_reason,
            bytes_sent=self.bytes_sent,
            duration_ms=self.duration_ms,
            request_body=decoded_body(self.raw_body),
        )


class Journal:
    """The newest calls, oldest first, bounded by `limit`."""

    def __init__(self, limit: int) -> None:
        self._records: deque[CallRecord] = deque(maxlen=limit)
        self._numbers = itertools.count(1)

    def start(self, method: str, path: str, raw_body: bytes) -> CallRecord:
        """Record the start of a call (the body is decoded only when the journal is read)."""
        record = CallRecord(seq=next(self._numbers), method=method, path=path, raw_body=raw_body)
        self._records.append(record)
        return record

    def select(self, wanted: JournalFilter) -> list[JournalEntry]:
        """Entries passing `wanted`, oldest first; `limit` keeps the newest."""
        found = [record.entry() for record in self._records if record.matches(wanted)]
        return found[-wanted.limit :] if wanted.limit else found

    def count(self, wanted: JournalFilter) -> int:
        """How many entries pass `wanted`."""
        return sum(1 for record in self._records if record.matches(wanted))

    def in_progress(self) -> Iterator[CallRecord]:
        """Calls not finished yet."""
        return (record for record in self._records if record.duration_ms is None)

    def clear(self) -> None:
        """Forget every call (numbering goes on)."""
        self._records.clear()
