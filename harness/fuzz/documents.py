"""The OpenAPI documents a target publishes (docs/openapi.md), and fetching one from the target.

The functions' and the auth surface's documents sit at fixed paths and say per operation who
calls it. The REST root describes what the caller's role may use, so it is read once per role
and every operation in it is called as that role.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import httpx

FETCH_TIMEOUT_S = 30.0


class Role(StrEnum):
    """Who a request is made as: the anon key, a signed-in user, or the service role key."""

    ANON = "anon"
    USER = "user"
    SERVICE = "service_role"


@dataclass(frozen=True)
class PublishedDocument:
    """One document the fuzzer reads: where the target serves it and as whom it is read."""

    name: str
    surface: str  # the prefix its paths are relative to, e.g. "/functions/v1"
    path: str  # where it is served
    read_as: Role  # the role whose headers fetch it
    calls_as: Role | None  # every operation's caller; None: as each operation's security says

    def __str__(self) -> str:
        return self.name


PUBLISHED_DOCUMENTS: tuple[PublishedDocument, ...] = (
    PublishedDocument("functions", "/functions/v1", "/functions/v1/openapi.json", Role.ANON, None),
    PublishedDocument("auth", "/auth/v1", "/auth/v1/openapi.json", Role.ANON, None),
    PublishedDocument("rest-as-anon", "/rest/v1", "/rest/v1/", Role.ANON, Role.ANON),
    PublishedDocument("rest-as-user", "/rest/v1", "/rest/v1/", Role.USER, Role.USER),
    PublishedDocument("rest-as-service", "/rest/v1", "/rest/v1/", Role.SERVICE, Role.SERVICE),
)


@dataclass(frozen=True)
class FetchedDocument:
    """A document as the target answered it, and the base URL its paths are called under."""

    spec: PublishedDocument
    base_url: str
    content: Mapping[str, Any] = field(repr=False)


def fetch_document(
    http: httpx.Client, base_url: str, spec: PublishedDocument, headers: Mapping[str, str]
) -> FetchedDocument | str:
    """The document, or why the target has none there (a reason to skip with)."""
    where = f"GET {spec.path}"
    try:
        response = http.get(base_url.rstrip("/") + spec.path, headers=dict(headers), timeout=FETCH_TIMEOUT_S)
    except httpx.HTTPError as error:
        return f"the target publishes no OpenAPI document: {where} failed ({type(error).__name__}: {error})"
    if response.status_code != 200:
        return f"the target publishes no OpenAPI document: {where} answered HTTP {response.status_code}"
    try:
        content = response.json()
    except ValueError:
        kind = response.headers.get("content-type", "no content type")
        return f"the target publishes no OpenAPI document: {where} answered {kind}, not JSON"
    problem = _not_a_document(content)
    if problem is not None:
        return f"the target publishes no OpenAPI document: {where} answered JSON that {problem}"
    return FetchedDocument(spec=spec, base_url=base_url.rstrip("/") + spec.surface, content=content)


def _not_a_document(content: object) -> str | None:
    if not isinstance(content, dict):
        return "is not an object"
    version = content.get("openapi", content.get("swagger"))
    if not isinstance(version, str) or not (version.startswith("3.") or version == "2.0"):
        return "names no OpenAPI 3 or Swagger 2.0 version"
    if not isinstance(content.get("paths"), dict):
        return "has no paths"
    return None
