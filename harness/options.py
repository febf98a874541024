"""The harness's command-line options, each with an ini twin, registered once in one group."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from harness.seeds import DEFAULT_SEED


@dataclass(frozen=True)
class OptionSpec:
    """One option: `--name` on the command line, `conformance_name_with_underscores` in the ini file."""

    name: str
    help: str
    default: str | None = None
    flag: bool = False

    @property
    def dest(self) -> str:
        return "conformance_" + self.name.replace("-", "_")

    @property
    def ini_name(self) -> str:
        return "conformance_" + self.name.replace("-", "_")


OPTIONS = (
    OptionSpec("target", "where the suite runs: local (default), staging or url", "local"),
    OptionSpec("url", "base URL of the Supabase-shaped service for --target url"),
    OptionSpec(
        "env-file",
        "KEY=VALUE file with the target's settings: SUPABASE_URL, SUPABASE_ANON_KEY, "
        "SUPABASE_SERVICE_ROLE_KEY, and optionally DATABASE_URL, FAKE_DEEPSEEK_URL, "
        "FAKE_DEEPSEEK_ADMIN_TOKEN, SERVICE_LOG_FILE and the functions' settings "
        "(INTERNAL_TIMEOUT_MS, ...); the environment wins over the file",
    ),
    OptionSpec(
        "db",
        "local target: the PostgreSQL to provision, auto (default), embedded, system, testcontainers or "
        "a DSN (auto takes DATABASE_URL when set); deployed target: its own database as a DSN",
        "auto",
    ),
    OptionSpec("db-image", "image for --db testcontainers", "postgres:16-alpine"),
    OptionSpec(
        "migrations",
        "folder of SQL migrations to test instead of the reference ones (Supabase layout)",
    ),
    OptionSpec(
        "functions",
        "local target: a Supabase functions folder (<name>/index.ts, shared code in _shared/) to serve "
        "under Deno at /functions/v1/<name> in place of the reference service's functions",
    ),
    OptionSpec(
        "functions-env-file",
        "local target with --functions: KEY=VALUE file of the functions' own settings (their .env)",
    ),
    OptionSpec(
        "fake-llm",
        "deployed target: serve[:HOST:PORT] starts a fake DeepSeek on loopback for the run "
        "(point the target's DEEPSEEK_BASE_URL at it); gives the faults capability",
    ),
    OptionSpec(
        "fake-llm-url",
        "deployed target: root URL of a running fake DeepSeek the target's DEEPSEEK_BASE_URL points at "
        "(its admin token from FAKE_DEEPSEEK_ADMIN_TOKEN); gives the faults capability",
    ),
    OptionSpec(
        "service-log",
        "deployed target: a file the target's service or functions write their log to "
        "(or SERVICE_LOG_FILE); lets the log scenarios read it",
    ),
    OptionSpec(
        "invoke-queue-every",
        "deployed target: invoke process-plan-queue with the service key every this many milliseconds, "
        "as pg_cron + pg_net would, for a deployment that does not schedule it itself",
    ),
    OptionSpec(
        "seed",
        "seed of the run: each test's generated users and draws come from it and the test's id "
        "(`--seed N -k name` replays a test); 'random' picks one and prints it",
        str(DEFAULT_SEED),
    ),
    OptionSpec(
        "service-pythonpath",
        "run the local stack's reference service with this folder first on PYTHONPATH "
        "(to test a modified copy of reference_impl, as the self-check does)",
    ),
    OptionSpec("report-dir", "where reports/<run>/ and reports/latest are written", "reports"),
    OptionSpec(
        "max-wait",
        "seconds the poller waits for a job before the app would show an error "
        "(default: 60 on a target on this machine, the 900 s hard cap elsewhere)",
    ),
    OptionSpec(
        "jobs-ahead",
        "how many cases of a parametrized fault scenario have their jobs running at once "
        "(default: the local stack's WORKER_CONCURRENCY; 1 on a deployed target)",
    ),
    OptionSpec(
        "max-skipped",
        "fail the run when more than this percentage of the collected scenarios were skipped "
        "(guards against a misconfigured target that silently skips everything)",
    ),
    OptionSpec(
        "fuzz-examples",
        "fuzz scenarios: cases per operation of an OpenAPI document in each mode (schema-valid, "
        "schema-violating)",
        "25",
    ),
    OptionSpec("fuzz-seconds", "fuzz scenarios: time limit per OpenAPI document, in seconds", "60"),
    OptionSpec(
        "allow-destructive",
        "the deployed target's database is disposable: run the database scenarios on it "
        "(they need its queue to themselves and remove every row they create)",
        flag=True,
    ),
)


def register(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "plan-generation conformance harness")
    for spec in OPTIONS:
        if spec.flag:
            group.addoption(
                f"--{spec.name}", dest=spec.dest, action="store_true", default=None, help=spec.help
            )
            parser.addini(spec.ini_name, spec.help, type="bool", default=False)
        else:
            group.addoption(f"--{spec.name}", dest=spec.dest, default=None, help=spec.help)
            parser.addini(spec.ini_name, spec.help, default=spec.default)


def value(config: pytest.Config, name: str) -> object:
    """The command-line value, else the ini value, else the default."""
    spec = next(spec for spec in OPTIONS if spec.name == name)
    given = config.getoption(spec.dest)
    if given is not None:
        return given
    return config.getini(spec.ini_name)
