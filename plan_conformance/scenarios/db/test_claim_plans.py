"""Plans that stay right as the queue grows (docs/contract.md, "Claim order and plans").

A Postgres queue degrades silently when a statement stops using an index as its table
grows: a claim that sorts the pending jobs, or a completion whose plan was cached by a
connection while the table was young and that now reads every saved plan. Both show up
only in production, on a table with history.

Each scenario makes the tables young (a few rows, analyzed, autovacuum off for the
test so nothing refreshes the statistics behind its back), times the contract's call on
one connection, bulk-loads 50,000 terminal jobs with their plans and 10,000 pending jobs
(one statement, seconds), and times the same call on the same connection (whose cached
plans were made on the young table). The large case must stay within `LATENCY_RATIO` of
the small one; the claim's plan, read with EXPLAIN after ANALYZE, must read an index in
claim order without sorting, and pass over the jobs waiting for their backoff inside the
index (an index condition), not by reading each one's row. A quarter of the bulk's pending
jobs wait for their backoff, so the timed claims skip them too. Only the contract's names
are used, so `--migrations` on a team's SQL runs these too.
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from harness import DEFAULT_JOB_INPUT, Caller, QueueDatabase, Row, as_caller

TERMINAL_JOBS = 50_000
PENDING_JOBS = 10_000
SMALL_JOBS = 100
TIMED_CALLS = 25
# generous: a right plan stays within ~1.5x on a busy 2-core machine; a wrong one is 10x+
LATENCY_RATIO = 4.0
# the bulk's pending jobs are older than the young ones, so the large case claims them
YOUNG_AGE = timedelta(hours=1)
BULK_AGE = timedelta(days=1)
QUEUE_TABLES = ("auth.users", "public.plan_generation_jobs", "public.weekly_base_plans")
CLAIM_IN_CONTRACT_ORDER = (
    "select id from public.plan_generation_jobs where status = 'pending'"
    " and coalesce(run_after, '-infinity'::timestamptz) <= now()"
    " order by created_at, id limit 1 for update skip locked"
)
SORT_NODES = frozenset({"Sort", "Incremental Sort"})
INDEX_NODES = frozenset({"Index Scan", "Index Only Scan"})

pytestmark = pytest.mark.slow


def load_queue(db: QueueDatabase, *, terminal: int, pending: int, pending_age: timedelta, label: str) -> None:
    """`terminal` users with one finished job each (4 in 5 completed, with their active
    plan; the rest failed or cancelled), and a pending job for the first `pending` of
    them, all pending jobs sharing one `created_at` (`pending_age` ago: the older batch
    is claimed first); every fourth pending job failed once and waits for its backoff.
    One statement: the new ids are drawn first so that jobs and plans can point at each
    other."""
    created = db.conn.execute(
        """
        with numbered as (
            select n, gen_random_uuid() as user_id, gen_random_uuid() as job_id,
                   gen_random_uuid() as plan_id,
                   case when n %% 10 = 0 then 'failed' when n %% 10 = 5 then 'cancelled'
                        else 'completed' end as status,
                   now() - interval '2 days' - n * interval '1 second' as created_at
              from generate_series(1, %(terminal)s) n
        ), users as (
            insert into auth.users (id, email)
            select user_id, %(label)s || '-' || n || '@example.test' from numbered
            returning id
        ), finished as (
            insert into public.plan_generation_jobs
                (id, user_id, status, input, retry_count, max_retries, error_code, error_message,
                 created_at, updated_at, started_at, completed_at, plan_id)
            select job_id, user_id, status, %(input)s,
                   case when status = 'failed' then 3 else 0 end, 3,
                   case status when 'failed' then 'AI_TIMEOUT' when 'cancelled' then 'CANCELLED' end,
                   case when status <> 'completed' then 'bulk-loaded history' end,
                   created_at, created_at + interval '2 minutes', created_at + interval '1 minute',
                   created_at + interval '2 minutes',
                   case when status = 'completed' then plan_id end
              from numbered
        ), plans as (
            insert into public.weekly_base_plans (id, user_id, job_id, plan, targets, is_active, created_at)
            select plan_id, user_id, job_id, %(plan)s, %(targets)s, true, created_at + interval '2 minutes'
              from numbered where status = 'completed'
        ), pending_jobs as (
            insert into public.plan_generation_jobs
                (user_id, input, created_at, updated_at, retry_count, run_after)
            select user_id, %(input)s, now() - %(pending_age)s, now() - %(pending_age)s,
                   case when n %% 4 = 0 then 1 else 0 end,
                   case when n %% 4 = 0 then now() + interval '1 hour' end
              from numbered where n <= %(pending)s
        )
        select id from users
        """,
        {
            "terminal": terminal,
            "pending": pending,
            "pending_age": pending_age,
            "label": f"bulk-{label}-{uuid.uuid4().hex[:6]}",
            "input": Jsonb(dict(DEFAULT_JOB_INPUT)),
            "plan": Jsonb({"days": {}, "label": "bulk-loaded"}),
            "targets": Jsonb(dict(DEFAULT_JOB_INPUT["targets"])),
        },
    ).fetchall()
    db.own_users(str(row["id"]) for row in created)  # removed after the test on a shared database


@contextmanager
def young_tables(db: QueueDatabase) -> Iterator[None]:
    """Autovacuum off on the queue's tables for the test (statistics stay as the test
    left them), back to the default afterwards."""
    for table in QUEUE_TABLES:
        db.conn.execute(f"alter table {table} set (autovacuum_enabled = false)")
    try:
        yield
    finally:
        for table in QUEUE_TABLES:
            db.conn.execute(f"alter table {table} reset (autovacuum_enabled)")


def analyze(db: QueueDatabase) -> None:
    db.conn.execute(f"analyze {', '.join(QUEUE_TABLES)}")


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def claim_on(conn: psycopg.Connection[Row], worker: str) -> Row:
    with as_caller(conn, Caller.service(), path="/rpc/claim_next_plan_job") as tx:
        row: Row | None = tx.execute(
            "select * from public.claim_next_plan_job(p_worker_id => %s)", (worker,)
        ).fetchone()
    assert row is not None and row["id"] is not None, "pending jobs are queued, but the claim returned none"
    return row


def complete_on(conn: psycopg.Connection[Row], claimed: Row) -> None:
    with as_caller(conn, Caller.service(), path="/rpc/complete_plan_job") as tx:
        tx.execute(
            "select * from public.complete_plan_job(p_job_id => %s, p_claim_token => %s, p_plan => %s)",
            (claimed["id"], claimed["claim_token"], Jsonb({"days": {}, "label": str(claimed["id"])})),
        )


def timed_completion(conn: psycopg.Connection[Row], claimed: Row) -> float:
    return timed(lambda: complete_on(conn, claimed))[0]


# -- reading plans -----------------------------------------------------------------------


def plan_nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from plan_nodes(child)


def describe_node(node: dict[str, Any]) -> str:
    parts = [node["Node Type"]]
    if "Index Name" in node:
        parts.append(f"using {node['Index Name']}")
    if "Relation Name" in node:
        parts.append(f"on {node['Relation Name']}")
    if "Sort Key" in node:
        parts.append(f"by {', '.join(node['Sort Key'])}")
    return " ".join(parts)


def describe_plan(plan: dict[str, Any]) -> str:
    return " > ".join(describe_node(node) for node in plan_nodes(plan))


def explain(db: QueueDatabase, query: str, params: tuple[Any, ...] = ()) -> dict[str, Any]:
    """The plan's root node (EXPLAIN (FORMAT JSON), not executed), as the owner."""
    row = db.conn.execute(f"explain (format json) {query}".encode(), params).fetchone()
    assert row is not None
    document = next(iter(row.values()))
    if isinstance(document, str):
        document = json.loads(document)
    root: dict[str, Any] = document[0]["Plan"]
    return root


def nested_plans(conn: psycopg.Connection[Row], call: Callable[[], Any]) -> list[str]:
    """The plans of the statements run inside the contract's functions during `call`, if
    the server lets this session load auto_explain (a superuser's scratch database);
    a description of why not otherwise. Only used to explain a failure."""
    messages: list[str] = []

    def keep(diagnostic: psycopg.errors.Diagnostic) -> None:
        messages.append(diagnostic.message_primary or "")

    try:
        conn.execute("load 'auto_explain'")
        for setting, value in (
            ("auto_explain.log_min_duration", "0"),
            ("auto_explain.log_nested_statements", "on"),
            ("auto_explain.log_format", "json"),
            ("auto_explain.log_level", "notice"),
        ):
            conn.execute("select set_config(%s, %s, false)", (setting, value))
    except psycopg.Error as error:
        return [f"(auto_explain unavailable: {error.sqlstate} {error})"]
    conn.add_notice_handler(keep)
    try:
        call()
    finally:
        conn.remove_notice_handler(keep)
        conn.execute("select set_config('auto_explain.log_min_duration', '-1', false)")
    described = []
    for message in messages:
        start = message.find("{")
        if start < 0:
            continue
        entry = json.loads(message[start:])
        text = " ".join(str(entry.get("Query Text", "")).split())[:90]
        described.append(f"{text}: {describe_plan(entry['Plan'])}")
    return described


def assert_reads_index_in_claim_order(plan: dict[str, Any]) -> None:
    nodes = list(plan_nodes(plan))
    for node in nodes:
        if node["Node Type"] in SORT_NODES:
            pytest.fail(
                f"the claim's plan has the node '{describe_node(node)}': it sorts the pending jobs "
                "instead of reading them in (created_at, id) order from an index, so each claim reads "
                "every pending job sharing the oldest created_at (an index on (created_at, id) where "
                f"status = 'pending' avoids it); plan: {describe_plan(plan)}"
            )
        if node["Node Type"] == "Seq Scan" and node.get("Relation Name") == "plan_generation_jobs":
            pytest.fail(
                f"the claim's plan has the node '{describe_node(node)}': each claim reads the whole job "
                f"table (history included); plan: {describe_plan(plan)}"
            )
    if not any(node["Node Type"] in INDEX_NODES for node in nodes):
        pytest.fail(f"the claim's plan reads no index: {describe_plan(plan)}")
    for node in nodes:
        if node.get("Relation Name") == "plan_generation_jobs" and "run_after" in node.get("Filter", ""):
            pytest.fail(
                f"the claim's plan checks whether a job is due in a Filter on '{describe_node(node)}': "
                "every job waiting for its backoff that is older than the first due one is read from "
                "the table on every claim (an outage puts thousands there); with the due expression "
                "as the index's last column, (created_at, id, coalesce(run_after, '-infinity')) where "
                f"status = 'pending', it is an index condition; plan: {describe_plan(plan)}"
            )


def latency_problem(
    what: str, small: list[float], large: list[float], plans: Callable[[], list[str]]
) -> str | None:
    """None when the large case's median is within LATENCY_RATIO of the small one's; else
    what is wrong, with the plans the connection uses now (read before any ANALYZE, which
    would replace them)."""
    small_ms = statistics.median(small) * 1000
    large_ms = statistics.median(large) * 1000
    if large_ms <= LATENCY_RATIO * small_ms:
        return None
    inside = "\n  ".join(plans())
    return (
        f"{what} takes {large_ms:.2f} ms (median of {len(large)}) with {TERMINAL_JOBS:,} finished and "
        f"{PENDING_JOBS:,} pending jobs, {large_ms / small_ms:.1f}x its {small_ms:.2f} ms with "
        f"{SMALL_JOBS} jobs on the same connection (limit {LATENCY_RATIO:g}x): a plan cached while the "
        f"table was young no longer fits it. Plans inside the call now:\n  {inside}"
    )


# -- the scenarios ---------------------------------------------------------------------------


def test_claim_reads_the_pending_index_as_the_queue_grows(queue_db: QueueDatabase) -> None:
    with young_tables(queue_db), queue_db.connect() as worker:
        load_queue(queue_db, terminal=SMALL_JOBS, pending=SMALL_JOBS, pending_age=YOUNG_AGE, label="young")
        analyze(queue_db)
        small = [timed(lambda: claim_on(worker, "plans-small"))[0] for _ in range(TIMED_CALLS)]

        load_queue(
            queue_db, terminal=TERMINAL_JOBS, pending=PENDING_JOBS, pending_age=BULK_AGE, label="history"
        )
        large = [timed(lambda: claim_on(worker, "plans-large"))[0] for _ in range(TIMED_CALLS)]
        slow = latency_problem(
            "claim_next_plan_job",
            small,
            large,
            lambda: nested_plans(worker, lambda: claim_on(worker, "plans-explain")),
        )

        analyze(queue_db)
        assert_reads_index_in_claim_order(explain(queue_db, CLAIM_IN_CONTRACT_ORDER))
        if slow is not None:
            pytest.fail(slow)


def test_completion_reads_the_user_index_as_plans_pile_up(queue_db: QueueDatabase) -> None:
    with young_tables(queue_db), queue_db.connect() as worker:
        load_queue(queue_db, terminal=SMALL_JOBS, pending=SMALL_JOBS, pending_age=YOUNG_AGE, label="young")
        analyze(queue_db)
        small = []
        for _ in range(TIMED_CALLS):
            small.append(timed_completion(worker, claim_on(worker, "plans-small")))

        load_queue(
            queue_db, terminal=TERMINAL_JOBS, pending=PENDING_JOBS, pending_age=BULK_AGE, label="history"
        )
        large = []
        for _ in range(TIMED_CALLS):
            large.append(timed_completion(worker, claim_on(worker, "plans-large")))
        last = claim_on(worker, "plans-explain")
        slow = latency_problem(
            "complete_plan_job",
            small,
            large,
            lambda: nested_plans(worker, lambda: complete_on(worker, last)),
        )

        analyze(queue_db)
        user_with_plan = queue_db.conn.execute(
            "select user_id from public.weekly_base_plans where is_active limit 1"
        ).fetchone()
        assert user_with_plan is not None
        lookup = explain(
            queue_db,
            "select id from public.weekly_base_plans where user_id = %s and is_active",
            (user_with_plan["user_id"],),
        )
        for node in plan_nodes(lookup):
            assert node["Node Type"] != "Seq Scan", (
                f"finding a user's active plan is the node '{describe_node(node)}': completing a job reads "
                f"every saved plan (an index on weekly_base_plans (user_id) avoids it); plan: "
                f"{describe_plan(lookup)}"
            )
        if slow is not None:
            pytest.fail(slow)
