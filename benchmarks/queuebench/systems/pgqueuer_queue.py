"""PgQueuer's own worker (QueueManager) on its asyncpg driver."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from psycopg.conninfo import conninfo_to_dict

from benchmarks.queuebench.systems import (
    BenchDatabase,
    Payload,
    RunControl,
    stop_when_all_done,
)


@dataclass(frozen=True)
class PgQueuerQueue:
    """PgQueuer's QueueManager, `batch` jobs per dequeue, on its asyncpg driver (its
    psycopg driver holds the connection while it waits for notifications: measured 190
    jobs/s and 3 s to stop). Its queue table keeps live jobs only (finished ones move to
    its log), so history does not apply to it."""

    batch: int
    storage: str = "pgqueuer"

    @property
    def name(self) -> str:
        return f"PgQueuer batch {self.batch}"

    def _run(self, db: BenchDatabase, action: Callable[[Any], Awaitable[None]]) -> None:
        async def go() -> None:
            from pgqueuer import AsyncpgDriver, Queries

            conn = await _asyncpg_connect(db.owner_dsn)
            try:
                await action(Queries(AsyncpgDriver(conn)))
            finally:
                await conn.close()

        asyncio.run(go())

    def install(self, db: BenchDatabase) -> None:
        async def install(queries: Any) -> None:
            if not await queries.schema_is_installed():
                await queries.install()

        self._run(db, install)

    def seed_history(self, db: BenchDatabase, count: int, payload: Payload) -> None:
        """Nothing: PgQueuer deletes finished jobs from its queue table."""

    def make_young(self, db: BenchDatabase) -> None:
        async def clear(queries: Any) -> None:
            await queries.clear_queue()
            await queries.clear_queue_log()
            await queries.clear_statistics_log()

        self._run(db, clear)

    def enqueue(self, db: BenchDatabase, count: int, payload: Payload) -> None:
        body = json.dumps(payload.document()).encode()

        async def enqueue(queries: Any) -> None:
            await queries.enqueue(["bench"] * count, [body] * count, [0] * count)

        self._run(db, enqueue)

    def forget_run(self, db: BenchDatabase) -> None:
        self.make_young(db)

    def unfinished(self, db: BenchDatabase) -> int:
        sizes: list[int] = []

        async def size(queries: Any) -> None:
            sizes.extend(int(row.count) for row in await queries.queue_size())

        self._run(db, size)
        return sum(sizes)

    def work(self, db: BenchDatabase, worker: str, payload: Payload, control: RunControl) -> None:
        asyncio.run(self._work(db, control))

    async def _work(self, db: BenchDatabase, control: RunControl) -> None:
        from pgqueuer import AsyncpgDriver, Job, Queries, QueueManager

        done = 0
        conn = await _asyncpg_connect(db.owner_dsn)
        try:
            manager = QueueManager(Queries(AsyncpgDriver(conn)))

            @manager.entrypoint("bench")
            async def bench(job: Job) -> None:
                nonlocal done
                done += 1
                control.add_done(1)

            control.start()
            # continuous mode, stopped once every worker's jobs add up to the run's (drain
            # mode would also work; this stops all workers at the same moment)
            stopper = asyncio.create_task(stop_when_all_done(control, manager.shutdown))
            await manager.run(batch_size=self.batch, dequeue_timeout=timedelta(milliseconds=50))
            await stopper
            control.finish(done)
        finally:
            await conn.close()


async def _asyncpg_connect(dsn: str) -> Any:
    import asyncpg

    parts = conninfo_to_dict(dsn)
    return await asyncpg.connect(
        host=parts.get("host"),
        port=int(parts.get("port") or 5432),
        user=parts.get("user"),
        password=parts.get("password"),
        database=parts.get("dbname"),
    )
