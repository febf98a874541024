"""`plan-conformance run`: the conformance suites from any directory, against any target.

    plan-conformance run [--suite db|http|schema|chaos|fuzz ...] [pytest options ...]

Runs pytest on the suites shipped in this package (`--pyargs plan_conformance.scenarios`)
with the package's own pytest settings (`plan_conformance/run_settings.ini`, a name pytest
never picks up by itself), not those of the directory it runs in, and that directory as the
root: reports go to `./reports`, and relative paths (`--migrations supabase/migrations`,
`--functions supabase/functions`, `--env-file .env.staging`) are read from there. Every
option of the harness works, e.g.

    plan-conformance run --target staging --env-file .env.staging -m smoke
    plan-conformance run --suite schema --suite http --migrations supabase/migrations
"""

from __future__ import annotations

import argparse
import sys
from importlib import resources
from pathlib import Path

import pytest

SUITES = ("db", "http", "schema", "chaos", "fuzz")
PACKAGE = "plan_conformance.scenarios"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="plan-conformance",
        description="Run the conformance suites (every other option goes to pytest and the harness).",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the suites (default: all of them)")
    run.add_argument(
        "--suite", action="append", choices=SUITES, default=[], help="one suite (repeatable)"
    )
    return parser


def pytest_arguments(suites: list[str], passed_on: list[str], cwd: Path) -> list[str]:
    """The pytest command line of a run in `cwd`."""
    ini = Path(str(resources.files("plan_conformance").joinpath("run_settings.ini")))
    targets = [f"{PACKAGE}.{suite}" for suite in suites] or [PACKAGE]
    return ["-c", str(ini), "--rootdir", str(cwd), "--pyargs", *targets, *passed_on]


def main(argv: list[str] | None = None) -> int:
    arguments, passed_on = _parser().parse_known_args(sys.argv[1:] if argv is None else argv)
    return int(pytest.main(pytest_arguments(arguments.suite, passed_on, Path.cwd())))


if __name__ == "__main__":
    raise SystemExit(main())
