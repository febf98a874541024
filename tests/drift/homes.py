"""Where the copies of the contract's error codes live, read from a source tree as text.

The contract's table (docs/contract.md, "Error codes") is the source. Its copies that must
stay independent (the harness's oracle against the implementation, the TypeScript functions
against the Python reference) are read here without importing them, from any tree: the
drift test runs on the repository, and its own test runs on a copy with one code removed.
`error_code_drift(root)` says, one line per place, where a copy disagrees with the table.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

CONTRACT = Path("docs/contract.md")
PLAYBOOK = Path("docs/playbook.md")
MIGRATIONS = Path("reference_impl/supabase/migrations")
PYTHON_CODES = Path("reference_impl/pipeline/errors.py")
UI_STATES = Path("harness/poller.py")
TS_CODES = Path("examples/supabase/functions/_shared/errors.ts")

_CODE = re.compile(r"'([A-Z][A-Z_]+)'")
_CALL = re.compile(r"plan_jobs_internal\.(\w+)\(\)")


@dataclass(frozen=True)
class CodeRow:
    """One row of the contract's error-code table."""

    code: str
    attempt: str  # "worker", "recovery" or "-"
    retryable: bool
    ui_state: str


def markdown_table(text: str, heading: str, first_column: str) -> list[list[str]]:
    """The body cells of the first table, in the section whose heading starts with `heading`,
    whose header row starts with `first_column`."""
    lines = text.splitlines()
    start = next((n for n, line in enumerate(lines) if line.startswith(heading)), None)
    if start is None:
        raise ValueError(f"no section {heading!r}")
    rows: list[list[str]] = []
    for line in lines[start + 1 :]:
        if line.startswith("#"):
            break
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if rows or cells[0] == first_column:
            rows.append(cells)
    if not rows:
        raise ValueError(f"no table starting with {first_column!r} under {heading!r}")
    return rows[2:]  # without the header and the --- line


def contract_codes(root: Path) -> tuple[CodeRow, ...]:
    rows = markdown_table((root / CONTRACT).read_text(), "## Error codes", "error_code")
    return tuple(CodeRow(row[0].strip("`"), row[2], row[3] == "yes", row[4].strip("`")) for row in rows)


# -- SQL: the last definition of each internal function and of the table's constraint ------


def _migration_texts(root: Path) -> list[tuple[str, str]]:
    return [(path.name, path.read_text()) for path in sorted((root / MIGRATIONS).glob("*.sql"))]


def _last_function_body(root: Path, name: str) -> tuple[str, str]:
    """(file, body) of the last `create [or replace] function plan_jobs_internal.<name>(`."""
    found: tuple[str, str] | None = None
    pattern = re.compile(
        rf"create (?:or replace )?function plan_jobs_internal\.{name}\(.*?\$\$(.*?)\$\$", re.S
    )
    for file, text in _migration_texts(root):
        for match in pattern.finditer(text):
            found = (file, match.group(1))
    if found is None:
        raise ValueError(f"no migration defines plan_jobs_internal.{name}()")
    return found


def sql_function_codes(root: Path, name: str) -> list[str]:
    """The codes `plan_jobs_internal.<name>()` returns, following calls to the others."""
    _, body = _last_function_body(root, name)
    called = [code for function in _CALL.findall(body) for code in sql_function_codes(root, function)]
    return [*called, *_CODE.findall(body)]


def sql_constraint_codes(root: Path) -> tuple[str, list[str]]:
    """(file, codes) of the last definition of the table's error-code check constraint."""
    found: tuple[str, list[str]] | None = None
    pattern = re.compile(
        r"constraint plan_generation_jobs_error_code_known\s+check \((.*?)\)(?:,|;|\n\))", re.S
    )
    for file, text in _migration_texts(root):
        for match in pattern.finditer(text):
            expression = match.group(1)
            codes = _CODE.findall(expression)
            for called in _CALL.findall(expression):
                codes += sql_function_codes(root, called)
            found = (file, codes)
    if found is None:
        raise ValueError("no migration defines the constraint plan_generation_jobs_error_code_known")
    return found


def sql_fail_plan_job_literals(root: Path) -> tuple[str, list[str]]:
    """(file, codes written out) in the last definition of `public.fail_plan_job`: it must
    take its codes from the internal functions, not list them again."""
    found: tuple[str, list[str]] | None = None
    pattern = re.compile(r"create (?:or replace )?function public\.fail_plan_job\(.*?\$\$(.*?)\$\$", re.S)
    for file, text in _migration_texts(root):
        for match in pattern.finditer(text):
            found = (file, _CODE.findall(match.group(1)))
    if found is None:
        raise ValueError("no migration defines public.fail_plan_job")
    return found


# -- Python and TypeScript ------------------------------------------------------------------


def _module(root: Path, path: Path) -> ast.Module:
    return ast.parse((root / path).read_text(), filename=str(path))


def python_error_codes(root: Path) -> tuple[list[str], list[str]]:
    """(the `ErrorCode` members' values, the members in `_NOT_RETRYABLE`)."""
    tree = _module(root, PYTHON_CODES)
    members: dict[str, str] = {}
    not_retryable: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == "ErrorCode":
            for statement in node.body:
                if (
                    isinstance(statement, ast.Assign)
                    and isinstance(statement.targets[0], ast.Name)
                    and isinstance(statement.value, ast.Constant)
                ):
                    members[statement.targets[0].id] = str(statement.value.value)
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "_NOT_RETRYABLE" for target in node.targets
        ):
            not_retryable = [
                members.get(attribute.attr, attribute.attr)
                for attribute in ast.walk(node.value)
                if isinstance(attribute, ast.Attribute)
            ]
    return list(members.values()), not_retryable


def ui_state_map(root: Path) -> dict[str, str]:
    """`ERROR_CODE_UI_STATES` of the poller: code -> the UI state's value."""
    tree = _module(root, UI_STATES)
    states: dict[str, str] = {}
    mapping: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == "UiState":
            for statement in node.body:
                if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Constant):
                    states[statement.targets[0].id] = str(statement.value.value)  # type: ignore[attr-defined]
        target = getattr(node, "target", None) or (getattr(node, "targets", None) or [None])[0]
        if isinstance(target, ast.Name) and target.id == "ERROR_CODE_UI_STATES":
            literal = next(item for item in ast.walk(node) if isinstance(item, ast.Dict))
            for key, value in zip(literal.keys, literal.values, strict=True):
                if isinstance(key, ast.Constant) and isinstance(value, ast.Attribute):
                    mapping[str(key.value)] = value.attr
    return {code: states.get(member, member) for code, member in mapping.items()}


def _ts_list(text: str, declaration: str) -> list[str]:
    match = re.search(rf"{declaration}[^\[]*\[(.*?)\]", text, re.S)
    if match is None:
        raise ValueError(f"{TS_CODES} has no {declaration}")
    return re.findall(r'"([A-Z_]+)"', match.group(1))


def ts_error_codes(root: Path) -> tuple[list[str], list[str]]:
    """(`ATTEMPT_ERROR_CODES`, the codes of `NOT_RETRYABLE`) of the TypeScript functions."""
    text = (root / TS_CODES).read_text()
    return _ts_list(text, "export const ATTEMPT_ERROR_CODES"), _ts_list(text, "const NOT_RETRYABLE")


def playbook_codes(root: Path) -> dict[str, tuple[bool, str]]:
    """The playbook's error-code table: code -> (retryable, UI state)."""
    rows = markdown_table((root / PLAYBOOK).read_text(), "### 4.1 Error codes", "error_code")
    return {row[0].strip("`"): (row[2].startswith("yes"), row[3].strip("`")) for row in rows}


# -- the comparison ---------------------------------------------------------------------------


def _differ(place: str, expected: list[str], found: list[str]) -> Iterator[str]:
    missing = [code for code in expected if code not in found]
    extra = [code for code in found if code not in expected]
    if missing or extra:
        yield f"{place}: missing {missing}, not in the contract {extra}"


def error_code_drift(root: Path) -> list[str]:
    """One line per place whose error codes disagree with docs/contract.md (empty: none)."""
    rows = contract_codes(root)
    every = [row.code for row in rows]
    attempts = [row.code for row in rows if row.attempt != "-"]
    by_workers = [row.code for row in rows if row.attempt == "worker"]
    never_retried = [row.code for row in rows if row.attempt != "-" and not row.retryable]
    not_retryable = [row.code for row in rows if not row.retryable]
    problems: list[str] = []

    file, codes = sql_constraint_codes(root)
    problems += _differ(f"{file}: check constraint plan_generation_jobs_error_code_known", every, codes)
    problems += _differ(
        "SQL plan_jobs_internal.attempt_error_codes()",
        attempts,
        sql_function_codes(root, "attempt_error_codes"),
    )
    problems += _differ(
        "SQL plan_jobs_internal.never_retried_error_codes()",
        never_retried,
        sql_function_codes(root, "never_retried_error_codes"),
    )
    file, literals = sql_fail_plan_job_literals(root)
    if literals:
        problems.append(
            f"{file}: fail_plan_job writes codes out {literals}; take them from plan_jobs_internal"
        )

    members, python_not_retryable = python_error_codes(root)
    problems += _differ(f"{PYTHON_CODES}: ErrorCode", every, members)
    problems += _differ(f"{PYTHON_CODES}: _NOT_RETRYABLE", not_retryable, python_not_retryable)

    states = ui_state_map(root)
    problems += _differ(f"{UI_STATES}: ERROR_CODE_UI_STATES", every, list(states))
    problems += [
        f"{UI_STATES}: ERROR_CODE_UI_STATES maps {row.code} to {states[row.code]}, "
        f"the contract says {row.ui_state}"
        for row in rows
        if row.code in states and states[row.code] != row.ui_state
    ]

    ts_codes, ts_not_retryable = ts_error_codes(root)
    problems += _differ(f"{TS_CODES}: ATTEMPT_ERROR_CODES", by_workers, ts_codes)
    problems += _differ(
        f"{TS_CODES}: NOT_RETRYABLE", [c for c in never_retried if c in by_workers], ts_not_retryable
    )

    playbook = playbook_codes(root)
    problems += _differ(f"{PLAYBOOK}: section 4.1", every, list(playbook))
    problems += [
        f"{PLAYBOOK}: section 4.1 says {row.code} is retryable={playbook[row.code][0]} with UI state "
        f"{playbook[row.code][1]}; the contract says retryable={row.retryable}, {row.ui_state}"
        for row in rows
        if row.code in playbook and playbook[row.code] != (row.retryable, row.ui_state)
    ]
    return problems
