"""A deployed target's database used by the database scenarios: the queue guard keeps them
apart from everything else, the schedule pauses for them, and they leave no row behind."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from harness.db.run import DatabaseRun
from harness.queue_db import QueueDatabase
from harness.queue_schedule import QueueSchedule
from harness.target.queue_guard import QueueGuard


@pytest.fixture
def shared_dsn(database_run: DatabaseRun | None) -> Iterator[str]:
    """A database of its own standing in for a deployed target's."""
    run = database_run
    if run is None:
        pytest.skip("needs the local target's database server")
    name = run.scratch.clone(f"shared_{threading.get_ident() % 10_000}")
    yield run.server.dsn(name)
    run.scratch.drop(name)


def test_an_exclusive_holder_keeps_shared_holders_out_and_lets_them_in_after(shared_dsn: str) -> None:
    scenario, schedule = QueueGuard(shared_dsn), QueueGuard(shared_dsn)
    try:
        with scenario.hold(exclusive=True), schedule.try_shared() as acquired:
            assert acquired is False
        with schedule.try_shared() as acquired:
            assert acquired is True
    finally:
        scenario.close()
        schedule.close()


def test_an_exclusive_holder_waits_for_the_shared_ones(shared_dsn: str) -> None:
    http, database = QueueGuard(shared_dsn), QueueGuard(shared_dsn)
    order: list[str] = []
    try:
        with http.hold(exclusive=False):
            waiter = threading.Thread(target=lambda: _hold_and_note(database, order))
            waiter.start()
            time.sleep(0.2)
            order.append("http done")
        waiter.join(10)
        assert order == ["http done", "database scenario"]
    finally:
        http.close()
        database.close()


def _hold_and_note(guard: QueueGuard, order: list[str]) -> None:
    with guard.hold(exclusive=True):
        order.append("database scenario")


def test_a_shared_database_must_hold_no_job_and_keeps_no_row_after(shared_dsn: str) -> None:
    owner = QueueDatabase(shared_dsn, owns_database=True)
    owner.prepare()
    foreign = owner.insert_job(owner.create_user())
    scenario = QueueDatabase(shared_dsn, owns_database=False)
    try:
        with pytest.raises(AssertionError, match="holds 1 jobs and 0 plans this scenario did not create"):
            scenario.prepare()
        owner.conn.execute("delete from public.plan_generation_jobs where id = %s", (foreign["id"],))
        scenario.prepare()
        mine = scenario.insert_job(scenario.create_user())
        claimed = scenario.claim()
        assert claimed is not None and claimed["id"] == mine["id"]
        scenario.complete(claimed)

        scenario.clean_up()

        assert scenario.conn.execute("select count(*) as n from public.plan_generation_jobs").fetchone() == {
            "n": 0
        }
        assert scenario.plans() == []
        users = scenario.conn.execute("select count(*) as n from auth.users").fetchone()
        assert users == {"n": 1}, "only the users the scenario created are deleted"
    finally:
        scenario.close()
        owner.close()


async def test_the_schedule_invokes_the_function_and_skips_vetoed_ticks() -> None:
    calls: list[str] = []

    async def process(request: web.Request) -> web.Response:
        calls.append(request.headers["Authorization"])
        return web.json_response({"recovered": {}, "processed": []})

    app = web.Application()
    app.router.add_post("/functions/v1/process-plan-queue", process)
    open_gate = threading.Event()

    def gate() -> _Gate:
        return _Gate(open_gate.is_set())

    async with TestServer(app, host="127.0.0.1", port=0) as server:
        schedule = QueueSchedule(
            str(server.make_url("/functions/v1")), "service-key", interval_s=0.02, gate=gate
        ).start()
        try:
            await _wait_until(lambda: schedule.counts.vetoed >= 3)
            assert calls == []
            open_gate.set()
            await _wait_until(lambda: len(calls) >= 3)
        finally:
            schedule.stop()
    assert set(calls) == {"Bearer service-key"}
    assert schedule.counts.invoked == len(calls)


class _Gate:
    def __init__(self, open_: bool) -> None:
        self.open = open_

    def __enter__(self) -> bool:
        return self.open

    def __exit__(self, *exc: object) -> None:
        return None


async def _wait_until(condition: object, timeout_s: float = 10.0) -> None:
    import asyncio

    assert callable(condition)
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "the condition did not hold in time"
        await asyncio.sleep(0.01)
