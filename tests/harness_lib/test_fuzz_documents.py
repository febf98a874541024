"""Fetching a published document: the document, or the reason a target has none there."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from aiohttp import web

from harness.fuzz.budget import FuzzBudget, FuzzBudgetError
from harness.fuzz.documents import (
    PUBLISHED_DOCUMENTS,
    FetchedDocument,
    PublishedDocument,
    Role,
    fetch_document,
)
from tests.reference_impl.http.service import serve_in_thread

SPEC = PublishedDocument("test", "/api", "/api/openapi.json", Role.ANON, None)
ANSWERS: dict[str, tuple[int, Any]] = {
    "document": (200, {"openapi": "3.1.0", "info": {}, "paths": {}}),
    "swagger": (200, {"swagger": "2.0", "info": {}, "paths": {}}),
    "missing": (404, {"error": "not found"}),
    "not-json": (200, "<html></html>"),
    "other-json": (200, {"hello": "world"}),
    "no-paths": (200, {"openapi": "3.1.0", "info": {}}),
}


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    async def answer(request: web.Request) -> web.Response:
        status, body = ANSWERS[request.match_info["kind"]]
        if isinstance(body, str):
            return web.Response(status=status, text=body, content_type="text/html")
        return web.json_response(body, status=status)

    def app() -> web.Application:
        application = web.Application()
        application.router.add_get("/{kind}/api/openapi.json", answer)
        return application

    with serve_in_thread(app) as url:
        yield url


def _fetch(base_url: str, kind: str) -> FetchedDocument | str:
    with httpx.Client() as http:
        return fetch_document(http, f"{base_url}/{kind}", SPEC, {"apikey": "k"})


@pytest.mark.parametrize("kind", ["document", "swagger"])
def test_a_document_is_fetched_with_the_base_url_of_its_paths(base_url: str, kind: str) -> None:
    fetched = _fetch(base_url, kind)

    assert isinstance(fetched, FetchedDocument)
    assert fetched.base_url == f"{base_url}/{kind}/api"
    assert fetched.content == ANSWERS[kind][1]


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("missing", "GET /api/openapi.json answered HTTP 404"),
        ("not-json", "GET /api/openapi.json answered text/html; charset=utf-8, not JSON"),
        ("other-json", "answered JSON that names no OpenAPI 3 or Swagger 2.0 version"),
        ("no-paths", "answered JSON that has no paths"),
    ],
)
def test_a_target_without_a_document_gives_the_reason(base_url: str, kind: str, reason: str) -> None:
    fetched = _fetch(base_url, kind)

    assert isinstance(fetched, str)
    assert fetched.startswith("the target publishes no OpenAPI document: ")
    assert reason in fetched


def test_an_unreachable_target_gives_the_reason() -> None:
    with httpx.Client() as http:
        fetched = fetch_document(http, "http://127.0.0.1:9", SPEC, {})

    assert isinstance(fetched, str) and "GET /api/openapi.json failed (ConnectError" in fetched


def test_the_published_documents_are_the_reference_services_five() -> None:
    assert [str(spec) for spec in PUBLISHED_DOCUMENTS] == [
        "functions",
        "auth",
        "rest-as-anon",
        "rest-as-user",
        "rest-as-service",
    ]
    rest = [spec for spec in PUBLISHED_DOCUMENTS if spec.path == "/rest/v1/"]
    assert all(spec.calls_as is spec.read_as for spec in rest)


@pytest.mark.parametrize(
    ("examples", "seconds", "message"),
    [
        ("many", None, "--fuzz-examples must be a whole number, got 'many'"),
        ("0", None, "--fuzz-examples must be a whole number of 1 or more, got 0"),
        (None, "soon", "--fuzz-seconds must be a number, got 'soon'"),
        (None, "0", "--fuzz-seconds must be a positive number, got 0.0"),
        (None, "nan", "--fuzz-seconds must be a positive number, got nan"),
    ],
)
def test_a_wrong_budget_names_the_option(examples: str | None, seconds: str | None, message: str) -> None:
    with pytest.raises(FuzzBudgetError) as raised:
        FuzzBudget.parse(examples, seconds)
    assert str(raised.value) == message


def test_the_budget_defaults_and_reads_its_options() -> None:
    assert FuzzBudget.parse(None, "") == FuzzBudget()
    assert FuzzBudget.parse("3", "1.5") == FuzzBudget(examples_per_operation=3, seconds_per_document=1.5)
