"""`plan-stack serve`: the local stack by hand, for a developer or for CI's `--target url` run.

Starts PostgreSQL (the same providers as the harness), applies the shim and the migrations,
then the fake DeepSeek and the reference service, and prints what a client needs:

    SUPABASE_URL=http://127.0.0.1:PORT
    SUPABASE_ANON_KEY=...
    SUPABASE_SERVICE_ROLE_KEY=...
    FAKE_DEEPSEEK_URL=http://127.0.0.1:PORT

`--env-out FILE` writes the same lines to FILE once everything is up (for scripts to
source). Everything stops and is removed on Ctrl-C or SIGTERM. The keys are secrets of
this throw-away stack only; print them nowhere else.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile
import threading
from pathlib import Path

from fake_llm.control import FakeLLMControl
from harness.db.migrations import MigrationSet
from harness.db.providers import DatabaseRequest
from harness.db.run import DatabaseRun
from harness.errors import HarnessSetupError
from harness.stack.local import LocalStack


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="plan-stack", description="Run the local stack by hand.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="start database, fake DeepSeek and reference service")
    serve.add_argument("--db", default="auto", help="auto, embedded, system, testcontainers or a DSN")
    serve.add_argument("--migrations", type=Path, help="migrations folder (default: the reference ones)")
    serve.add_argument("--preset", help="fake DeepSeek preset to load (healthy, flaky, overloaded, ...)")
    serve.add_argument("--seed", type=int, default=20251130)
    serve.add_argument("--env-out", type=Path, help="write the SUPABASE_* lines to this file when ready")
    serve.add_argument(
        "--service-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra setting for the reference service (repeatable), e.g. WORKER_INTERVAL_MS=1000",
    )
    return parser


def _service_overrides(pairs: list[str]) -> dict[str, str]:
    overrides = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals or not name:
            raise HarnessSetupError(f"--service-env {pair!r} is not NAME=VALUE")
        overrides[name] = value
    return overrides


def serve(arguments: argparse.Namespace) -> None:
    migrations = (
        MigrationSet.from_folder(arguments.migrations) if arguments.migrations else MigrationSet.reference()
    )
    overrides = {"WORKER_INTERVAL_MS": "200", **_service_overrides(arguments.service_env)}
    run = DatabaseRun.start(
        DatabaseRequest(spec=arguments.db, environment_dsn=os.environ.get("DATABASE_URL")), migrations
    )
    stack: LocalStack | None = None
    try:
        name = run.scratch.clone("standalone")
        workdir = Path(tempfile.mkdtemp(prefix="plan-stack-"))
        stack = LocalStack(
            run.server.dsn(name),
            arguments.seed,
            workdir,
            service_overrides=overrides,
            service_dsn=run.service_dsn(name),
        )
        stack.start()
        if arguments.preset:
            with FakeLLMControl(stack.fake_url) as control:
                control.load_preset(arguments.preset)
        assert stack.keys is not None and stack.keys.service_role is not None
        lines = [
            f"SUPABASE_URL={stack.service_url}",
            f"SUPABASE_ANON_KEY={stack.keys.anon}",
            f"SUPABASE_SERVICE_ROLE_KEY={stack.keys.service_role}",
            f"FAKE_DEEPSEEK_URL={stack.fake_url}",
        ]
        print(run.header(), file=sys.stderr)
        print(f"logs: {workdir}", file=sys.stderr)
        print("\n".join(lines), flush=True)
        if arguments.env_out is not None:
            staged = arguments.env_out.with_suffix(".tmp")
            descriptor = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # keys: owner only
            with os.fdopen(descriptor, "w", encoding="utf-8") as out:
                out.write("\n".join(lines) + "\n")
            staged.replace(arguments.env_out)
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        stop.wait()
    finally:
        if stack is not None:
            stack.stop()
            shutil.rmtree(stack.workdir, ignore_errors=True)
        run.close()


def main(argv: list[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    try:
        serve(arguments)
    except HarnessSetupError as error:
        print(f"plan-stack: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
