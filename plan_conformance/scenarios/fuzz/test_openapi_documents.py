"""OpenAPI fuzzing: every operation of each document the target publishes (docs/openapi.md).

Each document is read from the target itself and fuzzed with schema-valid and schema-violating
requests, seeded from `--seed` and bounded by `--fuzz-examples` and `--fuzz-seconds`, as the
callers it names (the anon key, a fresh user, the service role key). The service must never
answer with a server error, and must answer as the document says: a documented status, media
type, headers and body, valid requests accepted and invalid ones refused, less the refusals
docs/openapi.md lists as right (the harness's allow-list). A target that publishes no document
at a path skips that document.

The service-role calls claim, finish and reset jobs and expire the queue's pending ones:
destructive, so a deployed target runs them only with --allow-destructive.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harness import PUBLISHED_DOCUMENTS, FuzzOutcome, PublishedDocument

pytestmark = [pytest.mark.fuzz, pytest.mark.destructive, pytest.mark.needs("http")]


@pytest.mark.parametrize("document", PUBLISHED_DOCUMENTS, ids=str)
def test_the_service_answers_as_its_document_says(
    document: PublishedDocument, fuzz_document: Callable[[PublishedDocument], FuzzOutcome]
) -> None:
    outcome = fuzz_document(document)

    assert outcome.cases > 0, outcome.report()
    assert not outcome.server_errors, outcome.report()
    assert not outcome.nonconformities, outcome.report()
