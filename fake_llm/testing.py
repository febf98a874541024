"""pytest support: a fixture factory giving tests their own in-process fake on a free port."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any, Literal

import pytest_asyncio

from fake_llm.server import FakeDeepSeek
from fake_llm.settings import ServerSettings

FixtureScope = Literal["function", "class", "module", "package", "session"]


def fake_deepseek_fixture(
    settings: ServerSettings | None = None,
    *,
    scope: FixtureScope = "function",
    name: str | None = None,
) -> Callable[..., Any]:
    """A pytest fixture yielding a started `FakeDeepSeek`, stopped (hangs released) at teardown.

    In a conftest: `fake_deepseek = fake_deepseek_fixture(ServerSettings(runtime=...))`.
    """

    @pytest_asyncio.fixture(scope=scope, loop_scope=scope, name=name)
    async def fake_deepseek() -> AsyncIterator[FakeDeepSeek]:
        async with FakeDeepSeek(settings) as fake:
            yield fake

    return fake_deepseek
