"""`fake-llm serve`: prints its URL, serves the preset it was given, stops cleanly on Ctrl-C; takes
keys and the admin token from the environment and refuses unsafe starts in one line."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import httpx
import pytest

from fake_llm.cli import inherited_address, main
from fake_llm.control import AsyncFakeLLMControl
from fake_llm.environment import ADMIN_TOKEN_ENV, API_KEYS_ENV, DEEPSEEK_API_KEY_ENV, accepted_keys
from fake_llm.server import FakeDeepSeek
from fake_llm.settings import ServerSettings

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


async def test_serve_on_an_inherited_socket_answers_at_the_url_known_before_it_started() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "fake_llm.cli",
            "serve",
            "--listen-fd",
            str(listener.fileno()),
            pass_fds=(listener.fileno(),),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    try:
        # asked before the fake has printed anything: the connection waits in the socket's backlog
        async with AsyncFakeLLMControl(url) as control, asyncio.timeout(15):
            health = await control.health()
        assert process.stdout is not None
        line = (await process.stdout.readline()).decode()
        assert line.startswith(f"fake-llm serving on {url} "), line
        assert health["seed"] == 0
    finally:
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(10):
            await process.communicate()


def test_an_inherited_descriptor_that_is_not_a_listening_socket_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    unbound, unix = socket.socket(), socket.socket(socket.AF_UNIX)
    unix.bind(str(tmp_path / "fake.sock"))
    unix.listen()
    with unbound, unix, open(tmp_path / "file", "w") as plain:
        for refused in (unbound, unix):
            assert main(["serve", "--listen-fd", str(refused.fileno())], environ={}) == 2
            err = capsys.readouterr().err
            assert err.startswith("fake-llm: --listen-fd") and "not a listening TCP socket" in err, err
        assert main(["serve", "--listen-fd", str(plain.fileno())], environ={}) == 2
        assert "not an open socket" in capsys.readouterr().err


async def test_a_fake_without_a_token_refuses_a_socket_that_is_not_on_loopback(tmp_path: Path) -> None:
    # a Unix socket stands in for a non-loopback one: the tests bind loopback addresses only
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(str(tmp_path / "fake.sock"))
    unix.listen()
    with unix:
        fake = FakeDeepSeek(ServerSettings(listen_fd=unix.fileno()))
        with pytest.raises(ValueError, match="not a loopback address: serving beyond loopback needs"):
            await fake.start()
        assert unix.getsockname() == str(tmp_path / "fake.sock"), "the caller's socket is left open"


def test_an_inherited_socket_is_taken_at_its_own_address_not_the_host_option() -> None:
    # the loopback-only rule (no admin token) is checked against this address
    with socket.create_server(("127.0.0.2", 0)) as listener:
        assert inherited_address(listener.fileno()) == ("127.0.0.2", listener.getsockname()[1])
        assert listener.getsockname()[0] == "127.0.0.2", "the caller's socket stays open"


ADMIN_TOKEN = "adm-cli-Zx81Lm02Qw93Er"
CHAT_KEYS = ("sk-fake-first-1111", "sk-fake-second-2222")


async def test_serve_takes_keys_and_token_from_the_environment() -> None:
    environment = {
        **os.environ,
        API_KEYS_ENV: f" {CHAT_KEYS[0]}, {CHAT_KEYS[1]} ,",
        DEEPSEEK_API_KEY_ENV: "sk-ignored-when-the-list-is-set",
        ADMIN_TOKEN_ENV: ADMIN_TOKEN,
    }
    process = await asyncio.create_subprocess_exec(
        *SERVE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=environment
    )
    assert process.stdout is not None
    try:
        async with asyncio.timeout(15):
            first = (await process.stdout.readline()).decode()
            second = (await process.stdout.readline()).decode()
        url = first.split()[3]
        assert "every call needs the admin token" in first
        assert f"accepts 2 API keys from {API_KEYS_ENV}" in second
        async with httpx.AsyncClient(base_url=url) as client:
            statuses = [
                (await client.get("/models", headers={"Authorization": f"Bearer {key}"})).status_code
                for key in (*CHAT_KEYS, "sk-ignored-when-the-list-is-set")
            ]
            admin_without = (await client.get("/__admin/health")).status_code
        async with AsyncFakeLLMControl(url, admin_token=ADMIN_TOKEN) as control:
            health = await control.health()
        assert statuses == [200, 200, 401] and admin_without == 401 and health["status"] == "ok"
    finally:
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(10):
            stdout, stderr = await process.communicate()
    output = first + second + stdout.decode() + stderr.decode()
    assert process.returncode == 0, output
    for secret in (ADMIN_TOKEN, *CHAT_KEYS):
        assert secret not in output


async def test_serve_without_token_says_loopback_only() -> None:
    environment = {
        key: value for key, value in os.environ.items() if key not in (ADMIN_TOKEN_ENV, API_KEYS_ENV)
    }
    environment[DEEPSEEK_API_KEY_ENV] = CHAT_KEYS[0]
    process = await asyncio.create_subprocess_exec(
        *SERVE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=environment
    )
    assert process.stdout is not None
    try:
        async with asyncio.timeout(15):
            first = (await process.stdout.readline()).decode()
            second = (await process.stdout.readline()).decode()
        assert "open to loopback clients only, no admin token" in first
        assert f"accepts 1 API key from {DEEPSEEK_API_KEY_ENV}" in second
        assert CHAT_KEYS[0] not in first + second
    finally:
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(10):
            await process.communicate()


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "fake-llm.internal"])
def test_non_loopback_host_without_token_is_refused_in_one_line(
    host: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", "--host", host], environ={}) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and captured.out == ""
    assert f"refusing to serve on {host} without an admin token" in lines[0]
    assert "--admin-token" in lines[0] and ADMIN_TOKEN_ENV in lines[0]


@pytest.mark.parametrize(
    ("argv", "environ", "named"),
    [
        (["--admin-token", "tiny-secret"], {}, "--admin-token"),
        ([], {ADMIN_TOKEN_ENV: "tiny-secret"}, ADMIN_TOKEN_ENV),
        (["--admin-token", "tiny-secret", "--host", "0.0.0.0"], {}, "--admin-token"),
    ],
)
def test_short_admin_token_is_refused_naming_the_option_not_the_value(
    argv: list[str], environ: dict[str, str], named: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", *argv], environ=environ) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"fake-llm: {named}: too short") and "16" in err
    assert "tiny-secret" not in err


def test_removed_api_key_option_is_refused_without_echoing_the_key(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["serve", "--api-key", "sk-must-not-leak-9876"], environ={}) == 2
    err = capsys.readouterr().err
    assert "--api-key was removed" in err and API_KEYS_ENV in err
    assert "sk-must-not-leak" not in err


def test_key_list_naming_no_key_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve"], environ={API_KEYS_ENV: " , ,"}) == 2
    assert f"{API_KEYS_ENV} is set but names no key" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("environ", "accepted", "source"),
    [
        ({}, (), None),
        ({DEEPSEEK_API_KEY_ENV: " sk-one "}, ("sk-one",), DEEPSEEK_API_KEY_ENV),
        ({API_KEYS_ENV: "sk-a,sk-b", DEEPSEEK_API_KEY_ENV: "sk-c"}, ("sk-a", "sk-b"), API_KEYS_ENV),
        ({API_KEYS_ENV: "", DEEPSEEK_API_KEY_ENV: "sk-c"}, ("sk-c",), DEEPSEEK_API_KEY_ENV),
    ],
)
def test_accepted_keys_precedence(
    environ: dict[str, str], accepted: tuple[str, ...], source: str | None
) -> None:
    keys = accepted_keys(environ)
    assert tuple(key.get_secret_value() for key in keys.keys) == accepted
    assert keys.source == source
    for key in accepted:
        assert key not in keys.describe()
