"""Typed application state for the queue worker: the runner, the loop, the metrics."""

from __future__ import annotations

from typing import Optional

from aiohttp import web

from reference_impl.metrics import ServiceMetrics
from reference_impl.queue.loop import QueueLoop
from reference_impl.queue.runners import InvocationRunner

RUNNER_KEY = web.AppKey("invocation_runner", InvocationRunner)
LOOP_KEY = web.AppKey("queue_loop", Optional[QueueLoop])  # noqa: UP045  (evaluated at runtime)
METRICS_KEY = web.AppKey("metrics", ServiceMetrics)
