"""The service's API descriptions, built from the code and the catalog they describe.

    GET /functions/v1/openapi.json   OpenAPI 3.1: create-plan-job, process-plan-queue
    GET /auth/v1/openapi.json        OpenAPI 3.1: the GoTrue subset
    GET /rest/v1/                    OpenAPI 2 (as PostgREST's root): the tables and
                                     functions the caller's role can use, generated from
                                     the catalog by `reference_impl.rest.root_document`

Each lists every status its routes can answer and the request limits the service
enforces (docs/openapi.md). This package holds the two static documents and what they share.
"""

from __future__ import annotations
