"""`plan-reference`: keys, serve (prints its URL, stops on SIGTERM), and clear start-up errors."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from reference_impl.auth import JwtAuthority

SECRET = "cli-tests-jwt-secret-0123456789-abcdefghijkl"


def _plan_reference(*arguments: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reference_impl.cli", *arguments],
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_keys_prints_the_keys_of_the_secret(tmp_path: Path) -> None:
    result = _plan_reference("keys", env={"SUPABASE_JWT_SECRET": SECRET}, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    keys = dict(line.split("=", 1) for line in result.stdout.splitlines())
    authority = JwtAuthority(SECRET)
    assert keys == {
        "SUPABASE_ANON_KEY": authority.api_keys.anon,
        "SUPABASE_SERVICE_ROLE_KEY": authority.api_keys.service_role,
    }


def test_serve_prints_its_url_answers_and_stops_on_sigterm(tmp_path: Path, worker_service_dsn: str) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": worker_service_dsn,
        "SUPABASE_JWT_SECRET": SECRET,
        "WORKER_INTERVAL_MS": "0",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "reference_impl.cli", "serve", "--port", "0"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.match(r"plan-reference serving (http://127\.0\.0\.1:\d+)$", line.strip())
        assert match, line
        assert httpx.get(f"{match.group(1)}/healthz", timeout=10).json()["status"] == "ok"
        process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        assert process.wait(20) == 0
        assert time.monotonic() - started < 20
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    _, stderr = process.communicate()
    assert SECRET not in stderr


def test_a_bad_setting_stops_start_up_with_one_line_naming_it(tmp_path: Path) -> None:
    result = _plan_reference(
        "serve",
        env={"DATABASE_URL": "postgresql://x@127.0.0.1:1/x", "WORKER_CONCURRENCY": "many"},
        cwd=tmp_path,
    )

    assert result.returncode == 2
    assert result.stderr.strip() == "plan-reference: WORKER_CONCURRENCY must be a whole number, got 'many'"


def test_a_missing_database_url_is_named(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "-m", "reference_impl.cli", "serve"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 2
    assert "DATABASE_URL is required" in result.stderr


def test_an_unreachable_database_is_named_without_its_password(tmp_path: Path) -> None:
    result = _plan_reference(
        "serve", env={"DATABASE_URL": "postgresql://svc:pa55word-secret@127.0.0.1:1/app"}, cwd=tmp_path
    )

    assert result.returncode == 2
    assert result.stderr.startswith("plan-reference: cannot connect to DATABASE_URL (svc@127.0.0.1:1/app)")
    assert "pa55word-secret" not in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_log_level_is_named(tmp_path: Path) -> None:
    result = _plan_reference(
        "serve", env={"DATABASE_URL": "postgresql://x@127.0.0.1:1/x", "LOG_LEVEL": "verbose"}, cwd=tmp_path
    )

    assert result.returncode == 2
    assert "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, got 'verbose'" in result.stderr
