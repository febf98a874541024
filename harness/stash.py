"""Typed `config.stash` keys shared by the plugin and the fixtures."""

from __future__ import annotations

from typing import Optional

import pytest

from harness.config import HarnessConfig
from harness.db.run import DatabaseRun
from harness.stack.secrets import RunSecrets
from harness.target.fake import FakeDeepSeek

HARNESS_CONFIG_KEY = pytest.StashKey[HarnessConfig]()
DATABASE_RUN_KEY = pytest.StashKey[Optional[DatabaseRun]]()  # noqa: UP045  (evaluated at runtime)
RUN_SECRETS_KEY = pytest.StashKey[RunSecrets]()
STARTED_FAKE_KEY = pytest.StashKey[Optional[FakeDeepSeek]]()  # noqa: UP045  (evaluated at runtime)
