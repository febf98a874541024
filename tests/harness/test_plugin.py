"""The pytest plugin as a user meets it: header, capability skips, start-up errors, reports."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.slow

SCENARIOS = """
import pytest

@pytest.mark.needs("faults")
def test_needs_faults():
    pass

@pytest.mark.needs("http")
@pytest.mark.smoke
def test_http_only():
    pass

def test_prints_a_secret():
    raise AssertionError("the service key is " + __import__("os").environ["SUPABASE_SERVICE_ROLE_KEY"])
"""

SERVICE_KEY = "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.c2lnbmF0dXJlLXNlY3JldA"


def _run(pytester: pytest.Pytester, *arguments: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "harness.plugin", "-p", "no:cacheprovider", *arguments)


def _scenarios(pytester: pytest.Pytester, **modules: str) -> None:
    """Test modules under a `scenarios/` folder, where the reporter looks for conformance scenarios."""
    (pytester.path / "scenarios").mkdir(exist_ok=True)
    for name, source in modules.items():
        (pytester.path / "scenarios" / f"{name}.py").write_text(source)


NEEDS_THE_DATABASE = "def test_one(database_run):\n    assert database_run is not None\n"


def test_the_header_names_target_and_seed_and_the_summary_the_database_it_started(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_one=NEEDS_THE_DATABASE)

    result = _run(pytester, "--seed", "42")

    result.stdout.fnmatch_lines(
        [
            "conformance: target local, seed 42",
            "database: embedded, PostgreSQL 18.*; start-up * s + shim and migrations * s = * s;"
            " migrations: reference* (started for the first test that needed it)",
        ]
    )
    assert result.ret == 0


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["alone", "xdist"])
def test_a_run_whose_tests_need_no_database_starts_none(
    pytester: pytest.Pytester, workers: list[str]
) -> None:
    pytester.makepyfile(test_one="def test_one(harness_config):\n    assert harness_config.seed == 42\n")

    result = _run(pytester, "--seed", "42", *workers)

    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["database: not started (no test of this run needed it)"])
    assert "database: embedded" not in result.stdout.str()


def test_xdist_workers_share_the_one_database_the_first_of_them_asked_for(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_both="""
import os
import pathlib
import pytest

@pytest.mark.parametrize("n", range(4))
def test_port(n, database_run):
    out = pathlib.Path(os.environ["PORT_OUT"], f"{os.environ['PYTEST_XDIST_WORKER']}-{n}.txt")
    out.write_text(str(database_run.server.conninfo["port"]))
"""
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PORT_OUT", str(pytester.path))
        result = _run(pytester, "-n", "2")

    result.assert_outcomes(passed=4)
    written = list(pytester.path.glob("gw*-*.txt"))
    assert {path.name.split("-")[0] for path in written} == {"gw0", "gw1"}
    assert len({path.read_text() for path in written}) == 1
    assert result.stdout.str().count("(started for the first test that needed it)") == 1


def test_a_run_without_scenarios_writes_no_conformance_report(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_unit="def test_one():\n    pass\n")

    result = _run(pytester, "--report-dir", "out")

    result.assert_outcomes(passed=1)
    assert not (pytester.path / "out").exists()
    assert "conformance" not in [line.strip("= ") for line in result.stdout.lines]


def test_the_report_holds_the_scenarios_alone(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_unit="def test_unit():\n    pass\n")
    _scenarios(pytester, test_area="def test_scenario():\n    pass\n")

    _run(pytester, "--report-dir", "out")

    results = json.loads(((pytester.path / "out" / "latest").resolve() / "results.json").read_text())
    assert [(row["nodeid"], row["area"]) for row in results["scenarios"]] == [
        ("scenarios/test_area.py::test_scenario", "area")
    ]


def test_a_seed_replays_a_tests_profiles_alone_or_in_a_bigger_xdist_run(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_profiles="""
import json
import os
import pathlib
import pytest

@pytest.mark.parametrize("n", range(6))
def test_draws(n, profile_factory):
    profiles = [profile_factory.make() for _ in range(3)]
    out = pathlib.Path(os.environ["PROFILES_OUT"], os.environ["RUN_TAG"], f"draws-{n}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(profiles, sort_keys=True))
"""
    )

    def run(tag: str, *arguments: str) -> dict[str, str]:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("PROFILES_OUT", str(pytester.path))
            patch.setenv("RUN_TAG", tag)
            result = _run(pytester, *arguments)
        assert result.ret == 0, result.stdout.str()
        return {path.name: path.read_text() for path in (pytester.path / tag).glob("*.json")}

    alone = run("alone", "--seed", "7", "-k", "test_draws and 4")
    bigger = run("bigger", "--seed", "7", "-n", "2")
    other_seed = run("other", "--seed", "8", "-k", "test_draws and 4")

    assert list(alone) == ["draws-4.json"]
    assert len(bigger) == 6
    assert bigger["draws-4.json"] == alone["draws-4.json"]
    assert other_seed["draws-4.json"] != alone["draws-4.json"]
    assert len(set(bigger.values())) == 6  # each test draws its own profiles


def test_staging_skips_what_it_lacks_with_the_reason_and_redacts_reports(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    _scenarios(pytester, test_scenarios=SCENARIOS)
    monkeypatch.setenv("SUPABASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("SUPABASE_ANON_KEY", "anon-key-for-the-test")
    monkeypatch.setenv("SUPABASE_SERVICE_ROLE_KEY", SERVICE_KEY)

    result = _run(pytester, "--target", "staging", "--report-dir", "out", "-rs")

    result.assert_outcomes(passed=1, failed=1, skipped=1)
    result.stdout.fnmatch_lines(["*target staging lacks faults (faults: no fake DeepSeek under the harness*"])
    run_dir = (pytester.path / "out" / "latest").resolve()
    junit = (run_dir / "junit.xml").read_text()
    results = json.loads((run_dir / "results.json").read_text())
    html = (run_dir / "report.html").read_text()
    assert "the service key is" in junit
    for text in (junit, json.dumps(results), html, result.stdout.str()):
        assert SERVICE_KEY not in text
    skipped = [scenario for scenario in results["scenarios"] if scenario["outcome"] == "skipped"]
    assert skipped and "lacks faults" in skipped[0]["reason"]


def test_staging_without_its_url_stops_at_start_naming_the_variable(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_one="def test_one():\n    pass\n")
    monkeypatch.delenv("SUPABASE_URL", raising=False)

    result = _run(pytester, "--target", "staging")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: --target staging needs SUPABASE_URL (in the environment or the --env-file)"]
    )


def test_an_unknown_capability_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_one='import pytest\n\n@pytest.mark.needs("telepathy")\ndef test_one():\n    pass\n'
    )

    result = _run(pytester)

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: *unknown capability *telepathy* in @needs*"])


def test_env_file_supplies_the_target_settings(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("SUPABASE_URL", "SUPABASE_ANON_KEY", "SUPABASE_SERVICE_ROLE_KEY", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    env_file = pytester.path / "staging.env"
    env_file.write_text(
        "SUPABASE_URL=http://127.0.0.1:9\nSUPABASE_ANON_KEY=anon-from-file\nSUPABASE_SERVICE_ROLE_KEY=service-from-file\n"
    )
    pytester.makepyfile(test_scenarios=SCENARIOS.split("def test_prints_a_secret")[0])

    result = _run(pytester, "--target", "staging", "--env-file", str(env_file))

    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["conformance: target staging http://127.0.0.1:9, seed *"])


def test_reports_latest_points_at_the_newest_run(pytester: pytest.Pytester) -> None:
    _scenarios(pytester, test_one="def test_one():\n    pass\n")

    _run(pytester, "--report-dir", "out")
    _run(pytester, "--report-dir", "out")

    runs = sorted(path for path in (pytester.path / "out").iterdir() if path.name != "latest")
    assert len(runs) == 2
    assert (pytester.path / "out" / "latest").resolve() == runs[-1].resolve()
    assert {path.name for path in runs[-1].iterdir()} == {"junit.xml", "results.json", "report.html"}


def test_a_random_seed_is_one_seed_for_every_xdist_worker(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEED_OUT", str(pytester.path))
    pytester.makepyfile(
        test_seeds="""
import os
import pathlib
import pytest

@pytest.mark.parametrize("n", range(4))
def test_seed(n, harness_config):
    pathlib.Path(os.environ["SEED_OUT"], f"seed-{n}.txt").write_text(str(harness_config.seed))
"""
    )

    result = _run(pytester, "--seed", "random", "-n", "2")

    header_seed = next(
        line.rsplit(" ", 1)[1]
        for line in result.stdout.lines
        if line.startswith("conformance: target local, seed")
    )
    seeds = {path.read_text() for path in (pytester.path).glob("seed-*.txt")}
    assert seeds == {header_seed}, (seeds, header_seed)


def test_a_skip_reason_shaped_like_a_secret_is_redacted_and_stays_a_skip(pytester: pytest.Pytester) -> None:
    _scenarios(
        pytester,
        test_skip='import pytest\n\ndef test_one():\n    pytest.skip("needs sk-abcdefghijklmnopqrstuvwx")\n',
    )

    result = _run(pytester, "--report-dir", "out", "-rs")

    result.assert_outcomes(skipped=1)
    assert "sk-abcdefghijklmnopqrstuvwx" not in result.stdout.str()
    results = json.loads(((pytester.path / "out" / "latest").resolve() / "results.json").read_text())
    assert results["scenarios"][0]["reason"] == "needs [REDACTED]"


def test_url_without_the_url_target_is_refused(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_one="def test_one():\n    pass\n")

    result = _run(pytester, "--url", "http://127.0.0.1:1")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --url is for --target url; this run's target is local"])


def test_each_checker_verdict_is_reported_once(pytester: pytest.Pytester) -> None:
    _scenarios(
        pytester,
        test_check="""
from harness.checkers import DbSnapshot, DocumentedErrorCodes, compose
from harness.report.reporter import record_check

def test_one(request):
    record_check(request.node, compose(DocumentedErrorCodes()).check([], DbSnapshot()))
""",
    )

    _run(pytester, "--report-dir", "out")

    results = json.loads(((pytester.path / "out" / "latest").resolve() / "results.json").read_text())
    assert [check["name"] for check in results["checks"]] == ["documented_error_codes"]


@pytest.mark.parametrize(
    ("arguments", "scheduling"),
    [
        (["-n", "2"], "WorkStealingScheduling"),
        (["-n", "2", "--dist", "load"], "LoadScheduling"),
        (["-n", "2", "--dist", "loadfile"], "LoadFileScheduling"),
    ],
    ids=["default", "load-asked-for", "loadfile-asked-for"],
)
def test_xdist_steals_work_unless_another_distribution_is_asked_for(
    pytester: pytest.Pytester, arguments: list[str], scheduling: str
) -> None:
    pytester.makepyfile(test_one="def test_one():\n    pass\n\ndef test_two():\n    pass\n")

    result = _run(pytester, "-v", *arguments)

    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines([f"scheduling tests via {scheduling}"])


LONG_AND_SHORT = """
import pathlib

import pytest


@pytest.fixture
def isolated_stack():
    return None  # only the name matters to the ordering


@pytest.fixture
def ran(request):
    # the worker from this run's own config: an outer xdist run's PYTEST_XDIST_WORKER is inherited
    worker = getattr(request.config, "workerinput", {}).get("workerid", "serial")

    def record(name):
        with pathlib.Path("order.txt").open("a") as order:
            order.write(f"{worker} {name}\\n")

    return record


@pytest.mark.parametrize("n", range(6))
def test_short(n, ran):
    ran(f"short{n}")


def test_with_its_own_stack(isolated_stack, ran):
    ran("long-stack")


@pytest.mark.slow
def test_marked_slow(ran):
    ran("long-slow")
"""


def _order(pytester: pytest.Pytester) -> dict[str, list[str]]:
    by_worker: dict[str, list[str]] = {}
    for line in (pytester.path / "order.txt").read_text().splitlines():
        worker, name = line.split()
        by_worker.setdefault(worker, []).append(name)
    return by_worker


def test_under_xdist_the_long_scenarios_run_before_the_short_ones(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_order=LONG_AND_SHORT)

    result = _run(pytester, "-n", "2")

    result.assert_outcomes(passed=8)
    by_worker = _order(pytester)
    for names in by_worker.values():
        long_positions = [index for index, name in enumerate(names) if name.startswith("long")]
        assert long_positions == list(range(len(long_positions))), names
    assert sum(name.startswith("long") for names in by_worker.values() for name in names) == 2


def test_a_serial_run_keeps_the_files_order(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_order=LONG_AND_SHORT)

    result = _run(pytester)

    result.assert_outcomes(passed=8)
    assert _order(pytester) == {"serial": [*(f"short{n}" for n in range(6)), "long-stack", "long-slow"]}
