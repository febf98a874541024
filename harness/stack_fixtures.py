"""Fixtures for end-to-end scenarios: the target's endpoint, users, the fake, the poller.

On `local`, the first scenario that needs HTTP starts this worker's stack (its own
database cloned from the template, the fake DeepSeek, the reference service); on
`staging` and `url` the endpoint comes from the configuration. Scenarios use the same
fixtures everywhere and state what else they need with `@pytest.mark.needs(...)`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from psycopg.conninfo import conninfo_to_dict

from fake_llm.control import FakeLLMControl
from harness.client import ApiKeys, PlanJobs, QueueAdmin, SupabaseHttp
from harness.config import HarnessConfig
from harness.db.run import DatabaseRun
from harness.estimator import HARD_CAP_SECONDS
from harness.history import History
from harness.keys import DATABASE_RUN_KEY, HARNESS_CONFIG_KEY, RUN_SECRETS_KEY
from harness.poller import PlanBuildingPoller, PollOutcome, PollPolicy
from harness.profiles import ProfileFactory
from harness.queue_db import QueueDatabase
from harness.reporting import record_job_outcome
from harness.stack.local import LocalStack

LOCAL_MAX_WAIT_S = 60.0


@dataclass(frozen=True)
class TargetEndpoint:
    """Where the scenarios talk to: the service, its keys, and on local the fake and stack."""

    url: str
    keys: ApiKeys = field(repr=False)
    database_dsn: str | None = field(default=None, repr=False)
    stack: LocalStack | None = None

    @property
    def fake_url(self) -> str | None:
        return self.stack.fake_url if self.stack is not None else None


@pytest.fixture(scope="session")
def target_endpoint(
    harness_config: HarnessConfig, pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TargetEndpoint]:
    if harness_config.remote is not None:
        yield TargetEndpoint(
            harness_config.remote.url, harness_config.remote.keys, harness_config.remote_database_dsn
        )
        return
    run: DatabaseRun | None = pytestconfig.stash.get(DATABASE_RUN_KEY, None)
    if run is None:
        pytest.skip("the local target has no database for its stack")
    endpoint = _start_local_stack(pytestconfig, run, "stack", tmp_path_factory.mktemp("stack"), {})
    try:
        yield endpoint
    finally:
        _stop_local_stack(run, endpoint)


def _start_local_stack(
    pytestconfig: pytest.Config, run: DatabaseRun, label: str, workdir: Path, overrides: Mapping[str, str]
) -> TargetEndpoint:
    """A stack on a fresh clone of the run's template database, for this xdist worker."""
    harness_config = pytestconfig.stash[HARNESS_CONFIG_KEY]
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = run.scratch.clone(f"{worker}_{label}")
    dsn = run.server.dsn(name)
    stack = LocalStack(
        dsn,
        harness_config.seed,
        workdir,
        secrets=pytestconfig.stash[RUN_SECRETS_KEY],
        service_overrides=overrides,
        service_pythonpath=harness_config.service_pythonpath,
        service_dsn=run.service_dsn(name),
    )
    try:
        stack.start()
    except BaseException:
        run.scratch.drop(name)
        raise
    assert stack.keys is not None
    return TargetEndpoint(stack.service_url, stack.keys, dsn, stack)


def _stop_local_stack(run: DatabaseRun, endpoint: TargetEndpoint) -> None:
    assert endpoint.stack is not None and endpoint.database_dsn is not None
    endpoint.stack.stop()
    with contextlib.suppress(Exception):
        run.scratch.drop(str(conninfo_to_dict(endpoint.database_dsn)["dbname"]))


@pytest.fixture(scope="session")
def wire(target_endpoint: TargetEndpoint) -> Iterator[SupabaseHttp]:
    client = SupabaseHttp(target_endpoint.url, target_endpoint.keys)
    yield client
    client.close()


@pytest.fixture(scope="session")
def queue_admin(wire: SupabaseHttp) -> QueueAdmin:
    return QueueAdmin(wire)


@pytest.fixture
def history() -> History:
    return History()


@pytest.fixture
def make_user(wire: SupabaseHttp, history: History) -> Iterator[Callable[[], PlanJobs]]:
    """Factory: a new signed-in user (through /auth/v1), removed after the test."""
    created: list[PlanJobs] = []

    def make() -> PlanJobs:
        jobs = PlanJobs(wire, wire.new_session(), history)
        created.append(jobs)
        return jobs

    yield make
    for jobs in reversed(created):
        with contextlib.suppress(Exception):
            wire.delete_user(jobs.session.user_id)


@pytest.fixture(scope="session")
def profile_factory(harness_config: HarnessConfig) -> ProfileFactory:
    return ProfileFactory(harness_config.seed)


@pytest.fixture
def fake_llm(target_endpoint: TargetEndpoint) -> Iterator[FakeLLMControl]:
    """The fake DeepSeek's control client, with rules and journal cleared for the test."""
    if target_endpoint.fake_url is None:
        pytest.skip("the target's DeepSeek is not under the harness's control")
    control = FakeLLMControl(target_endpoint.fake_url)
    control.reset()
    yield control
    control.reset()  # a preset, rule or setting must not outlive its test
    control.settings(quality="exact", latency_ms=0)
    control.close()


@pytest.fixture
def stack_db(target_endpoint: TargetEndpoint) -> Iterator[QueueDatabase]:
    """SQL access to the service's own database (not emptied: the service is using it)."""
    if target_endpoint.database_dsn is None:
        pytest.skip("no SQL access to the target's database (give DATABASE_URL)")
    db = QueueDatabase(target_endpoint.database_dsn)
    yield db
    db.close()


@pytest.fixture
def poll(
    harness_config: HarnessConfig, target_endpoint: TargetEndpoint, request: pytest.FixtureRequest
) -> Callable[..., PollOutcome]:
    """`poll(jobs, job_id, **policy)`: the plan-building screen until it would stop."""
    local = target_endpoint.stack is not None
    max_wait_s = harness_config.max_wait_seconds or (LOCAL_MAX_WAIT_S if local else HARD_CAP_SECONDS)
    defaults = PollPolicy(
        initial_interval_ms=50 if local else 1000,
        backoff_factor=1.5,
        max_interval_ms=500 if local else 10_000,
        max_wait_ms=max_wait_s * 1000,
    )

    def run(jobs: PlanJobs, job_id: str, **policy: Any) -> PollOutcome:
        outcome = PlanBuildingPoller(jobs, replace(defaults, **policy)).poll(job_id)
        record_job_outcome(request.node, outcome)
        return outcome

    return run


@dataclass
class IsolatedStack:
    """A stack of its own (database, fake, service) for a scenario that needs other settings."""

    endpoint: TargetEndpoint
    wire: SupabaseHttp
    db: QueueDatabase
    fake: FakeLLMControl

    @property
    def stack(self) -> LocalStack:
        assert self.endpoint.stack is not None
        return self.endpoint.stack

    def user(self, history: History | None = None) -> PlanJobs:
        return PlanJobs(self.wire, self.wire.new_session(), history)


@pytest.fixture
def isolated_stack(
    pytestconfig: pytest.Config, harness_config: HarnessConfig, tmp_path: Path
) -> Iterator[Callable[..., IsolatedStack]]:
    """Factory: `isolated_stack(WALL_CLOCK_LIMIT_MS="400", ...)` starts a stack with these
    service settings on a fresh database; everything is stopped and dropped afterwards."""
    run: DatabaseRun | None = pytestconfig.stash.get(DATABASE_RUN_KEY, None)
    if run is None or harness_config.target.name != "local":
        pytest.skip("isolated stacks exist only on the local target")
    started: list[IsolatedStack] = []

    def start(**service_overrides: str) -> IsolatedStack:
        label = f"isolated_{len(started)}"
        endpoint = _start_local_stack(pytestconfig, run, label, tmp_path / label, service_overrides)
        assert endpoint.stack is not None and endpoint.database_dsn is not None
        try:
            isolated = IsolatedStack(
                endpoint,
                SupabaseHttp(endpoint.url, endpoint.keys),
                QueueDatabase(endpoint.database_dsn),
                FakeLLMControl(endpoint.stack.fake_url),
            )
        except BaseException:
            _stop_local_stack(run, endpoint)
            raise
        started.append(isolated)
        return isolated

    yield start
    for isolated in reversed(started):
        isolated.fake.close()
        isolated.db.close()
        isolated.wire.close()
        _stop_local_stack(run, isolated.endpoint)
