"""What a fuzz run of one document found: counts, failures with their reproduction, and the
verdict the conformance report records.

A failure names the operation, the check, the request as sent (credentials shown as the names
of the variables that hold them, every other secret redacted) and the response's status and
body excerpt: enough to repeat it with curl.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from harness.checkers import CheckResult

SERVER_ERROR_CHECK = "not_a_server_error"
NO_RESPONSE_CHECK = "no_response"  # the request got no answer at all: the service failed it
MAX_FAILURES_SHOWN = 10


@dataclass(frozen=True)
class Exchange:
    """A request as sent and what came back (None: no response)."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: str
    status: int | None
    response_body: str

    def render(self) -> str:
        lines = [f"  request:  {self.method} {self.url}"]
        lines += [f"            {name}: {value}" for name, value in self.headers.items()]
        if self.body:
            lines.append(f"            body: {self.body}")
        status = "no response" if self.status is None else f"HTTP {self.status}"
        lines.append(f"  response: {status} {self.response_body}".rstrip())
        return "\n".join(lines)


@dataclass(frozen=True, repr=False)
class FuzzFailure:
    """One kind of failure (operation, check, status, error code), its first exchange and how often."""

    operation: str
    check: str
    title: str
    message: str
    exchange: Exchange
    occurrences: int = 1

    def __repr__(self) -> str:
        status = "no response" if self.exchange.status is None else f"HTTP {self.exchange.status}"
        return f"FuzzFailure({self.operation}, {self.check}, {status}, x{self.occurrences})"

    @property
    def is_server_error(self) -> bool:
        status = self.exchange.status
        return self.check in (SERVER_ERROR_CHECK, NO_RESPONSE_CHECK) or status is None or status >= 500

    def render(self) -> str:
        times = "once" if self.occurrences == 1 else f"{self.occurrences} times"
        head = f"{self.operation}: {self.title} [{self.check}], {times}"
        message = "\n".join(f"  {line}" for line in self.message.strip().splitlines()[:8])
        return "\n".join(part for part in (head, message, self.exchange.render()) if part)


@dataclass(frozen=True, repr=False)
class FuzzOutcome:
    """The run of one document."""

    document: str
    seed: int
    cases: int
    operations: int
    statuses: Mapping[str, Mapping[int, int]] = field(default_factory=dict)  # operation -> status -> count
    failures: tuple[FuzzFailure, ...] = ()
    allowed: Mapping[str, int] = field(default_factory=dict)  # allowance -> failures it allowed
    notes: tuple[str, ...] = ()  # what was not fuzzed, and why

    def __repr__(self) -> str:
        return f"FuzzOutcome({self.document}: {self.summary()})"

    @property
    def server_errors(self) -> tuple[FuzzFailure, ...]:
        return tuple(failure for failure in self.failures if failure.is_server_error)

    @property
    def nonconformities(self) -> tuple[FuzzFailure, ...]:
        """Answers that are not as the document says (status, media type, headers, body, acceptance)."""
        return tuple(failure for failure in self.failures if not failure.is_server_error)

    def summary(self) -> str:
        server = sum(failure.occurrences for failure in self.server_errors)
        other = sum(failure.occurrences for failure in self.nonconformities)
        allowed = sum(self.allowed.values())
        text = (
            f"{self.cases} cases on {self.operations} operations, {server} server errors, "
            f"{other} answers not as documented, {allowed} documented exceptions (seed {self.seed})"
        )
        return text + "".join(f"; {note}" for note in self.notes)

    def report(self) -> str:
        """The summary and every kind of failure (server errors first), for an assertion message."""
        ordered = [*self.server_errors, *self.nonconformities]
        lines = [f"{self.document}: {self.summary()}"]
        for failure in ordered[:MAX_FAILURES_SHOWN]:
            lines.append(failure.render())
        if len(ordered) > MAX_FAILURES_SHOWN:
            lines.append(f"... and {len(ordered) - MAX_FAILURES_SHOWN} more kinds of failure")
        return "\n".join(lines)

    def as_check(self) -> CheckResult:
        """The verdict for the conformance report (`record_check`): one check per document."""
        status_counts: Counter[int] = Counter()
        for counts in self.statuses.values():
            status_counts.update(counts)
        details = {
            "valid": not self.failures,
            "summary": self.summary(),
            "cases": self.cases,
            "operations": self.operations,
            "server_errors": sum(failure.occurrences for failure in self.server_errors),
            "not_as_documented": sum(failure.occurrences for failure in self.nonconformities),
            "allowed": dict(self.allowed),
            "statuses": {str(status): count for status, count in sorted(status_counts.items())},
            "failures": [failure.render() for failure in self.failures[:MAX_FAILURES_SHOWN]],
            "notes": list(self.notes),
        }
        return CheckResult(not self.failures, {f"openapi_fuzz[{self.document}]": details})
