"""The state of one running fake (settings, rules, journal, answers) under an `AppKey`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiohttp import web

from fake_llm.answers import AnswerMaker
from fake_llm.journal import Journal
from fake_llm.presets import RuleSet, load_preset, load_rules_file
from fake_llm.rules import RuleStore, StoredRule
from fake_llm.settings import RuntimeSettings, ServerSettings, SettingsPatch


@dataclass
class FakeState:
    """Everything a running fake knows; admin calls and the in-process API change it."""

    server: ServerSettings
    runtime: RuntimeSettings
    rules: RuleStore
    journal: Journal
    answers: AnswerMaker
    shutdown: asyncio.Event

    def load(self, rule_set: RuleSet, *, replace: bool) -> list[StoredRule]:
        """Add a rule set's rules, after deleting every rule when `replace`."""
        if replace:
            self.rules.clear()
        return [self.rules.add(rule) for rule in rule_set.rules]

    def update_settings(self, patch: SettingsPatch) -> RuntimeSettings:
        """Apply `patch`; a new seed reseeds every rule."""
        updated = patch.apply(self.runtime)
        if updated.seed != self.runtime.seed:
            self.rules.reseed(updated.seed)
        self.runtime = updated
        return updated

    def reset(self) -> None:
        """Delete every rule and forget every call (settings stay)."""
        self.rules.clear()
        self.journal.clear()


def build_state(settings: ServerSettings) -> FakeState:
    """A fresh state with the start-up preset and rules file loaded (errors name the file)."""
    state = FakeState(
        server=settings,
        runtime=settings.runtime,
        rules=RuleStore(settings.runtime.seed),
        journal=Journal(settings.journal_limit),
        answers=AnswerMaker(settings.render_cache_size),
        shutdown=asyncio.Event(),
    )
    if settings.preset is not None:
        state.load(load_preset(settings.preset), replace=False)
    if settings.faults_file is not None:
        state.load(load_rules_file(settings.faults_file), replace=False)
    return state


STATE_KEY = web.AppKey("fake_llm_state", FakeState)
SETTINGS_KEY = web.AppKey("fake_llm_settings", ServerSettings)
