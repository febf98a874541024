"""Does a real response conform to the service's OpenAPI document?

The status must be documented for the operation (or a `default` response exist), the
media type must be one the response declares, and the body must validate against the
response's schema: OpenAPI 3.1 schemas with the OAS 3.1 validator, Swagger 2 schemas as
JSON Schema draft 4 with `x-nullable` read as "or null" (as Swagger tools do).
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft4Validator
from openapi_schema_validator import OAS31Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4, DRAFT202012

DOCUMENT_URI = "urn:plan-conformance:document"


def _pointer(*steps: str) -> str:
    return "/".join(step.replace("~", "~0").replace("/", "~1") for step in steps)


def _nullable_as_any_of(node: Any) -> Any:
    """A Swagger 2 document with every `x-nullable: true` schema turned into `anyOf [it, null]`."""
    if isinstance(node, list):
        return [_nullable_as_any_of(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _nullable_as_any_of(value) for key, value in node.items() if key != "x-nullable"}
    if node.get("x-nullable") is True:
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


@dataclass(frozen=True)
class Conformance:
    """One document and where it is served (`base`: the path prefix of its operations)."""

    document: dict[str, Any]
    base: str

    @property
    def swagger(self) -> bool:
        return self.document.get("swagger") == "2.0"

    def operation_path(self, method: str, path: str) -> str:
        """The document's path template that `path` (with the base) is an instance of."""
        assert path.startswith(self.base), f"{path} is not under {self.base}"
        relative = path[len(self.base) :].split("?", 1)[0] or "/"
        for template, operations in self.document["paths"].items():
            pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
            if re.match(pattern, relative) and method.lower() in operations:
                return str(template)
        raise AssertionError(f"{method} {relative} is not in the document")

    def check(self, method: str, path: str, status: int, content_type: str, body: bytes) -> None:
        """Assert that the response conforms; the message says how it does not."""
        template = self.operation_path(method, path)
        operation = self.document["paths"][template][method.lower()]
        responses = operation["responses"]
        key = str(status) if str(status) in responses else "default"
        assert key in responses, f"{method} {template} answered {status}, not documented: {sorted(responses)}"
        media_type = content_type.split(";")[0].strip()
        pointer = _pointer("paths", template, method.lower(), "responses", key)
        if self.swagger:
            schema_pointer = f"{pointer}/schema"
            has_schema = "schema" in responses[key]
            produces = operation.get("produces", self.document.get("produces", []))
            if body:
                assert media_type in produces, f"{media_type} is not in produces {produces}"
        else:
            content = responses[key].get("content", {})
            has_schema = bool(content)
            if body or content:
                assert media_type in content, f"{media_type} is not in {sorted(content)} of {status}"
            schema_pointer = f"{pointer}/content/{_pointer(media_type)}/schema"
        if not has_schema:
            assert not body, f"{status} is documented without a body, got {body[:200]!r}"
            return
        self._validate(json.loads(body), schema_pointer)

    def _validate(self, value: Any, schema_pointer: str) -> None:
        reference = {"$ref": f"{DOCUMENT_URI}#/{schema_pointer}"}
        if self.swagger:
            contents = _nullable_as_any_of(copy.deepcopy(self.document))
            registry: Registry[Any] = Registry().with_resource(
                DOCUMENT_URI, Resource.from_contents(contents, default_specification=DRAFT4)
            )
            Draft4Validator(reference, registry=registry).validate(value)
        else:
            registry = Registry().with_resource(
                DOCUMENT_URI, Resource.from_contents(self.document, default_specification=DRAFT202012)
            )
            OAS31Validator(
                reference, registry=registry, format_checker=OAS31Validator.FORMAT_CHECKER
            ).validate(value)
