"""`plan-stack serve`: the local stack by hand, for a developer or for CI's `--target url` run.

Starts PostgreSQL (the same providers as the harness), applies the shim and the migrations,
then the fake DeepSeek and the reference service, and prints what a client needs, which is
also what `pytest plan_conformance/scenarios --target url --env-file FILE` needs for every capability but
`workers`:

    SUPABASE_URL=http://127.0.0.1:PORT
    SUPABASE_ANON_KEY=...
    SUPABASE_SERVICE_ROLE_KEY=...
    DATABASE_URL=...                    the stack's database, as its owner
    FAKE_DEEPSEEK_URL=http://127.0.0.1:PORT
    FAKE_DEEPSEEK_ADMIN_TOKEN=...
    SERVICE_LOG_FILE=/tmp/plan-stack-.../plan-reference.log
    INTERNAL_TIMEOUT_MS=1500            and the other settings scenarios reason about

`--env-out FILE` writes the same lines to FILE (owner-only) once everything is up.
`--no-worker-loop` leaves the queue unscheduled: something else invokes process-plan-queue
(the suite's `--invoke-queue-every`). Everything stops and is removed on Ctrl-C or SIGTERM.
The keys, the DSN and the token are secrets of this throw-away stack only.
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

from harness.config import functions_env
from harness.db.migrations import MigrationSet
from harness.db.providers import DatabaseRequest, dsn_as_url
from harness.db.run import DatabaseRun
from harness.edge.preflight import prepare as prepare_functions
from harness.errors import HarnessSetupError
from harness.seeds import DEFAULT_SEED
from harness.stack.local import FunctionsSetup, LocalStack
from harness.target.settings import TargetSettings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="plan-stack", description="Run the local stack by hand.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="start database, fake DeepSeek and reference service")
    serve.add_argument("--db", default="auto", help="auto, embedded, system, testcontainers or a DSN")
    serve.add_argument("--migrations", type=Path, help="migrations folder (default: the reference ones)")
    serve.add_argument(
        "--functions",
        type=Path,
        help="a Supabase functions folder to serve under Deno at /functions/v1 instead of the reference's",
    )
    serve.add_argument("--functions-env-file", type=Path, help="the functions' own settings (KEY=VALUE)")
    serve.add_argument("--preset", help="fake DeepSeek preset to load (healthy, flaky, overloaded, ...)")
    serve.add_argument("--seed", type=int, default=DEFAULT_SEED)
    serve.add_argument("--env-out", type=Path, help="write the printed settings to this file when ready")
    serve.add_argument(
        "--no-worker-loop",
        action="store_true",
        help="do not work the queue in the background; process-plan-queue runs only when invoked "
        "(run the suite with --invoke-queue-every MS)",
    )
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
    loop = {"WORKER_INTERVAL_MS": "0"} if arguments.no_worker_loop else {"WORKER_INTERVAL_MS": "200"}
    overrides = {**loop, **_service_overrides(arguments.service_env)}
    functions = None
    if arguments.functions is not None:
        preflight = prepare_functions(arguments.functions)
        print(preflight.header(), file=sys.stderr)
        functions = FunctionsSetup(preflight.folder.path, functions_env(arguments.functions_env_file))
    elif arguments.functions_env_file is not None:
        raise HarnessSetupError("--functions-env-file needs --functions (the folder it configures)")
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
            functions=functions,
        )
        stack.start()
        if arguments.preset:
            with stack.fake_control() as control:
                control.load_preset(arguments.preset)
        lines = [f"{key}={value}" for key, value in _settings(stack).items()]
        print(run.header(), file=sys.stderr)
        print(f"logs: {workdir}", file=sys.stderr)
        if arguments.no_worker_loop:
            print(
                "queue: not scheduled; invoke process-plan-queue (--invoke-queue-every MS)", file=sys.stderr
            )
        print("\n".join(lines), flush=True)
        if arguments.env_out is not None:
            _write_owner_only(arguments.env_out, "\n".join(lines) + "\n")
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        stop.wait()
    finally:
        if stack is not None:
            stack.stop()
            shutil.rmtree(stack.workdir, ignore_errors=True)
        run.close()


def _settings(stack: LocalStack) -> dict[str, str]:
    """What a client, and the suite as `--target url`, needs to know of the stack."""
    assert stack.keys is not None and stack.keys.service_role is not None and stack.service is not None
    service = stack.service_env_defaults()
    return {
        "SUPABASE_URL": stack.service_url,
        "SUPABASE_ANON_KEY": stack.keys.anon,
        "SUPABASE_SERVICE_ROLE_KEY": stack.keys.service_role,
        "DATABASE_URL": dsn_as_url(stack.database_dsn),
        "FAKE_DEEPSEEK_URL": stack.fake_url,
        "FAKE_DEEPSEEK_ADMIN_TOKEN": stack.secrets.fake_admin_token,
        "SERVICE_LOG_FILE": str(stack.functions_log_path),
        **{name: service[name] for name in TargetSettings.env_names()},
    }


def _write_owner_only(path: Path, text: str) -> None:
    staged = path.with_suffix(".tmp")
    descriptor = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # secrets: owner only
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(text)
    staged.replace(path)


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
