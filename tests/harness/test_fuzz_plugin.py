"""The fuzz scenarios' plumbing in the plugin: the marker, the budget options, the summary line
a check gives the log."""

from __future__ import annotations

import pytest

KEYS = {
    "SUPABASE_ANON_KEY": "anon-key-for-the-fuzz-plugin-test",
    "SUPABASE_SERVICE_ROLE_KEY": "service-key-for-the-fuzz-plugin-test",
}
DEPLOYED = ("--target", "url", "--url", "http://127.0.0.1:9")
RECORDS_A_CHECK = """
import pytest

from harness import record_check
from harness.checkers import CheckResult


@pytest.mark.fuzz
def test_fuzzed(request):
    summary = "1200 cases on 30 operations, 0 server errors (key service-key-for-the-fuzz-plugin-test)"
    record_check(request.node, CheckResult(True, {"openapi_fuzz[test]": {"valid": True, "summary": summary}}))
"""


@pytest.fixture(autouse=True)
def deployed_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "FAKE_DEEPSEEK_URL", "FAKE_DEEPSEEK_ADMIN_TOKEN", "SERVICE_LOG_FILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in KEYS.items():
        monkeypatch.setenv(name, value)


def _run(pytester: pytest.Pytester, *arguments: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "harness.plugin", "-p", "no:cacheprovider", *arguments)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("--fuzz-examples", "many"), "ERROR: --fuzz-examples must be a whole number, got 'many'"),
        (("--fuzz-seconds", "-1"), "ERROR: --fuzz-seconds must be a positive number, got -1.0"),
    ],
)
def test_a_wrong_fuzz_budget_stops_the_run_naming_the_option(
    pytester: pytest.Pytester, arguments: tuple[str, ...], message: str
) -> None:
    pytester.makepyfile(test_one="def test_one():\n    pass\n")

    result = _run(pytester, *DEPLOYED, *arguments)

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_the_fuzz_marker_is_declared(pytester: pytest.Pytester) -> None:
    result = _run(pytester, "--markers")

    result.stdout.fnmatch_lines(["@pytest.mark.fuzz: fuzzes the target's published OpenAPI documents*"])


def test_a_checks_summary_line_is_in_the_log_without_secrets(pytester: pytest.Pytester) -> None:
    (pytester.path / "scenarios").mkdir()  # the reporter, which prints the line, counts scenarios there
    (pytester.path / "scenarios" / "test_fuzzed.py").write_text(RECORDS_A_CHECK)

    result = _run(pytester, *DEPLOYED, "--report-dir", "out", "--strict-markers")

    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        ["openapi_fuzz[test]: 1200 cases on 30 operations, 0 server errors (key [REDACTED])"]
    )
    assert KEYS["SUPABASE_SERVICE_ROLE_KEY"] not in result.stdout.str()
