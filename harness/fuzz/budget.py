"""How much the fuzzer does per document: cases per operation in each mode, and a time limit.

From `--fuzz-examples` and `--fuzz-seconds` (or their ini keys); a wrong value names the option.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_EXAMPLES_PER_OPERATION = 25
DEFAULT_SECONDS_PER_DOCUMENT = 60.0


class FuzzBudgetError(ValueError):
    """An option of the fuzz budget is not a usable number."""


@dataclass(frozen=True)
class FuzzBudget:
    examples_per_operation: int = DEFAULT_EXAMPLES_PER_OPERATION
    seconds_per_document: float = DEFAULT_SECONDS_PER_DOCUMENT

    def __post_init__(self) -> None:
        if self.examples_per_operation < 1:
            raise FuzzBudgetError(
                f"--fuzz-examples must be a whole number of 1 or more, got {self.examples_per_operation}"
            )
        if not self.seconds_per_document > 0:
            raise FuzzBudgetError(
                f"--fuzz-seconds must be a positive number, got {self.seconds_per_document}"
            )

    @classmethod
    def parse(cls, examples: object, seconds: object) -> FuzzBudget:
        """From option values (text, or None for the default)."""
        return cls(
            examples_per_operation=_whole_number(examples, "--fuzz-examples", DEFAULT_EXAMPLES_PER_OPERATION),
            seconds_per_document=_number(seconds, "--fuzz-seconds", DEFAULT_SECONDS_PER_DOCUMENT),
        )


def _whole_number(value: object, option: str, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        return int(str(value))
    except ValueError:
        raise FuzzBudgetError(f"{option} must be a whole number, got {value!r}") from None


def _number(value: object, option: str, default: float) -> float:
    if value is None or value == "":
        return default
    try:
        return float(str(value))
    except ValueError:
        raise FuzzBudgetError(f"{option} must be a number, got {value!r}") from None
