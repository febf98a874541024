"""Benchmark: throughput and memory of `run_attempt` alone, DeepSeek replaced in-process.

Run:

    .venv/bin/python benchmarks/bench_pipeline_attempt.py \
        --jobs 400 --concurrency 200 --latency-ms 0 2000

For each latency it prints attempts per second, the latency-bound ideal
(concurrency / (2 x latency), two DeepSeek calls per attempt) and the ratio, and the
process's peak resident memory (ru_maxrss) after the run, which includes the
interpreter and the imports (about 60 MiB before any attempt).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import time
from typing import Any

import httpx

from reference_impl.pipeline.attempt import run_attempt
from reference_impl.pipeline.profile import Profile, parse_profile
from reference_impl.pipeline.settings import PipelineSettings
from reference_impl.pipeline.targets import Targets, compute_targets

WEEK = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
PROFILE = {
    "age": 34,
    "sex": "female",
    "heightCm": 168,
    "weightKg": 64,
    "goal": "recomposition",
    "activityLevel": "moderate",
    "trainingDaysPerWeek": 4,
    "equipment": ["dumbbells"],
    "dietaryPreference": "Eggitarian",
    "mealCount": 5,
    "avoidExercises": ["Burpee"],
    "supplements": ["creatine"],
}


def plan_for(profile: Profile, targets: Targets) -> dict[str, Any]:
    """A plan that passes validation for `profile`, roughly the size DeepSeek returns."""

    def day(index: int) -> dict[str, Any]:
        trains = index < profile.trainingDaysPerWeek
        exercises = [
            {"exercise": f"Exercise {n}", "sets": 3, "reps": "8-12", "restSec": 90} for n in range(6)
        ]
        return {
            "workout": {
                "focus": "Strength" if trains else "Rest",
                "durationMin": 50 if trains else 0,
                "blocks": [{"name": "Main", "items": exercises}] if trains else [],
            },
            "nutrition": {
                "total_kcal": targets.total_kcal,
                "protein_g": targets.protein_g,
                "meals": [
                    {
                        "name": f"Meal {n}",
                        "items": [{"food": "Greek yogurt with oats", "qty": "250 g"}] * 3,
                        "kcal": targets.total_kcal // profile.mealCount,
                        "protein_g": targets.protein_g // profile.mealCount,
                    }
                    for n in range(profile.mealCount)
                ],
            },
            "recovery": {
                "mobility": ["Hip flexor stretch", "Thoracic rotations"],
                "sleep": ["Lights out by 22:30"],
                "supplementCard": {"current": list(profile.supplements), "addOns": []},
            },
            "reason": "Balanced day for steady progress.",
        }

    return {"days": {name: day(index) for index, name in enumerate(WEEK)}}


async def run(jobs: int, concurrency: int, latency_ms: int) -> None:
    profile = parse_profile(PROFILE)
    targets = compute_targets(profile)
    envelope = json.dumps(
        {
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": json.dumps(plan_for(profile, targets)),
                    },
                    "finish_reason": "stop",
                }
            ]
        }
    ).encode()

    async def deepseek(request: httpx.Request) -> httpx.Response:
        if latency_ms:
            await asyncio.sleep(latency_ms / 1000)
        return httpx.Response(200, content=envelope)

    settings = PipelineSettings(
        api_key="sk-bench",
        base_url="http://deepseek.bench",
        attempt_timeout_ms=max(10_000, 4 * latency_ms),
        call_timeout_ms=max(5_000, 2 * latency_ms),
    )
    job_input = {"profile": profile.to_json(), "targets": targets.to_json()}
    limit = asyncio.Semaphore(concurrency)

    async def one(client: httpx.AsyncClient, number: int) -> None:
        async with limit:
            await run_attempt(f"job-{number}", "user", job_input, client, settings)

    transport = httpx.MockTransport(deepseek)
    async with httpx.AsyncClient(transport=transport) as client:
        started = time.perf_counter()
        await asyncio.gather(*(one(client, number) for number in range(jobs)))
        elapsed = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    rate = jobs / elapsed
    line = f"latency {latency_ms:>5} ms  jobs {jobs}  concurrency {concurrency}  "
    line += f"{rate:8.1f} attempts/s  peak RSS {peak_mib:6.1f} MiB"
    if latency_ms:
        ideal = concurrency / (2 * latency_ms / 1000)
        line += f"  ideal {ideal:.1f}/s  ratio {rate / ideal:.2f}"
    print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--latency-ms", type=int, nargs="+", default=[0, 2000])
    arguments = parser.parse_args()
    for latency_ms in arguments.latency_ms:
        asyncio.run(run(arguments.jobs, arguments.concurrency, latency_ms))


if __name__ == "__main__":
    main()
