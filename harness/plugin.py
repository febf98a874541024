"""pytest plugin of the conformance harness: options, markers, header, database, skips.

Loaded by the root conftest (`pytest_plugins = ["harness.plugin"]`). The controlling
process resolves the configuration once and provisions PostgreSQL for the run; xdist
workers receive a description of it and clone their own database.
"""

from __future__ import annotations

from typing import Any

import pytest

from harness import options
from harness.config import HarnessConfig
from harness.db.errors import HarnessSetupError
from harness.db.run import DatabaseRun
from harness.fixtures import (  # noqa: F401  (fixtures are found in the plugin's namespace)
    database_run,
    harness_config,
    queue_db,
    worker_database_dsn,
)
from harness.keys import DATABASE_RUN_KEY, HARNESS_CONFIG_KEY
from harness.stack_fixtures import (  # noqa: F401  (fixtures are found in the plugin's namespace)
    fake_llm,
    history,
    make_user,
    poll,
    profile_factory,
    queue_admin,
    stack_db,
    target_endpoint,
    wire,
)
from harness.targets import CAPABILITIES

WORKERINPUT_KEY = "plan_conformance_database"

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
    """Hands the controller's database to every worker it starts."""

    def __init__(self, run: DatabaseRun) -> None:
        self.run = run

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[WORKERINPUT_KEY] = self.run.to_workerinput()


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    for line in MARKERS:
        config.addinivalue_line("markers", line)
    try:
        harness = HarnessConfig.from_pytest(config)
    except HarnessSetupError as error:
        raise pytest.UsageError(str(error)) from None
    config.stash[HARNESS_CONFIG_KEY] = harness

    run: DatabaseRun | None = None
    if _is_xdist_worker(config):
        data = config.workerinput.get(WORKERINPUT_KEY)  # type: ignore[attr-defined]
        run = DatabaseRun.from_workerinput(data) if data else None
    elif harness.database is not None and not _only_informational(config):
        try:
            run = DatabaseRun.start(harness.database, harness.migrations)
        except HarnessSetupError as error:
            raise pytest.UsageError(str(error)) from None
        if config.pluginmanager.hasplugin("xdist"):
            config.pluginmanager.register(_XdistHooks(run), "plan-conformance-xdist")
    config.stash[DATABASE_RUN_KEY] = run


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
