"""The `fake-llm` command: `fake-llm serve` runs the fake until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

from pydantic import SecretStr, ValidationError

from fake_llm.presets import RulesFileError, describe_validation_error, preset_names
from fake_llm.server import FakeDeepSeek
from fake_llm.settings import RuntimeSettings, ServerSettings


def build_parser() -> argparse.ArgumentParser:
    """The command line of `fake-llm`."""
    parser = argparse.ArgumentParser(prog="fake-llm", description="A fake DeepSeek API server.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the fake until Ctrl-C")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=0, help="port (default 0: a free one)")
    serve.add_argument("--seed", type=int, default=0, help="run seed (default 0)")
    serve.add_argument("--preset", help=f"preset to load: {', '.join(preset_names())}")
    serve.add_argument("--faults", type=Path, help="YAML or JSON file of rules to load")
    serve.add_argument("--quality", choices=("exact", "realistic"), default="exact")
    serve.add_argument("--latency-ms", type=float, default=0.0, help="delay before every answer")
    serve.add_argument(
        "--api-key",
        action="append",
        default=[],
        help="accepted API key (repeatable; default: any non-empty key)",
    )
    return parser


def settings_from(arguments: argparse.Namespace) -> ServerSettings:
    """Server settings from parsed arguments (ValidationError names a bad value)."""
    return ServerSettings(
        host=arguments.host,
        port=arguments.port,
        runtime=RuntimeSettings(
            seed=arguments.seed, quality=arguments.quality, latency_ms=arguments.latency_ms
        ),
        api_keys=tuple(SecretStr(key) for key in arguments.api_key),
        preset=arguments.preset,
        faults_file=arguments.faults,
    )


async def serve(settings: ServerSettings) -> None:
    """Serve until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop.set)
    async with FakeDeepSeek(settings) as fake:
        print(f"fake-llm serving on {fake.url} (admin: {fake.url}/__admin)", flush=True)
        await stop.wait()
    print("fake-llm stopped", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `fake-llm` console script."""
    arguments = build_parser().parse_args(argv)
    try:
        settings = settings_from(arguments)
        asyncio.run(serve(settings))
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
