"""The failures a fuzzer meets although the service is right: an explicit allow-list.

schemathesis's acceptance checks read every schema-valid request as one the service must
accept, and every schema-violating request as one it must refuse. Some refusals depend on the
state rather than on the request's shape, some on a tie between two parts of a request that a
document cannot state, and PostgreSQL reads more time forms than the documents describe;
docs/openapi.md ("Notes for a fuzzer") lists them. Each entry below is one of those cases,
narrowed to its operation, status and error code (or a test of the request). No entry can
allow a 5xx: a server error is never right.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jsonschema

POSITIVE_ACCEPTANCE = "positive_data_acceptance"  # "schema-valid request rejected"
NEGATIVE_REJECTION = "negative_data_rejection"  # "schema-violating request accepted"
TIME_FORMATS = frozenset(
    {"interval", "timestamp with time zone", "timestamp without time zone", "date", "time"}
)
_JSON_TYPES = frozenset({"string", "integer", "number", "boolean"})
GRANT_FIELDS: Mapping[str, tuple[str, ...]] = {
    "password": ("email", "password"),
    "refresh_token": ("refresh_token",),
}


@dataclass(frozen=True)
class Finding:
    """One check's failure on one exchange: what the allow-list looks at."""

    check: str  # the schemathesis check that failed
    operation: str  # "POST /signup"
    status: int
    error_code: str | None  # the body's `error_code` (GoTrue, the functions) or `code` (PostgREST)
    query: Mapping[str, str] = field(default_factory=dict)  # the query parameters as sent
    body: object = None  # the JSON body as sent (None: none, or not JSON)
    body_text: str = ""  # the body as sent, as text
    body_schema: Mapping[str, Any] | None = None  # the operation's body schema, when given inline


@dataclass(frozen=True)
class Allowance:
    """A failure that is right: `check` failed on `operation` answering `status` with
    `error_code`, and (when given) the request passes `when`."""

    check: str
    operation: str  # a regular expression matched against the whole operation label
    status: int
    error_code: str | None  # None: the body has no code telling the case apart; `when` must
    why: str
    when: Callable[[Finding], bool] | None = None

    def __post_init__(self) -> None:
        if self.status >= 500:
            raise ValueError(f"an allowance cannot cover HTTP {self.status}: a server error is never right")
        if self.error_code is None and self.when is None:
            raise ValueError(
                f"the allowance for {self.operation} {self.status} must name an error code or a test"
            )

    def allows(self, finding: Finding) -> bool:
        if finding.status >= 500 or finding.check != self.check or finding.status != self.status:
            return False
        if not re.fullmatch(self.operation, finding.operation):
            return False
        if self.error_code is not None and finding.error_code != self.error_code:
            return False
        return self.when is None or self.when(finding)


def body_lacks_what_the_grant_needs(finding: Finding) -> bool:
    """`/token`'s body is the one its `grant_type` query parameter names; the document cannot tie
    the two, so a body made for the other grant is schema-valid."""
    needed = GRANT_FIELDS.get(finding.query.get("grant_type", ""))
    if needed is None or not isinstance(finding.body, Mapping):
        return False
    return any(not isinstance(finding.body.get(name), str) or not finding.body[name] for name in needed)


def body_holds_nul(finding: Finding) -> bool:
    """A string or key of the body holds NUL, which PostgreSQL text cannot (docs/openapi.md: no NUL
    in any string); the documents give `json`/`jsonb` arguments no schema to say so."""
    return "\\u0000" in finding.body_text or "\x00" in finding.body_text


def body_is_blank(finding: Finding) -> bool:
    """An empty body calls a function without arguments, as PostgREST does."""
    return not finding.body_text.strip()


def has_time_argument(finding: Finding) -> bool:
    """The body gives a time argument (`format` a PostgreSQL time type)."""
    schema, body = finding.body_schema, finding.body
    if not isinstance(schema, Mapping) or not isinstance(body, Mapping):
        return False
    properties = schema.get("properties")
    return isinstance(properties, Mapping) and any(
        isinstance(spec, Mapping) and spec.get("format") in TIME_FORMATS and name in body
        for name, spec in properties.items()
    )


def arguments_read_by_postgresql(finding: Finding) -> bool:
    """Every schema violation of the body is in an argument PostgreSQL reads from the value's JSON
    text, as PostgREST passes it (`json_to_record`): a time in a form the document does not
    describe, or a value of another JSON type (a number or an object for a text argument, `"5"`
    for an integer). The rest is valid."""
    schema, body = finding.body_schema, finding.body
    if not isinstance(schema, Mapping) or not isinstance(body, Mapping):
        return False
    properties = schema.get("properties")
    if not isinstance(properties, Mapping):
        return False
    read_as_text = {
        name
        for name, value in body.items()
        if isinstance(properties.get(name), Mapping)
        and not _valid(properties[name], value)
        and _read_from_text(properties[name], value)
    }
    if not read_as_text:
        return False
    rest = {name: value for name, value in body.items() if name not in read_as_text}
    without_required = {key: value for key, value in schema.items() if key != "required"}
    required = [name for name in schema.get("required", ()) if name not in read_as_text]
    return _valid({**without_required, "required": required} if required else without_required, rest)


def _read_from_text(schema: Mapping[str, Any], value: object) -> bool:
    if isinstance(value, str) and schema.get("format") in TIME_FORMATS:
        return True
    declared = schema.get("type")
    return (
        isinstance(declared, str)
        and declared in _JSON_TYPES
        and value is not None  # a null is no text: SQL NULL, which the function must refuse itself
        and not _valid({"type": declared}, value)
    )


ALLOWANCES: tuple[Allowance, ...] = (
    # GoTrue: the email (or the given id) is already a user's; the fuzzer draws a value twice,
    # and `/signup` and `/admin/users` share the users.
    Allowance(
        POSITIVE_ACCEPTANCE, r"POST /signup", 422, "user_already_exists", "the email is already a user's"
    ),
    Allowance(
        POSITIVE_ACCEPTANCE, r"POST /admin/users", 422, "email_exists", "the email is already a user's"
    ),
    Allowance(
        POSITIVE_ACCEPTANCE, r"POST /admin/users", 422, "user_already_exists", "the id is already a user's"
    ),
    # GoTrue: a password that is not the user's (or no such user), a refresh token never
    # issued or already used, a refresh token whose user is gone.
    Allowance(POSITIVE_ACCEPTANCE, r"POST /token", 400, "invalid_credentials", "wrong email or password"),
    Allowance(POSITIVE_ACCEPTANCE, r"POST /token", 400, "refresh_token_not_found", "unknown refresh token"),
    Allowance(POSITIVE_ACCEPTANCE, r"POST /token", 400, "refresh_token_already_used", "refresh token used"),
    Allowance(POSITIVE_ACCEPTANCE, r"POST /token", 400, "user_not_found", "the refresh token's user is gone"),
    # GoTrue: a body made for the other grant than `grant_type` names.
    Allowance(
        POSITIVE_ACCEPTANCE,
        r"POST /token",
        400,
        "validation_failed",
        "the body is the other grant's",
        when=body_lacks_what_the_grant_needs,
    ),
    # (429 once sign-ins are throttled and 403 `session_not_found` after `/logout` need no
    # entry: the check itself takes 401, 403, 404, 409 and 429 as refusals a valid request may get.)
    # PostgREST: an offset past the counted rows.
    Allowance(POSITIVE_ACCEPTANCE, r"GET /\w+", 416, "PGRST103", "the offset is past the counted rows"),
    # The queue functions' own argument checks (a blank worker id, an interval that is not
    # positive, an unknown error code, a plan or input that is not an object): SQLSTATE PT400.
    Allowance(POSITIVE_ACCEPTANCE, r"POST /rpc/\w+", 400, "PT400", "a function's own argument check"),
    # PostgREST: a NUL in a string or key of a `json`/`jsonb` argument (the documents say no NUL
    # in any string, but give such arguments no schema).
    Allowance(
        POSITIVE_ACCEPTANCE,
        r"POST /rpc/\w+",
        400,
        "PGRST102",
        "a NUL in a JSON argument",
        when=body_holds_nul,
    ),
    # PostgreSQL: an interval whose distance from now leaves the timestamp range (SQLSTATE 22008).
    Allowance(
        POSITIVE_ACCEPTANCE, r"POST /rpc/\w+", 400, "22008", "a time out of range", when=has_time_argument
    ),
    # PostgREST: an empty body calls the function without arguments.
    Allowance(
        NEGATIVE_REJECTION, r"POST /rpc/\w+", 200, None, "an empty body is no arguments", when=body_is_blank
    ),
    # PostgREST passes each argument to PostgreSQL, which reads it from the value's JSON text: a
    # time in a form the document does not describe, a number or an object for a text argument,
    # "5" for an integer.
    Allowance(
        NEGATIVE_REJECTION,
        r"POST /rpc/\w+",
        200,
        None,
        "PostgreSQL reads the argument from its text",
        when=arguments_read_by_postgresql,
    ),
)


def allowance_for(finding: Finding, allowances: Sequence[Allowance] = ALLOWANCES) -> Allowance | None:
    return next((allowance for allowance in allowances if allowance.allows(finding)), None)


def error_code_of(body: object) -> str | None:
    """The code a refusal's body carries: `error_code` (GoTrue, the functions) or `code` (PostgREST)."""
    if not isinstance(body, Mapping):
        return None
    for key in ("error_code", "code"):
        value = body.get(key)
        if isinstance(value, str):
            return value
    return None


def _valid(schema: Mapping[str, Any], value: object) -> bool:
    return bool(jsonschema.Draft4Validator(dict(schema)).is_valid(value))
