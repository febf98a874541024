"""The fake served in-process on a loopback port, with a Python control API."""

from __future__ import annotations

import socket
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from aiohttp import web

from fake_llm.app import create_app
from fake_llm.journal import JournalEntry, JournalFilter
from fake_llm.presets import load_preset
from fake_llm.rules import FaultRule, RuleView
from fake_llm.settings import RuntimeSettings, ServerSettings, SettingsPatch, is_loopback_host
from fake_llm.state import STATE_KEY, FakeState

DEFAULT_API_KEY = "sk-fake-deepseek-0000"


class FakeDeepSeek:
    """`async with FakeDeepSeek(settings) as fake:` serves at `fake.url` until the block ends."""

    def __init__(self, settings: ServerSettings | None = None) -> None:
        self.settings = settings or ServerSettings()
        self._app = create_app(self.settings)
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    async def start(self) -> None:
        """Start serving (`port` 0 picks a free one; `listen_fd` serves on an inherited socket)."""
        runner = web.AppRunner(
            self._app, handler_cancellation=True, shutdown_timeout=self.settings.shutdown_timeout_s
        )
        await runner.setup()
        site: web.BaseSite
        if self.settings.listen_fd is not None:
            inherited = socket.socket(fileno=self.settings.listen_fd)
            host = str(inherited.getsockname()[0])
            if self.settings.admin_token is None and not is_loopback_host(host):
                inherited.detach()
                await runner.cleanup()
                raise ValueError(
                    f"the inherited socket listens on {host}, not a loopback address: serving beyond "
                    "loopback needs an admin token"
                )
            site = web.SockSite(runner, inherited)
        else:
            site = web.TCPSite(runner, self.settings.host, self.settings.port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._port = int(runner.addresses[0][1])

    async def stop(self) -> None:
        """Stop serving; hangs, stalls and delays in progress end at once."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDeepSeek:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        """The port served on."""
        if self._port is None:
            raise RuntimeError("the fake is not started; use `async with FakeDeepSeek(...)`")
        return self._port

    @property
    def url(self) -> str:
        """The base URL to give an OpenAI client (DeepSeek's base URL has no `/v1`)."""
        host = self.settings.host if ":" not in self.settings.host else f"[{self.settings.host}]"
        return f"http://{host}:{self.port}"

    @property
    def api_key(self) -> str:
        """A key the fake accepts."""
        if self.settings.api_keys:
            return self.settings.api_keys[0].get_secret_value()
        return DEFAULT_API_KEY

    @property
    def state(self) -> FakeState:
        """The live state (rules, journal, settings)."""
        if self._runner is None:
            raise RuntimeError("the fake is not started; use `async with FakeDeepSeek(...)`")
        return self._app[STATE_KEY]

    def add_fault(self, rule: FaultRule | Mapping[str, Any]) -> str:
        """Add a rule; returns its id."""
        valid = rule if isinstance(rule, FaultRule) else FaultRule.model_validate(rule)
        return self.state.rules.add(valid).id

    def delete_fault(self, rule_id: str) -> bool:
        """Delete one rule; False when there was none."""
        return self.state.rules.remove(rule_id)

    def clear_faults(self) -> None:
        """Delete every rule."""
        self.state.rules.clear()

    def faults(self) -> list[RuleView]:
        """Every rule with its counters, in firing order."""
        return self.state.rules.views()

    def load_preset(self, name: str, *, replace: bool = True) -> list[str]:
        """Load a shipped preset; returns the new rule ids."""
        return [stored.id for stored in self.state.load(load_preset(name), replace=replace)]

    def journal(self, **wanted: Any) -> list[JournalEntry]:
        """Journal entries, filtered as `JournalFilter` (user, stage, path, rule, outcome, ...)."""
        return self.state.journal.select(JournalFilter.model_validate(wanted))

    def count(self, **wanted: Any) -> int:
        """How many journal entries pass the filter."""
        return self.state.journal.count(JournalFilter.model_validate(wanted))

    def reset(self) -> None:
        """Delete every rule and forget every call."""
        self.state.reset()

    def update_settings(self, **changes: Any) -> RuntimeSettings:
        """Change seed, latency_ms or quality."""
        return self.state.update_settings(SettingsPatch.model_validate(changes))
