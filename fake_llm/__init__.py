"""Fake DeepSeek: a scriptable, deterministic OpenAI-compatible server failing as DeepSeek does.

The names are resolved when first used (PEP 562): a process that needs one part, such as the
control client or the environment's variable names, does not import the server.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fake_llm.app import create_app
    from fake_llm.control import AsyncFakeLLMControl, ControlError, FakeLLMControl
    from fake_llm.journal import JournalEntry
    from fake_llm.rules import FaultRule, Match, RuleView
    from fake_llm.server import FakeDeepSeek
    from fake_llm.settings import RuntimeSettings, ServerSettings

_HOMES = {
    "fake_llm.app": ("create_app",),
    "fake_llm.control": ("AsyncFakeLLMControl", "ControlError", "FakeLLMControl"),
    "fake_llm.journal": ("JournalEntry",),
    "fake_llm.rules": ("FaultRule", "Match", "RuleView"),
    "fake_llm.server": ("FakeDeepSeek",),
    "fake_llm.settings": ("RuntimeSettings", "ServerSettings"),
}
_MODULE_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = [
    "AsyncFakeLLMControl",
    "ControlError",
    "FakeDeepSeek",
    "FakeLLMControl",
    "FaultRule",
    "JournalEntry",
    "Match",
    "RuleView",
    "RuntimeSettings",
    "ServerSettings",
    "create_app",
]


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'fake_llm' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
