"""aiohttp application keys (`web.AppKey`) of the queue worker: the invocation runner, the
worker loop, the metrics."""

from __future__ import annotations

from aiohttp import web

from reference_impl.metrics import ServiceMetrics
from reference_impl.queue.loop import QueueLoop
from reference_impl.queue.runners import InvocationRunner

RUNNER_KEY = web.AppKey("invocation_runner", InvocationRunner)
LOOP_KEY = web.AppKey("queue_loop", QueueLoop)
METRICS_KEY = web.AppKey("metrics", ServiceMetrics)
