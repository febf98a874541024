"""pytest plugin of the conformance harness: options, markers, header, database, skips.

Loaded by the root conftest (`pytest_plugins = ["harness.plugin"]`). The controlling
process resolves the configuration once and provisions PostgreSQL for the run; xdist
workers receive a description of it and clone their own database.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from harness import options
from harness.config import HarnessConfig
from harness.db.run import DatabaseRun
from harness.errors import HarnessSetupError
from harness.fixtures import (  # noqa: F401  (fixtures are found in the plugin's namespace)
    database_run,
    harness_config,
    queue_db,
    worker_database_dsn,
    worker_service_dsn,
)
from harness.keys import DATABASE_RUN_KEY, HARNESS_CONFIG_KEY, RUN_SECRETS_KEY
from harness.redact import Redactor
from harness.reporting import ConformanceReporter, new_run_id
from harness.stack.keys import RunSecrets
from harness.stack_fixtures import (  # noqa: F401  (fixtures are found in the plugin's namespace)
    fake_llm,
    history,
    isolated_stack,
    make_user,
    poll,
    profile_factory,
    queue_admin,
    stack_db,
    target_endpoint,
    wire,
)
from harness.targets import CAPABILITIES

WORKERINPUT_DATABASE = "plan_conformance_database"
WORKERINPUT_SECRETS = "plan_conformance_secrets"
WORKERINPUT_SEED = "plan_conformance_seed"

MARKERS = (
    "needs(*capabilities): the scenario needs these target capabilities "
    f"({', '.join(sorted(CAPABILITIES))}); skipped with the reason where the target lacks one",
    "destructive: acts on the whole queue; never runs against staging unless --allow-destructive",
    "smoke: safe for staging with the real DeepSeek",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    options.register(parser)


def _is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _only_informational(config: pytest.Config) -> bool:
    return bool(
        config.getoption("help", False)
        or config.getoption("version", False)
        or config.getoption("collectonly", False)
        or config.getoption("markers", False)
        or config.getoption("fixtures", False)
    )


class _XdistHooks:
    """Hands the controller's database, stack secrets and seed to every worker it starts."""

    def __init__(self, run: DatabaseRun | None, secrets: RunSecrets, seed: int) -> None:
        self.run = run
        self.secrets = secrets
        self.seed = seed

    def pytest_configure_node(self, node: Any) -> None:
        if self.run is not None:
            node.workerinput[WORKERINPUT_DATABASE] = self.run.to_workerinput()
        node.workerinput[WORKERINPUT_SECRETS] = self.secrets.to_workerinput()
        node.workerinput[WORKERINPUT_SEED] = self.seed


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    for line in MARKERS:
        config.addinivalue_line("markers", line)
    try:
        harness = HarnessConfig.from_pytest(config)
    except HarnessSetupError as error:
        raise pytest.UsageError(str(error)) from None
    if _is_xdist_worker(config):
        workerinput = config.workerinput  # type: ignore[attr-defined]
        # the controller's seed, so that `--seed random` is one seed for the whole run
        config.stash[HARNESS_CONFIG_KEY] = replace(harness, seed=int(workerinput[WORKERINPUT_SEED]))
        data = workerinput.get(WORKERINPUT_DATABASE)
        config.stash[DATABASE_RUN_KEY] = DatabaseRun.from_workerinput(data) if data else None
        config.stash[RUN_SECRETS_KEY] = RunSecrets.from_workerinput(workerinput[WORKERINPUT_SECRETS])
        return

    config.stash[HARNESS_CONFIG_KEY] = harness
    secrets = RunSecrets()
    config.stash[RUN_SECRETS_KEY] = secrets
    run: DatabaseRun | None = None
    if harness.database is not None and not _only_informational(config):
        try:
            run = DatabaseRun.start(harness.database, harness.migrations)
        except HarnessSetupError as error:
            raise pytest.UsageError(str(error)) from None
    config.stash[DATABASE_RUN_KEY] = run
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_XdistHooks(run, secrets, harness.seed), "plan-conformance-xdist")
    if not _only_informational(config):
        _register_reporter(config, harness, run, secrets)


def _register_reporter(
    config: pytest.Config, harness: HarnessConfig, run: DatabaseRun | None, secrets: RunSecrets
) -> None:
    environment: dict[str, str] = {}
    if harness.remote is not None:
        environment["url"] = harness.remote.url
    else:
        environment["migrations"] = harness.migrations.describe()
    if run is not None:
        environment["database"] = f"{run.server.provider}, PostgreSQL {run.server.version}"
    reporter = ConformanceReporter(
        run_id=new_run_id(),
        report_dir=harness.report_dir,
        target=harness.target.name,
        seed=harness.seed,
        redactor=Redactor((*harness.secret_values, secrets.jwt_secret, secrets.deepseek_api_key)),
        environment=environment,
    )
    if config.option.xmlpath:
        reporter.junit_path = Path(config.option.xmlpath)
    else:
        reporter.junit_path.parent.mkdir(parents=True, exist_ok=True)
        config.option.xmlpath = str(reporter.junit_path)
    config.pluginmanager.register(reporter, "plan-conformance-reporter")


def pytest_unconfigure(config: pytest.Config) -> None:
    run = config.stash.get(DATABASE_RUN_KEY, None)
    if run is not None:
        run.close()


def pytest_report_header(config: pytest.Config) -> list[str]:
    harness = config.stash.get(HARNESS_CONFIG_KEY, None)
    if harness is None:
        return []
    lines = [f"conformance: target {harness.target.name}, seed {harness.seed}"]
    run = config.stash.get(DATABASE_RUN_KEY, None)
    if run is not None:
        lines.append(run.header())
    return lines


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    harness = config.stash[HARNESS_CONFIG_KEY]
    for item in items:
        needed: set[str] = set()
        for marker in item.iter_markers("needs"):
            unknown = set(marker.args) - CAPABILITIES
            if unknown:
                raise pytest.UsageError(
                    f"{item.nodeid}: unknown capability {sorted(unknown)} in @needs; "
                    f"known: {sorted(CAPABILITIES)}"
                )
            needed.update(marker.args)
        reason = harness.target.skip_reason(needed)
        if (
            reason is None
            and harness.target.name != "local"
            and item.get_closest_marker("destructive")
            and not harness.allow_destructive
        ):
            reason = (
                f"acts on the whole queue; not run against {harness.target.name} without --allow-destructive"
            )
        if reason is not None:
            item.add_marker(pytest.mark.skip(reason=reason))
