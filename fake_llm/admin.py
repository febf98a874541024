"""The admin API under `/__admin` (WireMock style): faults, presets, journal, settings.

Access rules (token, loopback, cross-site, content type) are `admin_guard`'s; here every body
is read strictly: 413 past `admin_body_limit_bytes`, 400 unless it is strict JSON, 422 naming
each wrong field (NUL characters included)."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ConfigDict, ValidationError

from fake_llm import json_body
from fake_llm.admin_guard import ADMIN, AdminRefusal, refusal
from fake_llm.journal import JournalFilter
from fake_llm.json_body import BodyTooLarge, JsonBodyError, first_string_with, read_limited
from fake_llm.presets import UnknownPresetError, load_preset, preset_names
from fake_llm.rules import FaultRule
from fake_llm.settings import SettingsPatch
from fake_llm.state import SETTINGS_KEY, STATE_KEY

ModelT = TypeVar("ModelT", bound=BaseModel)
ADMIN_MAX_DEPTH = 32


class PresetLoad(BaseModel):
    """Body of `POST /__admin/presets/{name}` (optional)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    replace: bool = True


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(
        data, status=status, dumps=lambda value: json.dumps(value, default=str)
    )


def _invalid(details: list[dict[str, str]], what: str) -> AdminRefusal:
    described = "; ".join(f"{detail['field']}: {detail['message']}" for detail in details)
    return AdminRefusal(422, {"error": f"invalid {what}: {described}", "details": details})


def _validation_details(error: ValidationError) -> list[dict[str, str]]:
    return [
        {
            "field": ".".join(str(part) for part in problem["loc"]) or "(body)",
            "message": problem["msg"],
        }
        for problem in error.errors()
    ]


def _refuse_nul(data: Any, what: str) -> None:
    field = first_string_with(data, "\x00", max_depth=ADMIN_MAX_DEPTH)
    if field is not None:
        raise _invalid([{"field": field, "message": "NUL character not allowed"}], what)


async def _body(request: web.Request, model: type[ModelT], what: str) -> ModelT:
    """The body as `model`: 413 past the limit, 400 unless strict JSON, 422 naming each field."""
    try:
        raw = await read_limited(request, request.app[SETTINGS_KEY].admin_body_limit_bytes)
    except BodyTooLarge as error:
        raise refusal(413, f"invalid {what}: {error}") from None
    try:
        data = json_body.loads(raw, max_depth=ADMIN_MAX_DEPTH) if raw.strip() else {}
    except JsonBodyError as error:
        raise refusal(400, f"invalid {what}: body is not JSON: {error}") from None
    _refuse_nul(data, what)
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise _invalid(_validation_details(error), what) from None


def _query(request: web.Request) -> JournalFilter:
    wanted = dict(request.query)
    _refuse_nul(wanted, "journal query")
    try:
        return JournalFilter.model_validate(wanted)
    except ValidationError as error:
        raise _invalid(_validation_details(error), "journal query") from None


async def health(request: web.Request) -> web.Response:
    """`GET /__admin/health`."""
    state = request.app[STATE_KEY]
    return _json(
        {
            "status": "ok",
            "seed": state.runtime.seed,
            "rules": len(state.rules.views()),
            "calls": state.journal.count(JournalFilter()),
        }
    )


async def list_faults(request: web.Request) -> web.Response:
    """`GET /__admin/faults`: every rule in firing order."""
    return _json(
        {"faults": [v.model_dump(mode="json") for v in request.app[STATE_KEY].rules.views()]}
    )


async def add_fault(request: web.Request) -> web.Response:
    """`POST /__admin/faults`: add one rule; 201 with its id."""
    rule = await _body(request, FaultRule, "fault rule")
    stored = request.app[STATE_KEY].rules.add(rule)
    return _json(stored.view().model_dump(mode="json"), status=201)


async def get_fault(request: web.Request) -> web.Response:
    """`GET /__admin/faults/{id}`."""
    stored = request.app[STATE_KEY].rules.get(request.match_info["rule_id"])
    if stored is None:
        return _json({"error": f"no fault with id {request.match_info['rule_id']!r}"}, status=404)
    return _json(stored.view().model_dump(mode="json"))


async def delete_fault(request: web.Request) -> web.Response:
    """`DELETE /__admin/faults/{id}`."""
    rule_id = request.match_info["rule_id"]
    if not request.app[STATE_KEY].rules.remove(rule_id):
        return _json({"error": f"no fault with id {rule_id!r}"}, status=404)
    return _json({"deleted": rule_id})


async def clear_faults(request: web.Request) -> web.Response:
    """`DELETE /__admin/faults`: delete every rule."""
    request.app[STATE_KEY].rules.clear()
    return _json({"deleted": "all"})


async def list_presets(request: web.Request) -> web.Response:
    """`GET /__admin/presets`."""
    presets = []
    for name in preset_names():
        preset = load_preset(name)
        presets.append(
            {"name": name, "description": preset.description, "rules": len(preset.rules)}
        )
    return _json({"presets": presets})


async def apply_preset(request: web.Request) -> web.Response:
    """`POST /__admin/presets/{name}`: load a preset; replaces the rules unless `replace: false`."""
    options = await _body(request, PresetLoad, "preset load")
    try:
        preset = load_preset(request.match_info["name"])
    except UnknownPresetError as error:
        return _json({"error": str(error), "known": error.known}, status=404)
    stored = request.app[STATE_KEY].load(preset, replace=options.replace)
    return _json({"preset": request.match_info["name"], "loaded": [s.id for s in stored]})


async def list_requests(request: web.Request) -> web.Response:
    """`GET /__admin/requests?user=&stage=&path=&rule=&outcome=&since_seq=&limit=`."""
    entries = request.app[STATE_KEY].journal.select(_query(request))
    return _json({"requests": [e.model_dump(mode="json") for e in entries]})


async def count_requests(request: web.Request) -> web.Response:
    """`GET /__admin/requests/count` with the same filters."""
    return _json({"count": request.app[STATE_KEY].journal.count(_query(request))})


async def clear_requests(request: web.Request) -> web.Response:
    """`DELETE /__admin/requests`."""
    request.app[STATE_KEY].journal.clear()
    return _json({"deleted": "all"})


async def reset(request: web.Request) -> web.Response:
    """`POST /__admin/reset`: delete every rule, forget every call."""
    request.app[STATE_KEY].reset()
    return _json({"reset": True})


async def get_settings(request: web.Request) -> web.Response:
    """`GET /__admin/settings`."""
    return _json(request.app[STATE_KEY].runtime.model_dump(mode="json"))


async def update_settings(request: web.Request) -> web.Response:
    """`POST`/`PATCH /__admin/settings`: change seed, latency or quality."""
    patch = await _body(request, SettingsPatch, "settings")
    return _json(request.app[STATE_KEY].update_settings(patch).model_dump(mode="json"))


def add_admin_routes(app: web.Application) -> None:
    """Register the admin routes on `app`."""
    router = app.router
    router.add_get(f"{ADMIN}/health", health)
    router.add_get(f"{ADMIN}/faults", list_faults)
    router.add_post(f"{ADMIN}/faults", add_fault)
    router.add_delete(f"{ADMIN}/faults", clear_faults)
    router.add_get(f"{ADMIN}/faults/{{rule_id}}", get_fault)
    router.add_delete(f"{ADMIN}/faults/{{rule_id}}", delete_fault)
    router.add_get(f"{ADMIN}/presets", list_presets)
    router.add_post(f"{ADMIN}/presets/{{name}}", apply_preset)
    router.add_get(f"{ADMIN}/requests", list_requests)
    router.add_get(f"{ADMIN}/requests/count", count_requests)
    router.add_delete(f"{ADMIN}/requests", clear_requests)
    router.add_post(f"{ADMIN}/reset", reset)
    router.add_get(f"{ADMIN}/settings", get_settings)
    router.add_post(f"{ADMIN}/settings", update_settings)
    router.add_patch(f"{ADMIN}/settings", update_settings)
