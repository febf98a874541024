"""Benchmark of the fake DeepSeek: plan answers per second and latency against a bare aiohttp
handler serving the same bytes, and the accuracy of an injected delay, measured at the client.

Run: `.venv/bin/python benchmarks/bench_fake_llm.py [--requests 1000] [--rounds 5]`.
Each server runs in its own process on 127.0.0.1; the client is this process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

import aiohttp
from aiohttp import web

from fake_llm.control import AsyncFakeLLMControl
from fake_llm.server import FakeDeepSeek

PROFILE = {
    "age": 31,
    "sex": "male",
    "heightCm": 178,
    "weightKg": 82,
    "goal": "muscle_gain",
    "activityLevel": "moderate",
    "trainingDaysPerWeek": 4,
    "equipment": ["dumbbells"],
    "dietaryPreference": "Eggitarian",
    "mealCount": 4,
    "avoidExercises": ["Burpee"],
    "supplements": [],
}
HEADERS = {"Authorization": "Bearer sk-bench", "Content-Type": "application/json"}


def plan_body(user: str) -> bytes:
    """A Stage 1 request as the pipeline sends it."""
    messages = [
        {"role": "system", "content": "Stage 1 of 2: reply with the weekly plan as json."},
        {"role": "user", "content": f"USER: {user}\nPROFILE (json):\n{json.dumps(PROFILE)}"},
    ]
    return json.dumps(
        {"model": "deepseek-chat", "messages": messages, "response_format": {"type": "json_object"}}
    ).encode()


def serve_fake(ready: Connection) -> None:
    """Child process: the fake on a free loopback port."""

    async def run() -> None:
        async with FakeDeepSeek() as fake:
            ready.send(fake.url)
            await asyncio.Event().wait()

    asyncio.run(run())


def serve_bare(ready: Connection, body: bytes) -> None:
    """Child process: a bare aiohttp handler returning `body` for every request."""

    async def handler(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(body=body, content_type="application/json")

    async def run() -> None:
        app = web.Application()
        app.router.add_post("/chat/completions", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        ready.send(f"http://127.0.0.1:{runner.addresses[0][1]}")
        await asyncio.Event().wait()

    asyncio.run(run())


@dataclass(frozen=True)
class LoadResult:
    """What one load run measured."""

    label: str
    requests: int
    seconds: float
    latencies_ms: list[float]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    def line(self) -> str:
        return (
            f"{self.label:<34} {self.per_second:>8.0f} req/s   p50 {self.percentile(0.5):7.2f} ms"
            f"   p99 {self.percentile(0.99):7.2f} ms"
        )


async def load(label: str, url: str, bodies: list[bytes], requests: int, concurrency: int) -> LoadResult:
    """Send `requests` POSTs (bodies in turn) from `concurrency` workers; each must get 200."""
    latencies: list[float] = []
    sent = iter(range(requests))
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(base_url=url, connector=connector, headers=HEADERS) as session:

        async def worker() -> None:
            for number in sent:
                started = time.perf_counter()
                async with session.post("/chat/completions", data=bodies[number % len(bodies)]) as response:
                    await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"{label}: status {response.status}")
                latencies.append((time.perf_counter() - started) * 1000)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    return LoadResult(label, requests, seconds, latencies)


def start_server(target: Callable[..., None], *arguments: object) -> tuple[BaseProcess, str]:
    """Start a server process and wait for its URL."""
    receiving, sending = multiprocessing.Pipe(duplex=False)
    process = multiprocessing.get_context("spawn").Process(
        target=target, args=(sending, *arguments), daemon=True
    )
    process.start()
    if not receiving.poll(30):
        process.kill()
        raise RuntimeError("server did not start within 30 s")
    return process, str(receiving.recv())


async def fake_answer_bytes(fake_url: str, body: bytes) -> bytes:
    async with (
        aiohttp.ClientSession(base_url=fake_url, headers=HEADERS) as session,
        session.post("/chat/completions", data=body) as response,
    ):
        return await response.read()


def median_rate(results: list[LoadResult]) -> float:
    return statistics.median(result.per_second for result in results)


def pooled(label: str, results: list[LoadResult]) -> LoadResult:
    """All rounds as one result (its rate is replaced by the median round's in the report)."""
    latencies = [latency for result in results for latency in result.latencies_ms]
    return LoadResult(label, sum(r.requests for r in results), sum(r.seconds for r in results), latencies)


async def delay_errors(url: str, requests: int, concurrency: int) -> list[float]:
    """Client-side latency minus 500 ms for calls answered after an injected 500 ms delay."""
    async with AsyncFakeLLMControl(url) as control:
        await control.add_fault({"action": {"type": "delay", "ms": 500}})
        delayed = await load("delay", url, [plan_body("bench-user")], requests, concurrency)
        await control.reset()
    return sorted(latency - 500 for latency in delayed.latencies_ms)


def error_line(concurrency: int, errors: list[float]) -> str:
    p99 = errors[min(len(errors) - 1, int(0.99 * len(errors)))]
    return (
        f"500 ms delay at concurrency {concurrency:>2}, {len(errors)} calls: error at the client "
        f"p50 {statistics.median(errors):6.2f} ms, p99 {p99:6.2f} ms, max {errors[-1]:6.2f} ms"
    )


async def main(requests: int, concurrency: int, rounds: int, delay_requests: int) -> None:
    same = [plan_body("bench-user")]
    distinct = [plan_body(f"bench-user-{number}") for number in range(requests * rounds)]
    fake_process, fake_url = start_server(serve_fake)
    answer = await fake_answer_bytes(fake_url, same[0])
    bare_process, bare_url = start_server(serve_bare, answer)
    try:
        await load("warm-up", fake_url, same, 300, concurrency)
        await load("warm-up", bare_url, same, 300, concurrency)
        bare: list[LoadResult] = []
        fake_same: list[LoadResult] = []
        fake_distinct: list[LoadResult] = []
        for round_number in range(rounds):  # interleaved, so a noisy moment hits all three
            bare.append(await load("bare", bare_url, same, requests, concurrency))
            fake_same.append(await load("same", fake_url, same, requests, concurrency))
            chunk = distinct[round_number * requests : (round_number + 1) * requests]
            fake_distinct.append(await load("distinct", fake_url, chunk, requests, concurrency))
        print(
            f"plan answer {len(answer)} bytes; {rounds} interleaved rounds of {requests} "
            f"requests at concurrency {concurrency}; rates are the median round"
        )
        for label, results in (
            ("bare aiohttp, same bytes", bare),
            ("fake, identical requests", fake_same),
            ("fake, distinct requests", fake_distinct),
        ):
            line = pooled(label, results).line().split(" req/s")[1]
            print(f"{label:<34} {median_rate(results):>8.0f} req/s{line}")
        bare_rate = median_rate(bare)
        print(f"ratio fake/bare, identical requests: {median_rate(fake_same) / bare_rate:.2f}")
        print(f"ratio fake/bare, distinct requests:  {median_rate(fake_distinct) / bare_rate:.2f}")
        for delay_concurrency in (1, concurrency):
            count = delay_requests if delay_concurrency > 1 else delay_requests // 8
            print(error_line(delay_concurrency, await delay_errors(fake_url, count, delay_concurrency)))
    finally:
        for process in (fake_process, bare_process):
            process.kill()
            process.join()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=1000, help="requests per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--delay-requests", type=int, default=256)
    options = parser.parse_args()
    asyncio.run(main(options.requests, options.concurrency, options.rounds, options.delay_requests))
