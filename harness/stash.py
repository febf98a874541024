"""Typed `config.stash` keys shared by the plugin and the fixtures."""

from __future__ import annotations

from typing import Optional

import pytest

from harness.config import HarnessConfig
from harness.db.on_demand import DatabaseSource
from harness.stack.secrets import RunSecrets
from harness.target.fake import FakeDeepSeek

HARNESS_CONFIG_KEY = pytest.StashKey[HarnessConfig]()
# where this process gets the run's database (started on demand); None when the run has none
DATABASE_SOURCE_KEY = pytest.StashKey[Optional[DatabaseSource]]()  # noqa: UP045  (evaluated at runtime)
RUN_SECRETS_KEY = pytest.StashKey[RunSecrets]()
STARTED_FAKE_KEY = pytest.StashKey[Optional[FakeDeepSeek]]()  # noqa: UP045  (evaluated at runtime)
