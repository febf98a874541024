"""Fuzzing one OpenAPI document with schemathesis, seeded and bounded.

Every operation is called with schema-valid requests, then with schema-violating ones, as the
caller its document names (`harness.fuzz.callers`). Each response is checked: never a server
error, the status, media type, headers and body as documented, valid requests accepted and
invalid ones refused, less the allow-list of `harness.fuzz.allowances`. Hypothesis draws the
cases from a seed derived from the run's `--seed`, so a run repeats its requests; it never
shrinks (a failing case is recorded, not raised), so the count of requests is the budget's.

Imported only when a fuzz scenario runs: schemathesis is a test dependency.
"""

from __future__ import annotations

import copy
import hashlib
import ipaddress
import json
import socket
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import hypothesis
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, Verbosity
from hypothesis.errors import Unsatisfiable
from hypothesis.internal.conjecture import providers as hypothesis_providers
from hypothesis.internal.constants_ast import Constants
from hypothesis.strategies import SearchStrategy
from requests.adapters import HTTPAdapter
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.result import Err

from harness.fuzz.allowances import ALLOWANCES, Allowance, Finding, allowance_for, error_code_of
from harness.fuzz.budget import FuzzBudget
from harness.fuzz.callers import Credentials, caller_of, operation_security
from harness.fuzz.documents import FetchedDocument
from harness.fuzz.outcome import NO_RESPONSE_CHECK, SERVER_ERROR_CHECK, Exchange, FuzzFailure, FuzzOutcome
from harness.redact import Redactor

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "positive_data_acceptance",
    "negative_data_rejection",
)
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
Operation = APIOperation[Any, Any, Any, Any]
REQUEST_TIMEOUT_S = 30.0
REQUEST_EXCERPT_CHARS = 4000  # enough of a URL and body to send it again
RESPONSE_EXCERPT_CHARS = 600
# The fuzzer's requests come from a loopback address of their own, so the sign-in failures it
# provokes count against that address and never throttle the other scenarios' sign-ins.
FUZZ_SOURCE_ADDRESS = "127.0.0.2"
SIGN_IN_OPERATIONS = frozenset({"POST /token"})  # counted by the sign-in throttle
SESSION_ENDING_PATH_SUFFIXES = ("/logout",)  # run last: they end the caller's session
USER_CREATING_OPERATIONS = frozenset({"POST /signup", "POST /admin/users"})
TRANSPORT_HEADERS = frozenset({"user-agent", "accept-encoding", "connection", "content-length"})


def source_address_for(base_url: str) -> str | None:
    """FUZZ_SOURCE_ADDRESS when the target is on IPv4 loopback and this machine can send from it
    (Linux routes all of 127.0.0.0/8 to loopback; other systems may not), else None."""
    host = urlsplit(base_url).hostname or ""
    try:
        address = ipaddress.ip_address(socket.gethostbyname(host))
    except (OSError, ValueError):
        return None
    if address.version != 4 or not address.is_loopback:
        return None
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        probe.bind((FUZZ_SOURCE_ADDRESS, 0))
    except OSError:
        return None
    finally:
        probe.close()
    return FUZZ_SOURCE_ADDRESS


class _SourceAddressAdapter(HTTPAdapter):
    """Connections from a given local address."""

    def __init__(self, source_address: str) -> None:
        self._source_address = source_address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self._source_address, 0)
        super().init_poolmanager(*args, **kwargs)


@contextmanager
def constants_from_the_schema_alone() -> Iterator[None]:
    """Hypothesis mixes into its draws literals it finds in the project's modules that the process
    has imported, a set that changes with which tests ran before; without them, the seed and the
    document alone fix the cases. (Hypothesis has no setting for this, so its lookup is swapped
    for the fuzz run, as schemathesis itself adjusts Hypothesis's internals.)"""
    original = hypothesis_providers._get_local_constants
    empty = Constants()
    hypothesis_providers._get_local_constants = lambda: empty
    hypothesis_providers.CONSTANTS_CACHE.cache.clear()
    try:
        yield
    finally:
        hypothesis_providers._get_local_constants = original
        hypothesis_providers.CONSTANTS_CACHE.cache.clear()


def derive_seed(seed: int, *parts: str) -> int:
    """A seed for one operation and mode, fixed by the run's seed."""
    digest = hashlib.sha256(":".join((str(seed), *parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big")


class DocumentFuzzer:
    """Fuzzes one fetched document; `created_user_ids` lists the users its requests made."""

    def __init__(
        self,
        document: FetchedDocument,
        credentials: Credentials,
        *,
        budget: FuzzBudget,
        seed: int,
        redactor: Redactor,
        source_address: str | None,
        allowances: tuple[Allowance, ...] = ALLOWANCES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.document = document
        self.credentials = credentials
        self.budget = budget
        self.seed = seed
        self.redactor = redactor
        self.source_address = source_address
        self.allowances = allowances
        self.clock = clock
        self.created_user_ids: list[str] = []
        self._cases = 0
        self._statuses: defaultdict[str, Counter[int]] = defaultdict(Counter)
        self._failures: dict[tuple[str, str, int | None, str | None], FuzzFailure] = {}
        self._allowed: Counter[str] = Counter()
        self._unsendable = 0
        self._late = 0  # cases drawn after the time budget ran out, not sent

    def run(self) -> FuzzOutcome:
        schema = schemathesis.openapi.from_dict(
            copy.deepcopy(dict(self.document.content)), config=self._config()
        )
        notes: list[str] = []
        operations = []
        for result in schema.get_all_operations():
            if isinstance(result, Err):
                error = result.err()
                self._record_document_error(error.label, error.message)
                continue
            operation = result.ok()
            if operation.label in SIGN_IN_OPERATIONS and self.source_address is None:
                notes.append(
                    f"{operation.label} not fuzzed: no loopback address of its own to send from, and its "
                    "failed sign-ins would throttle the other scenarios' sign-ins"
                )
                continue
            operations.append(operation)
        operations.sort(key=lambda operation: operation.path.endswith(SESSION_ENDING_PATH_SUFFIXES))
        deadline = self.clock() + self.budget.seconds_per_document
        cut_short: list[str] = []
        with self._session() as session, constants_from_the_schema_alone():
            for operation in operations:
                role = caller_of(
                    operation.path,
                    operation_security(self.document.content, operation.path, operation.method),
                    self.document.spec.calls_as,
                )
                headers = self.credentials.headers(role)
                for mode in MODES:
                    if self.clock() >= deadline:
                        cut_short.append(f"{operation.label} ({mode.value})")
                        continue
                    if not self._fuzz(operation, mode, headers, session, deadline):
                        notes.append(f"{operation.label}: no {mode.value} case can be generated")
        if cut_short or self._late:
            budget = f"{self.budget.seconds_per_document:g} s"
            left = f"; not fuzzed: {', '.join(cut_short)}" if cut_short else ""
            notes.append(f"time budget of {budget} reached: {self._late} drawn cases not sent{left}")
        if self._unsendable:
            notes.append(f"{self._unsendable} generated requests could not be sent by the HTTP client")
        return FuzzOutcome(
            document=self.document.spec.name,
            seed=self.seed,
            cases=self._cases,
            operations=len(operations),
            statuses={label: dict(counts) for label, counts in self._statuses.items()},
            failures=tuple(self._failures.values()),
            allowed=dict(self._allowed),
            notes=tuple(notes),
        )

    def _config(self) -> schemathesis.Config:
        return schemathesis.Config.from_dict(
            {
                "base-url": self.document.base_url,
                "seed": self.seed,
                "request-timeout": REQUEST_TIMEOUT_S,
                "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
            }
        )

    @contextmanager
    def _session(self) -> Iterator[requests.Session]:
        session = requests.Session()
        if self.source_address is not None:
            session.mount("http://", _SourceAddressAdapter(self.source_address))
        try:
            yield session
        finally:
            session.close()

    def _fuzz(
        self,
        operation: Operation,
        mode: GenerationMode,
        headers: Mapping[str, str],
        session: requests.Session,
        deadline: float,
    ) -> bool:
        """Run one operation in one mode; False when no case can be generated for it."""

        def one_case(case: Case[Operation]) -> None:
            if self.clock() < deadline:
                self._exchange(operation, case, session)
            else:
                self._late += 1

        strategy: SearchStrategy[Case[Operation]] = operation.as_strategy(
            generation_mode=mode, headers=dict(headers)
        )
        cases: Callable[[], None] = hypothesis.given(strategy)(one_case)
        seeded = hypothesis.seed(derive_seed(self.seed, self.document.spec.name, operation.label, mode.value))
        run = seeded(self._hypothesis_settings()(cases))
        try:
            run()
        except Unsatisfiable:
            return False
        return True

    def _hypothesis_settings(self) -> hypothesis.settings:
        """Generation only (no database of past examples, no shrinking: nothing is raised)."""
        return hypothesis.settings(
            max_examples=self.budget.examples_per_operation,
            database=None,
            deadline=None,
            derandomize=False,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
            verbosity=Verbosity.quiet,
            print_blob=False,
            report_multiple_bugs=False,
        )

    def _exchange(self, operation: Operation, case: Case[Operation], session: requests.Session) -> None:
        label = operation.label
        try:
            response = case.call(session=session)
        except (requests.ConnectionError, requests.Timeout) as error:
            self._cases += 1
            request = getattr(error, "request", None)
            exchange = self._exchange_of(request, None, f"{type(error).__name__}: {error}")
            self._record(label, NO_RESPONSE_CHECK, "No response", str(error), exchange, None)
            return
        except (requests.RequestException, ValueError):
            self._unsendable += 1  # e.g. a header value the HTTP client refuses to send
            return
        self._cases += 1
        self._statuses[label][response.status_code] += 1
        if label in USER_CREATING_OPERATIONS and 200 <= response.status_code < 300:
            self._remember_user(response.content)
        try:
            case.validate_response(response)
        except FailureGroup as group:
            exchange = self._exchange_of(response.request, response.status_code, response.content)
            failures = list(group.exceptions)
            server_errors = [failure for failure in failures if SERVER_ERROR_CHECK in failure.checks]
            for failure in server_errors or failures:  # on a 5xx, the other checks' verdicts are noise
                self._judge(operation, failure, self._finding(operation, failure, response), exchange)

    def _finding(self, operation: Operation, failure: Failure, response: schemathesis.Response) -> Finding:
        body_text = _text(response.request.body or b"")
        return Finding(
            check=failure.checks[0] if failure.checks else type(failure).__name__,
            operation=operation.label,
            status=response.status_code,
            error_code=error_code_of(_json(response.content)),
            query=dict(parse_qsl(urlsplit(str(response.request.url)).query, keep_blank_values=True)),
            body=_json(body_text),
            body_text=body_text,
            body_schema=_body_schema(self.document.content, operation.path, operation.method),
        )

    def _judge(self, operation: Operation, failure: Failure, finding: Finding, exchange: Exchange) -> None:
        allowance = allowance_for(finding, self.allowances)
        if allowance is None:
            self._record(
                operation.label, finding.check, failure.title, failure.message, exchange, finding.error_code
            )
            return
        code = f" {finding.error_code}" if finding.error_code else ""
        self._allowed[f"{operation.label} {finding.status}{code}: {allowance.why}"] += 1

    def _record(
        self, label: str, check: str, title: str, message: str, exchange: Exchange, error_code: str | None
    ) -> None:
        key = (label, check, exchange.status, error_code)
        known = self._failures.get(key)
        if known is not None:
            self._failures[key] = FuzzFailure(
                known.operation,
                known.check,
                known.title,
                known.message,
                known.exchange,
                known.occurrences + 1,
            )
            return
        self._failures[key] = FuzzFailure(
            operation=label,
            check=check,
            title=title,
            message=self._clean(message),
            exchange=exchange,
        )

    def _record_document_error(self, label: str, message: str) -> None:
        exchange = Exchange("-", self.document.base_url, {}, "", 0, "")
        self._record(
            label,
            "document",
            "The document describes this operation in a way schemathesis cannot read",
            message,
            exchange,
            None,
        )

    def _exchange_of(self, request: Any, status: int | None, content: bytes | str) -> Exchange:
        if request is None:
            return Exchange("?", "?", {}, "", status, self._clean(_text(content)))
        headers = {
            name: self._clean(str(value), REQUEST_EXCERPT_CHARS)
            for name, value in request.headers.items()
            if name.lower() not in TRANSPORT_HEADERS and not name.lower().startswith("x-schemathesis")
        }
        return Exchange(
            method=str(request.method),
            url=self._clean(str(request.url), REQUEST_EXCERPT_CHARS),
            headers=headers,
            body=self._clean(_text(request.body or b""), REQUEST_EXCERPT_CHARS),
            status=status,
            response_body=self._clean(_text(content)),
        )

    def _clean(self, text: str, limit: int = RESPONSE_EXCERPT_CHARS) -> str:
        """Credentials by name, other secrets redacted, cut to an excerpt."""
        cleaned = self.redactor.text(self.credentials.mask(text))
        return cleaned if len(cleaned) <= limit else cleaned[:limit] + "..."

    def _remember_user(self, content: bytes) -> None:
        body = _json(content)
        user = body.get("user", body) if isinstance(body, dict) else None
        if isinstance(user, dict) and isinstance(user.get("id"), str):
            self.created_user_ids.append(user["id"])


def _body_schema(document: Mapping[str, Any], path: str, method: str) -> Mapping[str, Any] | None:
    """The JSON body schema of an operation, when the document gives it inline."""
    operation = document.get("paths", {}).get(path, {}).get(method.lower(), {})
    for parameter in operation.get("parameters", ()):
        if isinstance(parameter, Mapping) and parameter.get("in") == "body":
            schema = parameter.get("schema")
            return schema if isinstance(schema, Mapping) else None
    content = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    schema = content.get("schema") if isinstance(content, Mapping) else None
    return schema if isinstance(schema, Mapping) and "$ref" not in schema else None


def _json(content: bytes | str) -> object:
    try:
        return json.loads(content)
    except (ValueError, TypeError):
        return None


def _text(content: bytes | str) -> str:
    return content.decode("utf-8", "replace") if isinstance(content, bytes) else str(content)
