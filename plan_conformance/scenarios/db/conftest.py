"""Database-level scenarios: the queue contract of docs/contract.md, straight in SQL.

They need SQL access and ageable rows, and they act on the whole queue (claims take any
pending job), so they are destructive: never run against staging unless asked.
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.resolve().is_relative_to(HERE):
            item.add_marker(pytest.mark.needs("db", "clock"))
            item.add_marker(pytest.mark.destructive)
