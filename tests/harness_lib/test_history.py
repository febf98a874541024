"""The Jepsen-style history: plain-data operations, thread-safe recording, JSONL round trip."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.history import History, Op, read_jsonl


def _ticking_clock(step_ns: int = 1000) -> Iterator[int]:
    now = 5_000_000
    while True:
        yield now
        now += step_ns


def test_invoke_and_complete_share_process_and_f() -> None:
    ticks = _ticking_clock()
    history = History(clock_ns=lambda: next(ticks))
    invoked = history.invoke("claim", {"worker": "w1"}, process=3)
    completed = history.complete(invoked, "ok", {"job_id": "j1"})
    assert invoked == Op("invoke", "claim", {"worker": "w1"}, 3, 1000, 0)
    assert completed == Op("ok", "claim", {"job_id": "j1"}, 3, 2000, 1)
    assert history.ops == (invoked, completed)
    assert list(history) == [invoked, completed] and len(history) == 2


def test_completing_a_completion_is_refused() -> None:
    history = History()
    done = history.complete(history.invoke("create", None, "client"), "info")
    with pytest.raises(ValueError, match="invoke"):
        history.complete(done, "ok")


def test_unknown_types_are_refused() -> None:
    history = History()
    with pytest.raises(ValueError, match="type"):
        history.record("done", "create", None, 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ok, fail or info"):
        history.complete(history.invoke("create", None, 1), "invoke")  # type: ignore[arg-type]


def test_values_must_be_json_and_are_detached() -> None:
    history = History()
    with pytest.raises(ValueError, match="'poll'"):
        history.record("ok", "poll", {"at": object()}, 1)
    with pytest.raises(ValueError, match="'poll'"):
        history.record("ok", "poll", float("nan"), 1)
    value = {"status": "pending"}
    op = history.record("ok", "poll", value, 1)
    value["status"] = "completed"
    assert op.value == {"status": "pending"}


def test_recording_from_many_threads_keeps_a_total_order() -> None:
    history = History()

    def worker(process: int) -> None:
        for n in range(250):
            history.record("ok", "tick", n, process)

    threads = [threading.Thread(target=worker, args=(p,)) for p in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ops = history.ops
    assert [op.index for op in ops] == list(range(2000))
    assert all(a.time <= b.time for a, b in itertools.pairwise(ops))
    for process in range(8):
        assert [op.value for op in ops if op.process == process] == list(range(250))


def test_jsonl_round_trip(tmp_path: Path) -> None:
    history = History()
    invoked = history.invoke("cancel", {"job_id": "j9"}, "poller")
    history.complete(invoked, "fail", {"error": "PT404", "nested": [1, {"a": None}]})
    path = tmp_path / "history.jsonl"
    history.write_jsonl(path)
    assert len(path.read_text().splitlines()) == 2
    assert read_jsonl(path) == list(history.ops)


@pytest.mark.parametrize(
    ("line", "named"),
    [
        ('{"type": "done", "f": "x", "process": 1, "time": 0, "index": 0}', "'type'"),
        ('{"type": "ok", "f": 3, "process": 1, "time": 0, "index": 0}', "'f'"),
        ('{"type": "ok", "f": "x", "process": true, "time": 0, "index": 0}', "'process'"),
        ('{"type": "ok", "f": "x", "process": 1, "time": "0", "index": 0}', "'time'"),
        ('{"type": "ok", "f": "x", "process": 1, "time": 0}', "'index'"),
        ("[1, 2]", "JSON object"),
        ("{not json", "line 1|column"),
    ],
)
def test_bad_line_is_reported_with_its_number(tmp_path: Path, line: str, named: str) -> None:
    good = '{"type": "invoke", "f": "x", "value": null, "process": 1, "time": 0, "index": 0}'
    path = tmp_path / "history.jsonl"
    path.write_text(good + "\n\n" + line + "\n")
    with pytest.raises(ValueError, match=r"history\.jsonl:3: ") as info:
        read_jsonl(path)
    assert any(part in str(info.value) for part in named.split("|"))
