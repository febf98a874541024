"""Scenarios use the harness's public API only: `from harness import <name in __all__>`.

ruff's banned imports (pyproject.toml) keep `fake_llm`, `pgcaller` and `reference_impl` out of
`plan_conformance/scenarios/`; this test keeps them off the harness's internals too, so the harness can be
reorganised without touching a scenario.
"""

from __future__ import annotations

import ast
from pathlib import Path

import harness

SCENARIOS = Path(__file__).resolve().parents[2] / "plan_conformance" / "scenarios"
PROJECT_PACKAGES = ("harness", "fake_llm", "pgcaller", "reference_impl")


def _project_imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, module, names) of every import of a project package in the file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in PROJECT_PACKAGES:
            found.append((node.lineno, node.module, [alias.name for alias in node.names]))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in PROJECT_PACKAGES:
                    found.append((node.lineno, alias.name, []))
    return found


def test_scenarios_import_only_names_the_harness_exports() -> None:
    files = sorted(SCENARIOS.rglob("*.py"))
    assert files, f"no scenario files under {SCENARIOS}"
    wrong = []
    for path in files:
        for line, module, names in _project_imports(path):
            where = f"{path.relative_to(SCENARIOS.parent)}:{line}"
            if module != "harness" or not names:
                wrong.append(f"{where}: imports {module}; use `from harness import ...`")
            wrong += [
                f"{where}: harness does not export {name}" for name in names if name not in harness.__all__
            ]
    assert not wrong, "\n".join(wrong)


def test_every_exported_name_exists() -> None:
    missing = [name for name in harness.__all__ if not hasattr(harness, name)]
    assert not missing


def test_every_exported_name_has_one_home() -> None:
    from harness import _MODULE_OF

    assert sorted(_MODULE_OF) == sorted(harness.__all__)
