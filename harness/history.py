"""Jepsen-style history: every operation as plain data, recorded thread-safely, kept as JSONL.

An operation is `{type, f, value, process, time, index}`: `type` is `invoke` when a process
starts something, then `ok` (it happened), `fail` (it certainly did not) or `info` (unknown:
a timeout, a crash); `time` is nanoseconds since the history started; `index` its position.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal, get_args

OpType = Literal["invoke", "ok", "fail", "info"]
CompletionType = Literal["ok", "fail", "info"]
OP_TYPES: tuple[str, ...] = get_args(OpType)


@dataclass(frozen=True)
class Op:
    type: OpType
    f: str
    value: Any
    process: int | str
    time: int
    index: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Op:
        """An operation from its dict form; a wrong field raises ValueError naming it."""
        if data.get("type") not in OP_TYPES:
            raise ValueError(f"field 'type' must be one of {OP_TYPES}, got {data.get('type')!r}")
        if not isinstance(data.get("f"), str):
            raise ValueError(f"field 'f' must be a string, got {data.get('f')!r}")
        process = data.get("process")
        if isinstance(process, bool) or not isinstance(process, int | str):
            raise ValueError(f"field 'process' must be an integer or a string, got {process!r}")
        for name in ("time", "index"):
            number = data.get(name)
            if isinstance(number, bool) or not isinstance(number, int):
                raise ValueError(f"field {name!r} must be an integer, got {number!r}")
        return cls(data["type"], data["f"], data.get("value"), process, data["time"], data["index"])


def _plain(value: object, f: str) -> Any:
    """A detached JSON copy of `value`, so later mutation cannot rewrite the history."""
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError) as error:
        raise ValueError(f"value of operation {f!r} is not JSON-able: {error}") from None


class History:
    """An append-only, thread-safe list of operations."""

    def __init__(self, clock_ns: Callable[[], int] = time.monotonic_ns) -> None:
        self._clock_ns = clock_ns
        self._start = clock_ns()
        self._ops: list[Op] = []
        self._lock = threading.Lock()

    def record(self, op_type: OpType, f: str, value: object, process: int | str) -> Op:
        if op_type not in OP_TYPES:
            raise ValueError(f"type must be one of {OP_TYPES}, got {op_type!r}")
        plain = _plain(value, f)
        with self._lock:
            op = Op(op_type, f, plain, process, self._clock_ns() - self._start, len(self._ops))
            self._ops.append(op)
        return op

    def invoke(self, f: str, value: object, process: int | str) -> Op:
        return self.record("invoke", f, value, process)

    def complete(self, invocation: Op, op_type: CompletionType, value: object = None) -> Op:
        """The completion of `invocation`, by the same process, with the same `f`."""
        if invocation.type != "invoke":
            raise ValueError(f"can only complete an invoke operation, got {invocation.type!r}")
        if op_type not in get_args(CompletionType):
            raise ValueError(f"a completion's type is ok, fail or info, got {op_type!r}")
        return self.record(op_type, invocation.f, value, invocation.process)

    @property
    def ops(self) -> tuple[Op, ...]:
        with self._lock:
            return tuple(self._ops)

    def __iter__(self) -> Iterator[Op]:
        return iter(self.ops)

    def __len__(self) -> int:
        with self._lock:
            return len(self._ops)

    def write_jsonl(self, path: Path) -> None:
        path.write_text("".join(json.dumps(op.to_dict()) + "\n" for op in self.ops))


def read_jsonl(path: Path) -> list[Op]:
    """The operations of a JSONL history file; a bad line raises ValueError naming it."""
    ops = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            if not isinstance(data, dict):
                raise ValueError("an operation must be a JSON object")
            ops.append(Op.from_dict(data))
        except ValueError as error:
            raise ValueError(f"{path}:{number}: {error}") from None
    return ops
