"""pytest plugin of the conformance harness: options, markers, header, run services, skips.

Loaded by the root conftest (`pytest_plugins = ["harness.plugin"]`). The controlling
process resolves the configuration once and starts what the run needs once (a fake DeepSeek
or the queue's schedule for a deployed target); xdist workers receive a description of them.
The local target's PostgreSQL starts only when a selected test needs it (`database_run`):
without xdist once collection shows one, with xdist when the first worker asks the
controller for it (`harness.db.on_demand`). The conformance reporter is registered only
when the run may collect scenarios (a path under a `scenarios` folder), and reports only those.
Skips come from the target's capabilities.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Generator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from harness import options
from harness.capabilities import CAPABILITIES
from harness.config import HarnessConfig
from harness.db.on_demand import DatabaseOnDemand, RemoteDatabase
from harness.errors import HarnessSetupError
from harness.redact import Redactor
from harness.report.model import SCENARIO_KEYWORD, SCENARIOS_FOLDER, is_scenario_path
from harness.report.reporter import ConformanceReporter, FailureRedactor, new_run_id
from harness.run_services import RunServices
from harness.stack.secrets import RunSecrets
from harness.stash import DATABASE_SOURCE_KEY, HARNESS_CONFIG_KEY, RUN_SECRETS_KEY, STARTED_FAKE_KEY
from harness.target.fake import FakeDeepSeek, FakeGiven

pytest_plugins = [
    "harness.fixtures.run",
    "harness.fixtures.http",
    "harness.fixtures.faults",
    "harness.fixtures.database",
    "harness.fixtures.schema",
    "harness.fixtures.service",
    "harness.fixtures.stacks",
    "harness.fixtures.chaos",
    "harness.fixtures.fuzz",
]

WORKERINPUT_DATABASE = "plan_conformance_database"
WORKERINPUT_SECRETS = "plan_conformance_secrets"
WORKERINPUT_SEED = "plan_conformance_seed"
WORKERINPUT_FAKE = "plan_conformance_fake"
RUN_SERVICES_KEY = pytest.StashKey[RunServices]()
REPORTER_NAME = "plan-conformance-reporter"
# the fixture through which every test reaches the local target's PostgreSQL
DATABASE_FIXTURE = "database_run"

MARKERS = (
    "needs(*capabilities): the scenario needs these target capabilities "
    f"({', '.join(sorted(CAPABILITIES))}); skipped with the reason where the target lacks one",
    "destructive: needs the target's queue to itself (a database it may fill and empty); runs on a "
    "deployed target only with --allow-destructive",
    "smoke: safe for staging with the real DeepSeek",
    "fuzz: fuzzes the target's published OpenAPI documents (schemathesis); calls the queue's functions "
    "as service role, so also destructive",
    "slow: takes more than a few seconds (child pytest processes, load, a chaos run)",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    options.register(parser)


# what pytest_cmdline_main returns
ExitStatus = int | pytest.ExitCode


@pytest.hookimpl(wrapper=True)
def pytest_cmdline_main(config: pytest.Config) -> Generator[None, ExitStatus, ExitStatus]:
    """With `-n` and no `--dist`, xdist distributes by `worksteal` instead of `load`
    (docs/decisions.md H31)."""
    _steal_work_by_default(config)
    return (yield)


def _steal_work_by_default(config: pytest.Config) -> None:
    option = config.option
    if not config.pluginmanager.hasplugin("xdist") or not getattr(option, "numprocesses", None):
        return
    if getattr(option, "dist", "no") == "no" and not getattr(option, "distload", False):
        option.dist = "worksteal"


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
    """Hands the controller's database, stack secrets, seed and fake to every worker it starts."""

    def __init__(self, services: RunServices, secrets: RunSecrets, seed: int) -> None:
        self.services = services
        self.secrets = secrets
        self.seed = seed

    def pytest_configure_node(self, node: Any) -> None:
        broker = self.services.database_broker()
        if broker is not None:
            node.workerinput[WORKERINPUT_DATABASE] = broker.to_workerinput()
        fake = self.services.started_fake
        if fake is not None:
            node.workerinput[WORKERINPUT_FAKE] = [fake.url, fake.admin_token, fake.provenance]
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
        config.stash[DATABASE_SOURCE_KEY] = RemoteDatabase.from_workerinput(data) if data else None
        config.stash[RUN_SECRETS_KEY] = RunSecrets.from_workerinput(workerinput[WORKERINPUT_SECRETS])
        fake = workerinput.get(WORKERINPUT_FAKE)
        config.stash[STARTED_FAKE_KEY] = FakeDeepSeek(*fake) if fake else None
        return

    config.stash[HARNESS_CONFIG_KEY] = harness
    secrets = RunSecrets()
    config.stash[RUN_SECRETS_KEY] = secrets
    services = RunServices()
    if not _only_informational(config):
        try:
            services = RunServices.start(harness)
        except HarnessSetupError as error:
            raise pytest.UsageError(str(error)) from None
    config.stash[RUN_SERVICES_KEY] = services
    config.stash[DATABASE_SOURCE_KEY] = services.database
    config.stash[STARTED_FAKE_KEY] = services.started_fake
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_XdistHooks(services, secrets, harness.seed), "plan-conformance-xdist")
    if not _only_informational(config):
        redactor = _run_redactor(harness, services, secrets)
        config.pluginmanager.register(FailureRedactor(redactor), "plan-conformance-redactor")
        if _may_collect_scenarios(config):
            _register_reporter(config, harness, services, redactor)


def _may_collect_scenarios(config: pytest.Config) -> bool:
    """Whether a path this run collects from is, or holds, a `scenarios` folder: unit tests
    are not conformance areas, and a run of them writes no conformance report. With
    `--pyargs` (as `plan-conformance run` calls pytest) the arguments are packages."""
    for argument in config.args:
        target = argument.split("::", 1)[0]
        path = _package_path(target) if config.getoption("pyargs", False) else None
        path = path or config.invocation_params.dir / target
        if SCENARIOS_FOLDER in path.resolve().parts or (path / SCENARIOS_FOLDER).is_dir():
            return True
    return False


def _package_path(name: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(spec.origin) if spec.origin else None


def _run_redactor(harness: HarnessConfig, services: RunServices, secrets: RunSecrets) -> Redactor:
    started = services.started_fake
    return Redactor(
        (
            *harness.secret_values,
            *secrets.all(),
            *((started.admin_token,) if started is not None and started.admin_token else ()),
        )
    )


def _register_reporter(
    config: pytest.Config, harness: HarnessConfig, services: RunServices, redactor: Redactor
) -> None:
    spec = harness.target
    environment: dict[str, str] = {"capabilities": spec.capabilities.describe()}
    if spec.endpoint is not None:
        environment["url"] = spec.endpoint.url
    else:
        environment["migrations"] = harness.migrations.describe()
    reporter = ConformanceReporter(
        run_id=new_run_id(),
        report_dir=harness.report_dir,
        target=spec.label,
        seed=harness.seed,
        redactor=redactor,
        environment=environment,
        max_skipped_percent=harness.max_skipped_percent,
    )
    if config.option.xmlpath:
        reporter.junit_path = Path(config.option.xmlpath)
    else:
        reporter.junit_path.parent.mkdir(parents=True, exist_ok=True)
        config.option.xmlpath = str(reporter.junit_path)
        reporter.owns_junit = True
    config.pluginmanager.register(reporter, REPORTER_NAME)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """Tell the report which server the run used, now that it is known (it starts on demand)."""
    services = session.config.stash.get(RUN_SERVICES_KEY, None)
    reporter = session.config.pluginmanager.get_plugin(REPORTER_NAME)
    if services is None or services.database is None or not isinstance(reporter, ConformanceReporter):
        return
    started = services.database.started
    if started is not None:
        reporter.environment["database"] = f"{started.server.provider}, PostgreSQL {started.server.version}"


def pytest_collection_finish(session: pytest.Session) -> None:
    """Without xdist, start the database now if a selected test needs it: a bad `--db` or a
    broken migration stops the run here, with one line, before any test ran."""
    config = session.config
    source = config.stash.get(DATABASE_SOURCE_KEY, None)
    if not isinstance(source, DatabaseOnDemand) or _only_informational(config):
        return
    needing = (item for item in session.items if not item.get_closest_marker("skip"))
    if any(DATABASE_FIXTURE in getattr(item, "fixturenames", ()) for item in needing):
        try:
            source.get()
        except HarnessSetupError as error:
            raise pytest.UsageError(str(error)) from None


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    services = config.stash.get(RUN_SERVICES_KEY, None)
    if services is not None and services.database is not None and not _only_informational(config):
        terminalreporter.write_line(services.database.summary())


def pytest_unconfigure(config: pytest.Config) -> None:
    services = config.stash.get(RUN_SERVICES_KEY, None)
    if services is not None:
        services.close()


def pytest_report_header(config: pytest.Config) -> list[str]:
    harness = config.stash.get(HARNESS_CONFIG_KEY, None)
    if harness is None:
        return []
    spec = harness.target
    where = f" {spec.endpoint.url}" if spec.endpoint is not None else ""
    lines = [
        f"conformance: target {spec.label}{where}, seed {harness.seed}",
        f"capabilities: {spec.capabilities.describe()}",
    ]
    started = config.stash.get(STARTED_FAKE_KEY, None)
    if started is not None:
        lines.append(f"fake DeepSeek: {started.provenance}; the target's DEEPSEEK_BASE_URL must point at it")
    elif isinstance(spec.fake, FakeGiven):
        lines.append(f"fake DeepSeek: given at {spec.fake.url}; the target's calls must arrive there")
    elif spec.capabilities.has("faults"):
        lines.append("fake DeepSeek: each worker's stack starts its own")
    lines.append(f"service settings: {spec.settings.describe()}")
    if spec.capabilities.has("faults"):
        lines.append(f"jobs ahead: {spec.jobs_ahead} (a fault scenario's cases with jobs running at once)")
    services = config.stash.get(RUN_SERVICES_KEY, None)
    if services is not None:
        lines.extend(services.header_lines())
    return lines


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    spec = config.stash[HARNESS_CONFIG_KEY].target
    for item in items:
        if is_scenario_path(item.path):
            item.keywords[SCENARIO_KEYWORD] = True
        needed: set[str] = set()
        for marker in item.iter_markers("needs"):
            unknown = set(marker.args) - CAPABILITIES
            if unknown:
                raise pytest.UsageError(
                    f"{item.nodeid}: unknown capability {sorted(unknown)} in @needs; "
                    f"known: {sorted(CAPABILITIES)}"
                )
            needed.update(marker.args)
        reason = spec.capabilities.skip_reason(spec.label, needed)
        if reason is None and item.get_closest_marker("destructive") and not spec.destructive_allowed:
            reason = (
                f"needs the queue to itself; target {spec.label}'s database is not known to be disposable "
                "(--allow-destructive says it is)"
            )
        if reason is not None:
            item.add_marker(pytest.mark.skip(reason=reason))
    if _is_xdist_worker(config):
        items.sort(key=lambda item: not _runs_long(item))


def _runs_long(item: pytest.Item) -> bool:
    """A scenario of seconds that cannot be split: marked `slow`, or starting stacks of its own.
    Under xdist these run first, so the workers share out the short ones around them instead of
    one worker ending the run alone with a long one (docs/decisions.md H31)."""
    return item.get_closest_marker("slow") is not None or "isolated_stack" in getattr(
        item, "fixturenames", ()
    )
