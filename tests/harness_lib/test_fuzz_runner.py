"""The fuzzer against a small real service with planted faults (tests/harness_lib/fuzz_service.py).

It must find the server error and the answers off the document, name the operation, the
request (credentials by name, never their value) and the response, repeat its requests for
a seed, stop at its time budget, report the users it created, and send from a loopback
address of its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest
from hypothesis.internal.conjecture import providers as hypothesis_providers
from hypothesis.internal.constants_ast import Constants

from harness.fuzz import runner
from harness.fuzz.budget import FuzzBudget
from harness.fuzz.callers import Credentials
from harness.fuzz.documents import FetchedDocument, PublishedDocument, Role, fetch_document
from harness.fuzz.outcome import FuzzOutcome
from harness.redact import Redactor
from tests.reference_impl.http.service import serve_in_thread

from .fuzz_service import ANON_KEY, SERVER_ERROR_ABOVE, SERVICE_KEY, USER_TOKEN, FuzzTestService

TEST_DOCUMENT = PublishedDocument("test-api", "/api", "/api/openapi.json", Role.ANON, None)
CREDENTIALS = Credentials(anon_key=ANON_KEY, service_key=SERVICE_KEY, user_token=USER_TOKEN)
SMALL = FuzzBudget(examples_per_operation=15, seconds_per_document=120)


@pytest.fixture
def service() -> Iterator[tuple[FuzzTestService, str]]:
    served = FuzzTestService()
    with serve_in_thread(served.app) as base_url:
        yield served, base_url


def _document(base_url: str) -> FetchedDocument:
    with httpx.Client() as http:
        fetched = fetch_document(http, base_url, TEST_DOCUMENT, CREDENTIALS.headers(Role.ANON))
    assert isinstance(fetched, FetchedDocument), fetched
    return fetched


def _fuzz(
    base_url: str, *, seed: int = 7, budget: FuzzBudget = SMALL, **options: object
) -> runner.DocumentFuzzer:
    settings: dict[str, object] = {
        "budget": budget,
        "seed": seed,
        "redactor": Redactor((ANON_KEY, SERVICE_KEY)),
        "source_address": runner.source_address_for(base_url),
        **options,
    }
    return runner.DocumentFuzzer(_document(base_url), CREDENTIALS, **settings)  # type: ignore[arg-type]


def test_the_server_error_is_found_and_named_with_its_request_and_response(
    service: tuple[FuzzTestService, str],
) -> None:
    _, base_url = service

    outcome = _fuzz(base_url).run()

    [error] = outcome.server_errors
    assert error.operation == "POST /items"
    assert error.exchange.status == 500
    assert error.exchange.method == "POST" and error.exchange.url == f"{base_url}/api/items"
    assert int(json.loads(error.exchange.body)["size"]) > SERVER_ERROR_ABOVE
    assert "size overflowed" in error.exchange.response_body
    assert error.exchange.headers["apikey"] == "<anon key>"
    assert error.exchange.headers["Authorization"] == "Bearer <anon key>"
    report = outcome.report()
    assert "POST /items" in report and "HTTP 500" in report and "<anon key>" in report
    assert ANON_KEY not in report and ANON_KEY not in repr(outcome.as_check())


def test_answers_off_the_document_are_nonconformities(service: tuple[FuzzTestService, str]) -> None:
    _, base_url = service

    outcome = _fuzz(base_url).run()

    found = {(failure.operation, failure.check) for failure in outcome.nonconformities}
    assert ("GET /status", "response_schema_conformance") in found
    assert ("GET /teapot", "status_code_conformance") in found
    assert all(not failure.is_server_error for failure in outcome.nonconformities)
    check = outcome.as_check()
    [details] = check.details.values()
    assert check.valid is False
    assert details["cases"] == outcome.cases > 0
    assert details["server_errors"] >= 1 and details["not_as_documented"] >= 2


def test_a_seed_repeats_its_requests_whatever_the_process_has_imported(
    service: tuple[FuzzTestService, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    served, base_url = service

    def requests_for(seed: int) -> list[tuple[str, str, str]]:
        served.seen.clear()
        _fuzz(base_url, seed=seed).run()
        return served.requests()

    first = requests_for(11)
    # As if the process had imported more of the project: Hypothesis mixes the literals it
    # finds in the project's loaded modules into its draws.
    literals = Constants()
    for number in range(100):
        literals.add(1000 + number)
        literals.add(f"literal-{number}")
    monkeypatch.setattr(hypothesis_providers, "_get_local_constants", lambda: literals)
    hypothesis_providers.CONSTANTS_CACHE.cache.clear()
    again = requests_for(11)
    other = requests_for(12)

    assert first == again
    assert first != other


def test_the_time_budget_stops_the_run_and_says_what_was_left(service: tuple[FuzzTestService, str]) -> None:
    _, base_url = service
    ticks = iter(range(0, 10_000, 1))  # every look at the clock is a second later

    outcome = _fuzz(
        base_url, budget=replace(SMALL, seconds_per_document=12), clock=lambda: float(next(ticks))
    ).run()

    assert 0 < outcome.cases < 5 * 2 * SMALL.examples_per_operation
    assert any("time budget of 12 s reached" in note for note in outcome.notes), outcome.notes


def test_the_users_its_requests_created_are_reported(service: tuple[FuzzTestService, str]) -> None:
    _, base_url = service

    fuzzer = _fuzz(base_url)
    outcome = fuzzer.run()

    assert outcome.statuses["POST /signup"].get(200, 0) == len(fuzzer.created_user_ids) > 0


def test_sign_ins_come_from_the_fuzzers_own_loopback_address(service: tuple[FuzzTestService, str]) -> None:
    served, base_url = service
    if runner.source_address_for(base_url) is None:
        pytest.skip(f"this machine cannot send from {runner.FUZZ_SOURCE_ADDRESS}")

    _fuzz(base_url).run()

    addresses = {remote for method, path, _, remote in served.seen if path.startswith("/api/token")}
    assert addresses == {runner.FUZZ_SOURCE_ADDRESS}


def test_without_an_address_of_its_own_sign_ins_are_not_fuzzed(service: tuple[FuzzTestService, str]) -> None:
    served, base_url = service

    outcome = _fuzz(base_url, source_address=None).run()

    assert not [path for _, path, _ in served.requests() if path.startswith("/api/token")]
    assert "POST /token" not in outcome.statuses
    assert any(note.startswith("POST /token not fuzzed") for note in outcome.notes), outcome.notes


def test_a_target_off_loopback_gets_no_source_address() -> None:
    assert runner.source_address_for("http://192.0.2.10:8000") is None
    assert runner.source_address_for("http://[::1]:8000") is None


def test_outcome_summary_counts_what_the_log_shows() -> None:
    outcome = FuzzOutcome(document="d", seed=3, cases=1200, operations=30)

    assert outcome.summary().startswith(
        "1200 cases on 30 operations, 0 server errors, 0 answers not as documented"
    )
    assert outcome.as_check().valid is True
