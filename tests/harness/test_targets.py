"""Targets by what the run has: capabilities from options and environment, the header that
says which, skips with reasons, the skip gate, and refusals naming the option."""

from __future__ import annotations

import pytest

from harness.capabilities import Capabilities

pytestmark = pytest.mark.slow

KEYS = {
    "SUPABASE_ANON_KEY": "anon-key-for-the-target-test",
    "SUPABASE_SERVICE_ROLE_KEY": "service-key-for-the-target-test",
}
NEEDS = """
import pytest

@pytest.mark.needs("http")
def test_http():
    pass

@pytest.mark.needs("db", "clock")
def test_db():
    pass

@pytest.mark.needs("faults")
def test_faults():
    pass

@pytest.mark.needs("workers")
def test_workers():
    pass

@pytest.mark.destructive
@pytest.mark.needs("db")
def test_destructive():
    pass
"""


def _run(pytester: pytest.Pytester, *arguments: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "harness.plugin", "-p", "no:cacheprovider", *arguments)


def _scenario(pytester: pytest.Pytester, source: str) -> None:
    """A scenario module (under a `scenarios/` folder, where the conformance reporter counts them)."""
    (pytester.path / "scenarios").mkdir(exist_ok=True)
    (pytester.path / "scenarios" / "test_needs.py").write_text(source)


@pytest.fixture
def deployed_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "FAKE_DEEPSEEK_URL", "FAKE_DEEPSEEK_ADMIN_TOKEN", "SERVICE_LOG_FILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in KEYS.items():
        monkeypatch.setenv(name, value)


def test_capabilities_say_what_is_missing_and_why() -> None:
    capabilities = Capabilities.of(
        {"http": None, "db": "no DSN", "clock": "no DSN", "faults": None, "workers": "not ours"}
    )

    assert capabilities.lacks({"http", "faults"}) == []
    assert capabilities.skip_reason("url", {"http", "workers", "db"}) == (
        "target url lacks db, workers (db: no DSN; workers: not ours)"
    )
    assert capabilities.describe() == "http, faults; lacks db (no DSN); clock (no DSN); workers (not ours)"
    with pytest.raises(ValueError, match="needs a reason"):
        Capabilities(frozenset({"http"}))


@pytest.mark.usefixtures("deployed_env")
def test_keys_only_give_http_and_the_rest_is_skipped_with_reasons(pytester: pytest.Pytester) -> None:
    _scenario(pytester, NEEDS)

    result = _run(pytester, "--target", "url", "--url", "http://127.0.0.1:9", "-rs")

    result.assert_outcomes(passed=1, skipped=4)
    result.stdout.fnmatch_lines(
        [
            "conformance: target url http://127.0.0.1:9, seed *",
            "capabilities: http; lacks db (no database DSN*); clock (*); faults (no fake*); workers (*",
            "skipped 4 of 5 (80.0%)",
            "*target url lacks db, clock (db: no database DSN for the target*",
            "*target url lacks faults (faults: no fake DeepSeek under the harness's control*",
            "*target url lacks workers (workers: the target's workers are not processes this run started)*",
        ]
    )


@pytest.mark.usefixtures("deployed_env")
def test_a_dsn_and_a_fake_give_db_clock_and_faults(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:9/none")
    monkeypatch.setenv("FAKE_DEEPSEEK_URL", "http://127.0.0.1:8")
    monkeypatch.setenv("FAKE_DEEPSEEK_ADMIN_TOKEN", "an-admin-token-of-the-fake-0123")
    monkeypatch.setenv("INTERNAL_TIMEOUT_MS", "1500")
    pytester.makepyfile(
        test_needs="""
import pytest

@pytest.mark.needs("http", "db", "clock")
def test_db():
    pass

@pytest.mark.destructive
def test_destructive():
    pass
"""
    )

    result = _run(pytester, "--target", "url", "--url", "http://127.0.0.1:9", "-rs")

    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(
        [
            "capabilities: http, db, clock, faults; lacks workers (*",
            "fake DeepSeek: given at http://127.0.0.1:8; the target's calls must arrive there",
            "service settings: INTERNAL_TIMEOUT_MS=1500, PLAN_JOB_MAX_RETRIES=unknown, *",
            "*needs the queue to itself; target url's database is not known to be disposable*",
        ]
    )
    assert "an-admin-token-of-the-fake-0123" not in result.stdout.str()


def test_the_local_target_has_every_capability(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_needs=NEEDS)

    result = _run(pytester, "--collect-only")

    assert result.ret == 0
    result.stdout.fnmatch_lines(["capabilities: http, db, clock, faults, workers (all)"])
    result.stdout.fnmatch_lines(["jobs ahead: 8 *"])  # the local stack's WORKER_CONCURRENCY


def test_jobs_ahead_follows_the_functions_own_worker_concurrency(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_needs=NEEDS)
    (pytester.path / "functions").mkdir()
    (pytester.path / "functions.env").write_text("WORKER_CONCURRENCY=3\n")

    result = _run(
        pytester, "--collect-only", "--functions", "functions", "--functions-env-file", "functions.env"
    )

    assert result.ret == 0
    result.stdout.fnmatch_lines(["jobs ahead: 3 *"])


@pytest.mark.parametrize(
    ("arguments", "line"),
    [
        (["--jobs-ahead", "3"], "jobs ahead: 3 *"),
        (
            ["--target", "url", "--url", "http://127.0.0.1:9", "--fake-llm-url", "http://127.0.0.1:9"],
            "jobs ahead: 1 *",
        ),
        (
            [
                "--target",
                "url",
                "--url",
                "http://127.0.0.1:9",
                "--fake-llm-url",
                "http://127.0.0.1:9",
                "--jobs-ahead",
                "4",
            ],
            "jobs ahead: 4 *",
        ),
    ],
    ids=["local-given", "deployed-default", "deployed-given"],
)
@pytest.mark.usefixtures("deployed_env")
def test_jobs_ahead_is_one_on_a_deployed_target_unless_given(
    pytester: pytest.Pytester, arguments: list[str], line: str
) -> None:
    pytester.makepyfile(test_needs=NEEDS)

    result = _run(pytester, "--collect-only", *arguments)

    assert result.ret == 0
    result.stdout.fnmatch_lines([line])


@pytest.mark.usefixtures("deployed_env")
def test_more_skipped_than_allowed_fails_the_run(pytester: pytest.Pytester) -> None:
    _scenario(pytester, NEEDS)

    result = _run(pytester, "--target", "url", "--url", "http://127.0.0.1:9", "--max-skipped", "5")

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=1, skipped=4)
    result.stdout.fnmatch_lines(["FAILED: 80.0% of the scenarios were skipped, more than --max-skipped 5%*"])


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--fake-llm", "serve"], "ERROR: --fake-llm is for a deployed target*"),
        (
            ["--target", "url", "--url", "http://127.0.0.1:9", "--fake-llm", "serve:10.1.2.3:8999"],
            "ERROR: --fake-llm 'serve:10.1.2.3:8999': the harness serves the fake on loopback*",
        ),
        (
            [
                "--target",
                "url",
                "--url",
                "http://127.0.0.1:9",
                "--fake-llm",
                "serve",
                "--fake-llm-url",
                "http://x:1",
            ],
            "ERROR: give either --fake-llm serve*or --fake-llm-url, not both",
        ),
        (
            ["--target", "url", "--url", "http://127.0.0.1:9", "--db", "embedded"],
            "ERROR: --db embedded provisions a server for the local stack*",
        ),
        (
            ["--target", "url", "--url", "http://127.0.0.1:9", "--invoke-queue-every", "often"],
            "ERROR: --invoke-queue-every 'often' is not a number",
        ),
        (
            ["--target", "url", "--url", "http://127.0.0.1:9", "--max-skipped", "120"],
            "ERROR: --max-skipped must be a percentage from 0 to 100, got 120",
        ),
        (["--jobs-ahead", "0"], "ERROR: --jobs-ahead must be a whole number from 1 to 64, got 0"),
        (["--jobs-ahead", "2.5"], "ERROR: --jobs-ahead must be a whole number from 1 to 64, got 2.5"),
    ],
    ids=[
        "fake-on-local",
        "fake-off-loopback",
        "two-fakes",
        "provider-on-url",
        "schedule",
        "percent",
        "jobs-ahead-zero",
        "jobs-ahead-fraction",
    ],
)
@pytest.mark.usefixtures("deployed_env")
def test_a_wrong_target_option_stops_the_run_naming_it(
    pytester: pytest.Pytester, arguments: list[str], message: str
) -> None:
    pytester.makepyfile(test_one="def test_one():\n    pass\n")

    result = _run(pytester, *arguments)

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


@pytest.mark.usefixtures("deployed_env")
def test_a_malformed_service_setting_is_named(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEEPSEEK_IN_CALL_RETRIES", "two")
    pytester.makepyfile(test_one="def test_one():\n    pass\n")

    result = _run(pytester, "--target", "url", "--url", "http://127.0.0.1:9")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: DEEPSEEK_IN_CALL_RETRIES must be a whole number, got 'two'"])
