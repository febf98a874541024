"""`fake-llm serve`: prints its URL, serves the preset it was given, stops cleanly on Ctrl-C."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import pytest

from fake_llm.cli import main
from fake_llm.control import AsyncFakeLLMControl

SERVE = [sys.executable, "-m", "fake_llm.cli", "serve", "--port", "0"]


async def start(*arguments: str) -> tuple[asyncio.subprocess.Process, str]:
    process = await asyncio.create_subprocess_exec(
        *SERVE, *arguments, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None
    async with asyncio.timeout(15):
        line = (await process.stdout.readline()).decode()
    assert line.startswith("fake-llm serving on http://127.0.0.1:"), line
    return process, line.split()[3]


async def test_serve_with_preset_then_ctrl_c(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("- name: from-file\n  action: {type: http_error, status: 500}\n")
    process, url = await start("--preset", "quota_exhausted", "--faults", str(rules), "--seed", "9")
    try:
        async with AsyncFakeLLMControl(url) as control:
            health = await control.health()
            names = [view.rule.name for view in await control.faults()]
        assert health["seed"] == 9
        assert names == ["quota-402", "from-file"]
    finally:
        process.send_signal(signal.SIGINT)
        async with asyncio.timeout(10):
            stdout, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()
    assert b"fake-llm stopped" in stdout
    assert b"Traceback" not in stderr


def test_unknown_preset_exits_2_with_the_known_ones(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--preset", "sunny"]) == 2
    err = capsys.readouterr().err
    assert "unknown preset 'sunny'" in err and "quota_exhausted" in err


def test_bad_port_exits_2_naming_the_field(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--port", "70000"]) == 2
    assert "port" in capsys.readouterr().err
