"""The `fake-llm` command: `fake-llm serve` runs the fake until Ctrl-C.

API keys come only from the environment (`FAKE_DEEPSEEK_API_KEYS`, else `DEEPSEEK_API_KEY`);
the admin token from `--admin-token` or `FAKE_DEEPSEEK_ADMIN_TOKEN`. Without a token the fake
serves loopback addresses only. See "Deploying the fake" in `docs/fake-llm.md`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import sys
from collections.abc import Mapping
from pathlib import Path

from pydantic import SecretStr, ValidationError

from fake_llm.environment import (
    ADMIN_TOKEN_ENV,
    API_KEYS_ENV,
    AcceptedKeys,
    EnvironmentConfigError,
    accepted_keys,
    admin_token_from,
)
from fake_llm.presets import RulesFileError, describe_validation_error, preset_names
from fake_llm.server import FakeDeepSeek
from fake_llm.settings import RuntimeSettings, ServerSettings, admin_token_problem, is_loopback_host


class StartRefused(Exception):
    """A start the fake refuses; the message is one line saying why (never a secret's value)."""


class _RemovedApiKeyOption(argparse.Action):
    """`--api-key` was removed: refuse it without echoing the key argparse would print."""

    def __call__(self, *args: object, **kwargs: object) -> None:
        raise StartRefused(
            f"--api-key was removed (a command line is visible to every user in `ps`); "
            f"give the accepted keys in {API_KEYS_ENV} (comma-separated)"
        )


def build_parser() -> argparse.ArgumentParser:
    """The command line of `fake-llm`."""
    parser = argparse.ArgumentParser(prog="fake-llm", description="A fake DeepSeek API server.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve",
        help="serve the fake until Ctrl-C",
        epilog=f"API keys come from {API_KEYS_ENV} (comma-separated) or DEEPSEEK_API_KEY; "
        "without either, any non-empty key is accepted.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=0, help="port (default 0: a free one)")
    serve.add_argument(
        "--listen-fd",
        type=int,
        help="serve on this inherited listening socket (its address replaces --host and --port), "
        "so whoever started the fake knows its URL at once",
    )
    serve.add_argument("--seed", type=int, default=0, help="run seed (default 0)")
    serve.add_argument("--preset", help=f"preset to load: {', '.join(preset_names())}")
    serve.add_argument("--faults", type=Path, help="YAML or JSON file of rules to load")
    serve.add_argument("--quality", choices=("exact", "realistic"), default="exact")
    serve.add_argument("--latency-ms", type=float, default=0.0, help="delay before every answer")
    serve.add_argument(
        "--admin-token",
        help=f"token every /__admin call must send (prefer {ADMIN_TOKEN_ENV}: a command line "
        "is visible in `ps`); required to bind a non-loopback address",
    )
    serve.add_argument("--api-key", action=_RemovedApiKeyOption, help=argparse.SUPPRESS)
    return parser


def _admin_token(arguments: argparse.Namespace, environ: Mapping[str, str]) -> SecretStr | None:
    token: SecretStr | None = admin_token_from(environ)
    source = ADMIN_TOKEN_ENV
    if arguments.admin_token is not None:
        token, source = SecretStr(arguments.admin_token), "--admin-token"
    if token is not None and (problem := admin_token_problem(token.get_secret_value())):
        raise StartRefused(f"{source}: {problem}")
    return token


def settings_from(
    arguments: argparse.Namespace, keys: AcceptedKeys, environ: Mapping[str, str]
) -> ServerSettings:
    """Server settings from parsed arguments and the environment (ValidationError names a bad
    value, `StartRefused` a refused deployment)."""
    token = _admin_token(arguments, environ)
    if token is None and not is_loopback_host(arguments.host):
        raise StartRefused(
            f"refusing to serve on {arguments.host} without an admin token: the admin API could "
            f"be reconfigured from the network; give --admin-token or {ADMIN_TOKEN_ENV}, "
            "or bind a loopback address"
        )
    return ServerSettings(
        host=arguments.host,
        port=arguments.port,
        listen_fd=arguments.listen_fd,
        runtime=RuntimeSettings(
            seed=arguments.seed, quality=arguments.quality, latency_ms=arguments.latency_ms
        ),
        api_keys=keys.keys,
        admin_token=token,
        preset=arguments.preset,
        faults_file=arguments.faults,
    )


def inherited_address(fd: int) -> tuple[str, int]:
    """The host and port a listening socket inherited as `fd` is bound to (`StartRefused` when
    it is not a listening TCP socket), so the loopback rule applies to where it really listens."""
    try:
        inherited = socket.socket(fileno=fd)
    except OSError as error:
        raise StartRefused(f"--listen-fd {fd}: not an open socket ({error.strerror})") from None
    try:
        tcp = inherited.family in (socket.AF_INET, socket.AF_INET6) and inherited.type == socket.SOCK_STREAM
        if not tcp or not inherited.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
            raise StartRefused(f"--listen-fd {fd}: not a listening TCP socket")
        host, port = inherited.getsockname()[:2]
    finally:
        inherited.detach()  # the server takes the descriptor over
    return str(host), int(port)


def start_lines(fake: FakeDeepSeek, keys: AcceptedKeys) -> list[str]:
    """What `serve` prints once it listens: the URL first (the harness waits for it)."""
    if fake.settings.admin_token is None:
        access = "open to loopback clients only, no admin token"
    else:
        access = "every call needs the admin token"
    return [
        f"fake-llm serving on {fake.url} (admin: {fake.url}/__admin, {access})",
        f"fake-llm chat API {keys.describe()}",
    ]


async def serve(settings: ServerSettings, keys: AcceptedKeys) -> None:
    """Serve until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop.set)
    async with FakeDeepSeek(settings) as fake:
        print("\n".join(start_lines(fake, keys)), flush=True)
        await stop.wait()
    print("fake-llm stopped", flush=True)


def main(argv: list[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Entry point of the `fake-llm` console script."""
    environ = os.environ if environ is None else environ
    try:
        arguments = build_parser().parse_args(argv)
        if arguments.listen_fd is not None:
            arguments.host, arguments.port = inherited_address(arguments.listen_fd)
        keys = accepted_keys(environ)
        settings = settings_from(arguments, keys, environ)
        asyncio.run(serve(settings, keys))
    except (StartRefused, EnvironmentConfigError) as error:
        print(f"fake-llm: {error}", file=sys.stderr)
        return 2
    except ValidationError as error:
        print(f"fake-llm: invalid option: {describe_validation_error(error)}", file=sys.stderr)
        return 2
    except RulesFileError as error:
        print(f"fake-llm: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(
            f"fake-llm: cannot serve on {arguments.host}:{arguments.port}: {error.strerror}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
