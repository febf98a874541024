"""HTTP control clients for a fake in another process: `FakeLLMControl`, async twin.

Both send the admin token (given, or `FAKE_DEEPSEEK_ADMIN_TOKEN`) as `Authorization: Bearer`,
and every body as `application/json`; a refusal raises `ControlError` naming the fake's URL.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

import httpx

from fake_llm.environment import ADMIN_TOKEN_ENV
from fake_llm.journal import JournalEntry, JournalFilter
from fake_llm.rules import FaultRule, RuleView
from fake_llm.settings import RuntimeSettings, SettingsPatch


class ControlError(Exception):
    """The admin API refused a call; the message names the fake and carries the server's."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class AdminEndpoint:
    """Where the admin API is and the headers every call sends (the token is never shown)."""

    base_url: str
    token: str | None = field(default=None, repr=False)

    @classmethod
    def of(cls, base_url: str, admin_token: str | None) -> AdminEndpoint:
        token = admin_token if admin_token is not None else os.environ.get(ADMIN_TOKEN_ENV)
        return cls(base_url.rstrip("/"), token or None)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token is not None else {}

    def checked(self, response: httpx.Response) -> Any:
        """The JSON of a successful answer; `ControlError` for a refusal."""
        if response.status_code < 400:
            return response.json()
        try:
            message = str(response.json().get("error", response.text))
        except (ValueError, AttributeError):
            message = response.text
        if response.status_code == 401:
            given = (
                "refused the admin token it was sent"
                if self.token is not None
                else f"needs an admin token and none was given (pass admin_token= or set "
                f"{ADMIN_TOKEN_ENV})"
            )
            raise ControlError(401, f"fake LLM admin at {self.base_url} {given}")
        raise ControlError(
            response.status_code,
            f"fake LLM admin at {self.base_url} answered {response.status_code}: {message}",
        )


@dataclass(frozen=True)
class AdminCall:
    """One admin request: what to send."""

    method: str
    path: str
    body: Any = None
    params: dict[str, str] = field(default_factory=dict)


def _rule_body(rule: FaultRule | Mapping[str, Any]) -> Any:
    return (
        rule.model_dump(mode="json", exclude_none=True)
        if isinstance(rule, FaultRule)
        else dict(rule)
    )


def _filter_params(wanted: Mapping[str, Any]) -> dict[str, str]:
    valid = JournalFilter.model_validate(dict(wanted))
    return {key: str(value) for key, value in valid.model_dump(exclude_none=True).items()}


class _Calls:
    """The admin calls behind each control method, shared by the sync and async clients."""

    @staticmethod
    def add_fault(rule: FaultRule | Mapping[str, Any]) -> AdminCall:
        return AdminCall("POST", "/__admin/faults", _rule_body(rule))

    @staticmethod
    def delete_fault(rule_id: str) -> AdminCall:
        return AdminCall("DELETE", f"/__admin/faults/{rule_id}")

    @staticmethod
    def journal(wanted: Mapping[str, Any]) -> AdminCall:
        return AdminCall("GET", "/__admin/requests", params=_filter_params(wanted))

    @staticmethod
    def count(wanted: Mapping[str, Any]) -> AdminCall:
        return AdminCall("GET", "/__admin/requests/count", params=_filter_params(wanted))

    @staticmethod
    def load_preset(name: str, replace: bool) -> AdminCall:
        return AdminCall("POST", f"/__admin/presets/{name}", {"replace": replace})

    @staticmethod
    def reset() -> AdminCall:
        return AdminCall("POST", "/__admin/reset", {})

    @staticmethod
    def settings(changes: Mapping[str, Any]) -> AdminCall:
        patch = SettingsPatch.model_validate(dict(changes))
        return AdminCall("PATCH", "/__admin/settings", patch.model_dump(exclude_none=True))


class FakeLLMControl:
    """Synchronous control of a fake at `base_url` (its root URL, e.g. `http://127.0.0.1:8100`);
    `admin_token` defaults to `FAKE_DEEPSEEK_ADMIN_TOKEN` (none: a loopback fake without one)."""

    def __init__(
        self, base_url: str, *, admin_token: str | None = None, timeout_s: float = 10.0
    ) -> None:
        self._endpoint = AdminEndpoint.of(base_url, admin_token)
        self._client = httpx.Client(
            base_url=self._endpoint.base_url, headers=self._endpoint.headers, timeout=timeout_s
        )

    def _send(self, call: AdminCall) -> Any:
        return self._endpoint.checked(
            self._client.request(call.method, call.path, json=call.body, params=call.params)
        )

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def health(self) -> dict[str, Any]:
        """`{"status": "ok", "seed", "rules", "calls"}`."""
        return dict(self._send(AdminCall("GET", "/__admin/health")))

    def add_fault(self, rule: FaultRule | Mapping[str, Any]) -> str:
        """Add a rule; returns its id."""
        return str(self._send(_Calls.add_fault(rule))["id"])

    def delete_fault(self, rule_id: str) -> None:
        """Delete one rule (ControlError 404 if unknown)."""
        self._send(_Calls.delete_fault(rule_id))

    def clear_faults(self) -> None:
        """Delete every rule."""
        self._send(AdminCall("DELETE", "/__admin/faults"))

    def faults(self) -> list[RuleView]:
        """Every rule with its counters."""
        return [
            RuleView.model_validate(v)
            for v in self._send(AdminCall("GET", "/__admin/faults"))["faults"]
        ]

    def presets(self) -> list[dict[str, Any]]:
        """The shipped presets: name, description, rule count."""
        return list(self._send(AdminCall("GET", "/__admin/presets"))["presets"])

    def load_preset(self, name: str, *, replace: bool = True) -> list[str]:
        """Load a preset; returns the new rule ids."""
        return list(self._send(_Calls.load_preset(name, replace))["loaded"])

    def journal(self, **wanted: Any) -> list[JournalEntry]:
        """Journal entries filtered by user, stage, path, rule, outcome, since_seq, limit."""
        return [
            JournalEntry.model_validate(e) for e in self._send(_Calls.journal(wanted))["requests"]
        ]

    def count(self, **wanted: Any) -> int:
        """How many journal entries pass the filter."""
        return int(self._send(_Calls.count(wanted))["count"])

    def clear_journal(self) -> None:
        """Forget every call."""
        self._send(AdminCall("DELETE", "/__admin/requests"))

    def reset(self) -> None:
        """Delete every rule and forget every call."""
        self._send(_Calls.reset())

    def settings(self, **changes: Any) -> RuntimeSettings:
        """Change seed, latency_ms or quality (none: just read); returns the settings now."""
        call = _Calls.settings(changes) if changes else AdminCall("GET", "/__admin/settings")
        return RuntimeSettings.model_validate(self._send(call))


class AsyncFakeLLMControl:
    """Asynchronous twin of `FakeLLMControl`."""

    def __init__(
        self, base_url: str, *, admin_token: str | None = None, timeout_s: float = 10.0
    ) -> None:
        self._endpoint = AdminEndpoint.of(base_url, admin_token)
        self._client = httpx.AsyncClient(
            base_url=self._endpoint.base_url, headers=self._endpoint.headers, timeout=timeout_s
        )

    async def _send(self, call: AdminCall) -> Any:
        return self._endpoint.checked(
            await self._client.request(call.method, call.path, json=call.body, params=call.params)
        )

    async def aclose(self) -> None:
        """Close the HTTP connection pool."""
        await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def health(self) -> dict[str, Any]:
        """`{"status": "ok", "seed", "rules", "calls"}`."""
        return dict(await self._send(AdminCall("GET", "/__admin/health")))

    async def add_fault(self, rule: FaultRule | Mapping[str, Any]) -> str:
        """Add a rule; returns its id."""
        return str((await self._send(_Calls.add_fault(rule)))["id"])

    async def delete_fault(self, rule_id: str) -> None:
        """Delete one rule (ControlError 404 if unknown)."""
        await self._send(_Calls.delete_fault(rule_id))

    async def clear_faults(self) -> None:
        """Delete every rule."""
        await self._send(AdminCall("DELETE", "/__admin/faults"))

    async def faults(self) -> list[RuleView]:
        """Every rule with its counters."""
        listed = await self._send(AdminCall("GET", "/__admin/faults"))
        return [RuleView.model_validate(v) for v in listed["faults"]]

    async def presets(self) -> list[dict[str, Any]]:
        """The shipped presets: name, description, rule count."""
        return list((await self._send(AdminCall("GET", "/__admin/presets")))["presets"])

    async def load_preset(self, name: str, *, replace: bool = True) -> list[str]:
        """Load a preset; returns the new rule ids."""
        return list((await self._send(_Calls.load_preset(name, replace)))["loaded"])

    async def journal(self, **wanted: Any) -> list[JournalEntry]:
        """Journal entries filtered by user, stage, path, rule, outcome, since_seq, limit."""
        found = await self._send(_Calls.journal(wanted))
        return [JournalEntry.model_validate(e) for e in found["requests"]]

    async def count(self, **wanted: Any) -> int:
        """How many journal entries pass the filter."""
        return int((await self._send(_Calls.count(wanted)))["count"])

    async def clear_journal(self) -> None:
        """Forget every call."""
        await self._send(AdminCall("DELETE", "/__admin/requests"))

    async def reset(self) -> None:
        """Delete every rule and forget every call."""
        await self._send(_Calls.reset())

    async def settings(self, **changes: Any) -> RuntimeSettings:
        """Change seed, latency_ms or quality (none: just read); returns the settings now."""
        call = _Calls.settings(changes) if changes else AdminCall("GET", "/__admin/settings")
        return RuntimeSettings.model_validate(await self._send(call))
