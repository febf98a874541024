"""A deployed target's fault scenarios need its DeepSeek to be the harness's fake: proven by a
probe job before the first one runs, and a wrong base URL fails them at once with one line.

The target here is a stack of this run (a real service with its own fake DeepSeek), used by a
child pytest run as `--target url`; the harness is given either that fake or another one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.stack.local import LocalStack
from harness.target.fake import FakeToStart, StartedFake
from harness.target.live import Target

pytestmark = pytest.mark.slow

FAULT_SCENARIO = """
import pytest

@pytest.mark.needs("faults")
def test_a_fault(fake_llm, make_user, profile_factory, poll):
    jobs = make_user()
    quota = {"type": "http_error", "status": 402}
    fake_llm.add_fault({"match": {"user": jobs.session.user_id}, "action": quota})
    outcome = poll(jobs, jobs.create_job_id(profile_factory.make()))
    assert outcome.last_snapshot.error_code == "AI_QUOTA_EXCEEDED"
"""


@pytest.fixture
def deployed_stack(target: Target) -> Iterator[LocalStack]:
    """A stack of this run standing in for a deployment: its service calls its own fake."""
    pool = target.stack_pool()
    if pool is None:
        pytest.skip("needs the local target's stacks")
    stack = pool.start({"WORKER_INTERVAL_MS": "50"})
    yield stack
    pool.stop(stack)


@pytest.fixture
def other_fake(tmp_path: Path) -> Iterator[StartedFake]:
    fake = StartedFake.start(FakeToStart(), seed=7, workdir=tmp_path, api_keys=None)
    yield fake
    fake.stop()


def _child(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, stack: LocalStack, token: str) -> None:
    assert stack.keys is not None and stack.keys.service_role is not None
    monkeypatch.setenv("SUPABASE_ANON_KEY", stack.keys.anon)
    monkeypatch.setenv("SUPABASE_SERVICE_ROLE_KEY", stack.keys.service_role)
    monkeypatch.setenv("FAKE_DEEPSEEK_ADMIN_TOKEN", token)
    for name in ("DATABASE_URL", "FAKE_DEEPSEEK_URL", "SERVICE_LOG_FILE"):
        monkeypatch.delenv(name, raising=False)
    pytester.makepyfile(test_fault=FAULT_SCENARIO)


def test_fault_scenarios_fail_at_once_when_the_targets_deepseek_is_not_the_fake(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    deployed_stack: LocalStack,
    other_fake: StartedFake,
) -> None:
    assert other_fake.fake.admin_token is not None
    _child(pytester, monkeypatch, deployed_stack, other_fake.fake.admin_token)

    result = pytester.runpytest_subprocess(
        "-p", "harness.plugin", "-p", "no:cacheprovider",
        "--target", "url", "--url", deployed_stack.service_url,
        "--fake-llm-url", other_fake.fake.url,
    )  # fmt: skip

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            f"*the target's DeepSeek base URL is not the fake at {other_fake.fake.url}: a probe job ended "
            "completed (no error code) with no call reaching the fake; point the target's "
            "DEEPSEEK_BASE_URL at it"
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_fault_scenarios_run_when_the_targets_deepseek_is_the_fake(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, deployed_stack: LocalStack
) -> None:
    _child(pytester, monkeypatch, deployed_stack, deployed_stack.secrets.fake_admin_token)

    result = pytester.runpytest_subprocess(
        "-p", "harness.plugin", "-p", "no:cacheprovider",
        "--target", "url", "--url", deployed_stack.service_url,
        "--fake-llm-url", deployed_stack.fake_url,
    )  # fmt: skip

    result.assert_outcomes(passed=1)
