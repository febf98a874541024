"""What the fake reads from the environment: the accepted API keys and the admin token.

Secrets come from the environment rather than the command line because a command line is
visible to every user of the machine (`ps`); decisions F6 and F8 in `docs/decisions.md`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import SecretStr

API_KEYS_ENV = "FAKE_DEEPSEEK_API_KEYS"
DEEPSEEK_API_KEY_ENV = "DEEPSEEK_API_KEY"
ADMIN_TOKEN_ENV = "FAKE_DEEPSEEK_ADMIN_TOKEN"


class EnvironmentConfigError(ValueError):
    """A variable set to something the fake cannot use; the message names the variable."""


@dataclass(frozen=True)
class AcceptedKeys:
    """The API keys the chat API accepts and the variable they came from (None: any key)."""

    keys: tuple[SecretStr, ...]
    source: str | None

    def describe(self) -> str:
        """One line for the start-up output (counts, never values)."""
        if self.source is None:
            return (
                f"accepts any non-empty API key (set {API_KEYS_ENV} or {DEEPSEEK_API_KEY_ENV} "
                "to restrict)"
            )
        plural = "s" if len(self.keys) != 1 else ""
        return f"accepts {len(self.keys)} API key{plural} from {self.source}"


def accepted_keys(environ: Mapping[str, str]) -> AcceptedKeys:
    """`FAKE_DEEPSEEK_API_KEYS` (comma-separated) when set, else `DEEPSEEK_API_KEY`, else any."""
    listed = environ.get(API_KEYS_ENV, "")
    if listed:
        keys = tuple(SecretStr(key.strip()) for key in listed.split(",") if key.strip())
        if not keys:
            raise EnvironmentConfigError(f"{API_KEYS_ENV} is set but names no key")
        return AcceptedKeys(keys, API_KEYS_ENV)
    single = environ.get(DEEPSEEK_API_KEY_ENV, "").strip()
    if single:
        return AcceptedKeys((SecretStr(single),), DEEPSEEK_API_KEY_ENV)
    return AcceptedKeys((), None)


def admin_token_from(environ: Mapping[str, str]) -> SecretStr | None:
    """The admin token in `FAKE_DEEPSEEK_ADMIN_TOKEN`, if set and not empty."""
    token = environ.get(ADMIN_TOKEN_ENV, "")
    return SecretStr(token) if token else None
