"""Presets (YAML files beside this module) and rule files: reading them into fault rules."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from fake_llm.rules import FaultRule


class RulesFileError(Exception):
    """A preset or rules file that cannot be read; the message names the file and the field."""


class UnknownPresetError(RulesFileError):
    """A preset name that does not exist."""

    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"unknown preset {name!r}; known presets: {', '.join(known)}")
        self.name = name
        self.known = known


class RuleSet(BaseModel):
    """A preset or rules file: a description and its rules."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    description: str = ""
    rules: list[FaultRule] = []


def describe_validation_error(error: ValidationError) -> str:
    """`field.path: message` for each problem, joined."""
    return "; ".join(
        f"{'.'.join(str(part) for part in problem['loc']) or '(root)'}: {problem['msg']}"
        for problem in error.errors()
    )


def parse_rule_set(data: Any, source: str) -> RuleSet:
    """A rule set from parsed YAML/JSON: a mapping with `rules`, or a bare list of rules."""
    try:
        if isinstance(data, list):
            return RuleSet(rules=[FaultRule.model_validate(item) for item in data])
        return RuleSet.model_validate(data if data is not None else {})
    except ValidationError as error:
        raise RulesFileError(f"{source}: {describe_validation_error(error)}") from error


def preset_names() -> list[str]:
    """The names of the shipped presets, sorted."""
    folder = resources.files(__package__)
    return sorted(
        entry.name.removesuffix(".yaml")
        for entry in folder.iterdir()
        if entry.name.endswith(".yaml")
    )


def load_preset(name: str) -> RuleSet:
    """The shipped preset `name`; `UnknownPresetError` lists the known ones."""
    known = preset_names()
    if name not in known:
        raise UnknownPresetError(name, known)
    text = resources.files(__package__).joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    return parse_rule_set(yaml.safe_load(text), f"preset {name}")


def load_rules_file(path: Path) -> RuleSet:
    """Rules from a YAML or JSON file (JSON is YAML)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise RulesFileError(f"cannot read rules file {path}: {error.strerror}") from error
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise RulesFileError(f"{path}: not valid YAML or JSON: {error}") from error
    return parse_rule_set(data, str(path))
