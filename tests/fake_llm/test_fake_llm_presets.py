"""Presets and rule files: every shipped preset parses; a bad file names itself and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from fake_llm.presets import (
    RulesFileError,
    UnknownPresetError,
    load_preset,
    load_rules_file,
    preset_names,
)
from fake_llm.server import FakeDeepSeek
from fake_llm.settings import ServerSettings

REQUIRED = {"healthy", "flaky", "overloaded", "quota_exhausted", "malformed", "chaos"}


def test_required_presets_exist_and_parse() -> None:
    assert set(preset_names()) >= REQUIRED
    for name in preset_names():
        preset = load_preset(name)
        assert preset.description
        assert (name == "healthy") == (not preset.rules)


def test_unknown_preset_lists_known() -> None:
    with pytest.raises(UnknownPresetError) as raised:
        load_preset("stormy")
    assert raised.value.known == preset_names()


def test_rules_file_bare_list_or_mapping(tmp_path: Path) -> None:
    listed = tmp_path / "rules.yaml"
    listed.write_text("- action: {type: http_error, status: 429, retry_after: 2}\n  times: 2\n")
    mapped = tmp_path / "rules.json"
    mapped.write_text('{"rules": [{"match": {"stage": 2}, "action": {"type": "hang"}}]}')
    assert load_rules_file(listed).rules[0].times == 2
    assert load_rules_file(mapped).rules[0].match.stage == 2


def test_bad_rules_file_names_file_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - action: {type: http_error, status: 200}\n")
    with pytest.raises(RulesFileError) as raised:
        load_rules_file(bad)
    assert str(bad) in str(raised.value) and "rules.0.action.http_error.status" in str(raised.value)
    with pytest.raises(RulesFileError, match="cannot read"):
        load_rules_file(tmp_path / "missing.yaml")


async def test_server_loads_preset_and_file_at_start(tmp_path: Path) -> None:
    extra = tmp_path / "extra.yaml"
    extra.write_text("- name: extra\n  action: {type: empty_body}\n")
    settings = ServerSettings(preset="quota_exhausted", faults_file=extra)
    async with FakeDeepSeek(settings) as fake:
        assert [view.rule.name for view in fake.faults()] == ["quota-402", "extra"]
