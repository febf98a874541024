"""A stack serving Edge Functions under Deno: the gateway routes by path, the functions get the
platform's environment, the wall clock ends a request's worker with 546, a killed worker is
replaced, and process-plan-queue is invoked on the schedule."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from harness.config import functions_env
from harness.db.run import DatabaseRun
from harness.edge.preflight import prepare
from harness.errors import TargetSetupError
from harness.stack.local import FunctionsSetup, LocalStack
from tests.edge.conftest import FolderFactory

pytestmark = pytest.mark.slow

StackFactory = Callable[..., LocalStack]


@pytest.fixture
def edge_stack(
    database_run: DatabaseRun | None, tmp_path: Path, functions_folder: FolderFactory
) -> Iterator[StackFactory]:
    run = database_run
    if run is None:
        pytest.skip("needs the local target's database server")
    started: list[tuple[LocalStack, str]] = []

    def start(**overrides: str) -> LocalStack:
        folder = prepare(functions_folder()).folder.path
        name = run.scratch.clone(f"edge_{len(started)}")
        stack = LocalStack(
            run.server.dsn(name),
            1,
            tmp_path / f"stack{len(started)}",
            service_overrides=overrides,
            service_dsn=run.service_dsn(name),
            functions=FunctionsSetup(folder, {"TEAM_SETTING": "on"}),
        )
        stack.start()
        started.append((stack, name))
        return stack

    yield start
    for stack, name in reversed(started):
        stack.stop()
        run.scratch.drop(name)


def _service_headers(stack: LocalStack) -> dict[str, str]:
    assert stack.keys is not None and stack.keys.service_role is not None
    return {"apikey": stack.keys.service_role, "Authorization": f"Bearer {stack.keys.service_role}"}


def _workers(stack: LocalStack) -> dict[str, dict[str, object]]:
    answer = httpx.get(
        f"{stack.service_url}/__edge/workers",
        headers={"Authorization": f"Bearer {stack.secrets.fake_admin_token}"},
    )
    assert answer.status_code == 200, answer.text
    workers: dict[str, dict[str, object]] = answer.json()
    return workers


def test_the_gateway_sends_functions_to_deno_and_the_rest_to_the_reference(edge_stack: StackFactory) -> None:
    stack = edge_stack(WORKER_INTERVAL_MS="0")

    function = httpx.post(
        f"{stack.service_url}/functions/v1/create-plan-job/sub%2Fpart?x=1%23y", content=b"hello"
    )
    rest = httpx.get(f"{stack.service_url}/rest/v1/plan_generation_jobs", headers=_service_headers(stack))
    # A `%23` in a filter stays in the value: decoded on the way, it would end the URL there.
    filtered = httpx.get(
        f"{stack.service_url}/rest/v1/plan_generation_jobs?error_code=in.(a%23b)&select=id",
        headers=_service_headers(stack),
    )
    missing = httpx.post(f"{stack.service_url}/functions/v1/no-such-function")

    assert function.status_code == 200
    assert function.json() == {
        "name": "create-plan-job",
        "method": "POST",
        "path": "/sub%2Fpart",
        "query": "?x=1%23y",
        "body": "hello",
        "supabaseUrl": stack.service_url,
    }
    assert (rest.status_code, rest.json()) == (200, [])
    assert (filtered.status_code, filtered.json()) == (200, []), filtered.text
    assert missing.status_code == 404 and missing.json()["code"] == "NOT_FOUND"
    assert httpx.get(f"{stack.service_url}/__edge/workers").status_code == 401


def test_a_request_past_the_wall_clock_ends_its_worker_with_546_and_a_new_one_serves_next(
    edge_stack: StackFactory,
) -> None:
    stack = edge_stack(WORKER_INTERVAL_MS="0", WALL_CLOCK_LIMIT_MS="500")
    before = _workers(stack)["process-plan-queue"]["pid"]

    started = time.monotonic()
    limited = httpx.post(f"{stack.service_url}/functions/v1/process-plan-queue", content=b"sleep", timeout=30)
    elapsed = time.monotonic() - started
    after = httpx.post(f"{stack.service_url}/functions/v1/process-plan-queue", content=b"{}")

    assert limited.status_code == 546
    assert limited.json()["code"] == "WORKER_LIMIT"
    assert elapsed < 5, "the limit, not the function's own 10 s, ended the request"
    assert after.status_code == 200
    assert _workers(stack)["process-plan-queue"]["pid"] not in (None, before)


def test_a_killed_worker_is_replaced_by_the_next_request(edge_stack: StackFactory) -> None:
    stack = edge_stack(WORKER_INTERVAL_MS="0")
    pid = _workers(stack)["create-plan-job"]["pid"]

    killed = httpx.post(
        f"{stack.service_url}/__edge/workers/create-plan-job/kill",
        headers={"Authorization": f"Bearer {stack.secrets.fake_admin_token}"},
    )
    again = httpx.post(f"{stack.service_url}/functions/v1/create-plan-job", content=b"{}")

    assert killed.json() == {"killed": pid}
    assert again.status_code == 200
    assert _workers(stack)["create-plan-job"]["pid"] not in (None, pid)


def test_process_plan_queue_is_invoked_on_the_schedule_with_the_service_key(edge_stack: StackFactory) -> None:
    stack = edge_stack(WORKER_INTERVAL_MS="50")
    deadline = time.monotonic() + 10
    invoked: list[dict[str, object]] = []
    while len(invoked) < 3:
        assert time.monotonic() < deadline, "the schedule did not invoke process-plan-queue"
        time.sleep(0.1)
        records = [
            json.loads(line)
            for line in stack.functions_log_path.read_text().splitlines()
            if line.startswith("{")
        ]
        invoked = [record for record in records if record.get("event") == "echo.invoked"]

    assert {record["name"] for record in invoked} == {"process-plan-queue"}


def test_the_functions_own_settings_may_not_take_the_platforms_names(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("DEEPSEEK_MODEL=deepseek-chat\nSUPABASE_URL=https://example.invalid\n")

    with pytest.raises(TargetSetupError, match=r"SUPABASE_URL is set by the platform"):
        functions_env(env_file)
    env_file.write_text("DEEPSEEK_MODEL=deepseek-chat\n")
    assert functions_env(env_file) == {"DEEPSEEK_MODEL": "deepseek-chat"}
