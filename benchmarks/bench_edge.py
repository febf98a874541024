"""Benchmark of the conformance suite against the TypeScript Edge Functions, with the Python
reference's functions as the peer measured in the same run.

Run: `.venv/bin/python benchmarks/bench_edge.py [--runs 3] [--workers 2]
[--functions examples/supabase/functions] [--functions-env-file FILE] [--top 8]
[plan_conformance/scenarios/http ...]`

Each round runs the same scenarios twice, `pytest <scenarios> -n <workers>` with and without
`--functions <folder>`, each in a fresh pytest process, in alternating order (the reference
first in rounds 1, 3, ..., the functions first in rounds 2, 4, ...). The wall time is the
child process's, start to exit: PostgreSQL, the stacks, the preflight and every scenario. The
CPU time is that of the whole process tree (pytest, xdist workers, PostgreSQL, the fake, the
service, the edge runtime and its Deno workers), which a loaded machine disturbs less than
the wall time. It prints each round, the median wall and CPU time of each side, their ratios
(goal for the wall time: at most 1.3), and the functions' cold start as the preflight
measured it (the `edge functions: ... cold start X s` line of the pytest header).

Before the rounds the preflight runs twice in this process (`harness.edge.preflight.prepare`):
the first fills Deno's caches, the second is timed, since every `--functions` run pays it
before its first scenario. Last come the scenarios whose median duration differs most
between the two sides, which is where to look when the ratio is high. A round with a failed
scenario is reported; its times are still printed, and the benchmark exits 1.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from harness.edge.preflight import prepare

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FUNCTIONS = ROOT / "examples" / "supabase" / "functions"
RATIO_GOAL = 1.3
CHILD_TIMEOUT_S = 1800
COLD_START = re.compile(r"^edge functions: .*; cold start (?P<seconds>\d+(?:\.\d+)?) s$", re.MULTILINE)
REFERENCE = "reference"
FUNCTIONS = "functions"


@dataclass(frozen=True)
class SuiteRun:
    """One pytest process over the scenarios, against one side."""

    side: str
    wall_s: float
    cpu_s: float
    load_before: float
    passed: int
    failed: int
    cold_start_s: float | None
    durations: dict[str, float]  # node id -> scenario duration, seconds


def run_suite(side: str, arguments: argparse.Namespace, workdir: Path) -> SuiteRun:
    report_dir = workdir / "reports"
    command = [
        sys.executable,
        "-m",
        "pytest",
        *arguments.scenarios,
        "-n",
        str(arguments.workers),
        "-p",
        "no:cacheprovider",
        "--report-dir",
        str(report_dir),
    ]  # not -q: the header carries the functions' cold start
    if side == FUNCTIONS:
        command += ["--functions", str(arguments.functions)]
        if arguments.functions_env_file is not None:
            command += ["--functions-env-file", str(arguments.functions_env_file)]
    load_before = os.getloadavg()[0]
    cpu_before = _children_cpu_s()
    started = time.monotonic()
    completed = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S, check=False
    )
    wall_s = time.monotonic() - started
    cpu_s = _children_cpu_s() - cpu_before
    (workdir / "pytest.out").write_text(completed.stdout + completed.stderr, encoding="utf-8")
    results = sorted(report_dir.glob("*/results.json"))
    if not results:
        raise SystemExit(f"{side}: pytest wrote no results; see {workdir / 'pytest.out'}")
    scenarios = json.loads(results[-1].read_text(encoding="utf-8"))["scenarios"]
    outcomes = [scenario["outcome"] for scenario in scenarios]
    cold = COLD_START.search(completed.stdout)
    return SuiteRun(
        side=side,
        wall_s=wall_s,
        cpu_s=cpu_s,
        load_before=load_before,
        passed=outcomes.count("passed"),
        failed=sum(outcome in ("failed", "error") for outcome in outcomes),
        cold_start_s=float(cold.group("seconds")) if cold else None,
        durations={scenario["nodeid"]: float(scenario["duration_seconds"]) for scenario in scenarios},
    )


def _children_cpu_s() -> float:
    """User + system CPU of every finished descendant (each reaped by its parent)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_preflight(functions: Path) -> tuple[float, float]:
    """The preflight's wall time and cold start, once Deno's caches are warm."""
    prepare(functions)
    started = time.monotonic()
    preflight = prepare(functions)
    return time.monotonic() - started, preflight.cold_start_s


def print_rounds(rounds: list[tuple[SuiteRun, SuiteRun]]) -> None:
    print(
        f"\n{'round':>5}  {'wall s (ref | fn)':>17}  {'ratio':>5}  {'CPU s (ref | fn)':>17}  "
        f"{'ratio':>5}  {'cold start s':>12}  {'passed/failed (ref | fn)':>24}  {'load (ref | fn)':>15}"
    )
    for number, (reference, functions) in enumerate(rounds, start=1):
        cold = f"{functions.cold_start_s:.2f}" if functions.cold_start_s is not None else "?"
        walls = f"{reference.wall_s:.1f} | {functions.wall_s:.1f}"
        cpus = f"{reference.cpu_s:.1f} | {functions.cpu_s:.1f}"
        outcomes = f"{reference.passed}/{reference.failed} | {functions.passed}/{functions.failed}"
        loads = f"{reference.load_before:.1f} | {functions.load_before:.1f}"
        print(
            f"{number:>5}  {walls:>17}  {functions.wall_s / reference.wall_s:>5.2f}  {cpus:>17}  "
            f"{functions.cpu_s / reference.cpu_s:>5.2f}  {cold:>12}  {outcomes:>24}  {loads:>15}"
        )


def print_summary(
    rounds: list[tuple[SuiteRun, SuiteRun]], preflight_s: float, preflight_cold_s: float
) -> None:
    reference = statistics.median(run.wall_s for run, _ in rounds)
    functions = statistics.median(run.wall_s for _, run in rounds)
    reference_cpu = statistics.median(run.cpu_s for run, _ in rounds)
    functions_cpu = statistics.median(run.cpu_s for _, run in rounds)
    colds = [run.cold_start_s for _, run in rounds if run.cold_start_s is not None]
    ratio = functions / reference
    verdict = "within" if ratio <= RATIO_GOAL else "above"
    print(f"\nmedian of {len(rounds)} round(s)              wall        CPU")
    print(f"  reference functions (Python)   {reference:8.1f} s  {reference_cpu:8.1f} s")
    print(f"  Edge Functions (TypeScript)    {functions:8.1f} s  {functions_cpu:8.1f} s")
    print(
        f"  ratio functions / reference    {ratio:8.2f}    {functions_cpu / reference_cpu:8.2f}"
        f"     (wall: {verdict} the goal of {RATIO_GOAL})"
    )
    if colds:
        print(f"  cold start (pytest header)     {statistics.median(colds):8.2f} s   (slowest worker)")
    print(f"  preflight, warm caches         {preflight_s:8.2f} s   (cold start {preflight_cold_s:.2f} s)")


def print_differences(rounds: list[tuple[SuiteRun, SuiteRun]], top: int) -> None:
    """The scenarios whose median duration differs most between the two sides."""
    reference = _median_durations([run for run, _ in rounds])
    functions = _median_durations([run for _, run in rounds])
    common = reference.keys() & functions.keys()
    if not common or top <= 0:
        return
    total_reference = sum(reference[node] for node in common)
    total_functions = sum(functions[node] for node in common)
    print(
        f"\nscenario time, summed over {len(common)} scenarios (medians): reference "
        f"{total_reference:.1f} s, functions {total_functions:.1f} s"
    )
    print(f"largest differences (functions - reference), top {top}:")
    ranked = sorted(common, key=lambda node: abs(functions[node] - reference[node]), reverse=True)
    for node in ranked[:top]:
        print(
            f"  {functions[node] - reference[node]:+7.2f} s  ({reference[node]:6.2f} -> "
            f"{functions[node]:6.2f})  {node.removeprefix('plan_conformance/scenarios/')}"
        )


def _median_durations(runs: list[SuiteRun]) -> dict[str, float]:
    nodes = set.intersection(*(set(run.durations) for run in runs)) if runs else set()
    return {node: statistics.median(run.durations[node] for run in runs) for node in nodes}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenarios", nargs="*", default=["plan_conformance/scenarios/http"])
    parser.add_argument("--runs", type=int, default=3, help="rounds; each runs both sides once")
    parser.add_argument("--workers", type=int, default=2, help="pytest -n")
    parser.add_argument("--functions", type=Path, default=DEFAULT_FUNCTIONS)
    parser.add_argument(
        "--functions-env-file", type=Path, help="the functions' own settings (functions side only)"
    )
    parser.add_argument("--top", type=int, default=8, help="scenarios listed by difference")
    arguments = parser.parse_args()
    if arguments.runs < 1:
        parser.error(f"--runs must be at least 1, got {arguments.runs}")
    if arguments.workers < 1:
        parser.error(f"--workers must be at least 1, got {arguments.workers}")
    arguments.functions = arguments.functions.resolve()
    if arguments.functions_env_file is not None:
        arguments.functions_env_file = arguments.functions_env_file.resolve()

    print(
        f"scenarios: {' '.join(arguments.scenarios)}, pytest -n {arguments.workers}, "
        f"{arguments.runs} round(s); functions: {arguments.functions}; "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"
    )
    preflight_s, preflight_cold_s = timed_preflight(arguments.functions)
    workdir = Path(tempfile.mkdtemp(prefix="bench-edge-"))
    rounds: list[tuple[SuiteRun, SuiteRun]] = []
    for number in range(arguments.runs):
        order = (REFERENCE, FUNCTIONS) if number % 2 == 0 else (FUNCTIONS, REFERENCE)
        runs = {side: run_suite(side, arguments, workdir / f"round{number + 1}-{side}") for side in order}
        rounds.append((runs[REFERENCE], runs[FUNCTIONS]))
        print(
            f"round {number + 1}: reference {runs[REFERENCE].wall_s:.1f} s, "
            f"functions {runs[FUNCTIONS].wall_s:.1f} s",
            flush=True,
        )
    print_rounds(rounds)
    print_summary(rounds, preflight_s, preflight_cold_s)
    print_differences(rounds, arguments.top)
    failed = [(number, run.side) for number, pair in enumerate(rounds, 1) for run in pair if run.failed]
    if failed:
        print(f"\nrounds with failed scenarios (times not comparable): {failed}; output in {workdir}")
        return 1
    print(f"\nchild outputs in {workdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
