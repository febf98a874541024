"""Fake DeepSeek: a scriptable, deterministic OpenAI-compatible server failing as DeepSeek does."""

from __future__ import annotations

from fake_llm.app import create_app
from fake_llm.control import AsyncFakeLLMControl, ControlError, FakeLLMControl
from fake_llm.journal import JournalEntry
from fake_llm.rules import FaultRule, Match, RuleView
from fake_llm.server import FakeDeepSeek
from fake_llm.settings import RuntimeSettings, ServerSettings

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
