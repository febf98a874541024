"""procrastinate's own worker."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from psycopg.types.json import Jsonb

from benchmarks.queuebench.systems import (
    HISTORY_MARK,
    BenchDatabase,
    Payload,
    RunControl,
    count,
    owner_connection,
    stop_when_all_done,
)


@dataclass(frozen=True)
class ProcrastinateQueue:
    """procrastinate's worker (concurrency 1, stops once the queue is caught up)."""

    name: str = "procrastinate"
    storage: str = "procrastinate"

    def _app(self, dsn: str, self_control: RunControl | None = None) -> Any:
        import procrastinate

        app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=dsn))

        @app.task(name="bench")
        def bench(**kwargs: Any) -> None:
            """A job doing nothing but counting itself."""
            if self_control is not None:
                self_control.add_done(1)

        return app

    def _run(self, db: BenchDatabase, action: Callable[[Any], Any]) -> None:
        async def go() -> None:
            app = self._app(db.owner_dsn)
            async with app.open_async():
                await action(app)

        asyncio.run(go())

    def install(self, db: BenchDatabase) -> None:
        with owner_connection(db) as conn:
            row = conn.execute("select to_regclass('public.procrastinate_jobs') is not null").fetchone()
        if row is not None and row[0]:
            return

        async def apply(app: Any) -> None:
            await app.schema_manager.apply_schema_async()

        self._run(db, apply)

    def seed_history(self, db: BenchDatabase, count: int, payload: Payload) -> None:
        with owner_connection(db) as conn:
            conn.execute(
                "insert into procrastinate_jobs (queue_name, task_name, args, status, attempts)"
                " select %s, 'bench', %s, 'succeeded', 1 from generate_series(1, %s)",
                (HISTORY_MARK, Jsonb({"payload": payload.document()}), count),
            )

    def make_young(self, db: BenchDatabase) -> None:
        with owner_connection(db) as conn:
            conn.execute("truncate procrastinate_jobs, procrastinate_events, procrastinate_workers cascade")
            conn.execute("analyze procrastinate_jobs, procrastinate_events")

    def enqueue(self, db: BenchDatabase, count: int, payload: Payload) -> None:
        document = payload.document()

        async def defer(app: Any) -> None:
            await app.tasks["bench"].batch_defer_async(*({"payload": document} for _ in range(count)))

        self._run(db, defer)

    def forget_run(self, db: BenchDatabase) -> None:
        with owner_connection(db) as conn:
            conn.execute("delete from procrastinate_jobs where queue_name <> %s", (HISTORY_MARK,))
            conn.execute("truncate procrastinate_workers cascade")
            conn.execute("vacuum analyze procrastinate_jobs, procrastinate_events")

    def unfinished(self, db: BenchDatabase) -> int:
        return count(db, "select count(*) from procrastinate_jobs where status in ('todo', 'doing')")

    def work(self, db: BenchDatabase, worker: str, payload: Payload, control: RunControl) -> None:
        async def go() -> None:
            app = self._app(db.owner_dsn, control)
            async with app.open_async():
                control.start()
                # stopped (gracefully: running jobs finish) once the run's jobs are all done;
                # with wait=False it polls for seconds before it notices an empty queue
                worker_task = asyncio.create_task(
                    app.run_worker_async(concurrency=1, name=worker, install_signal_handlers=False)
                )
                stop = asyncio.Event()
                await stop_when_all_done(control, stop)
                worker_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker_task
                control.finish(0)  # the run's total is checked in the database

        asyncio.run(go())
